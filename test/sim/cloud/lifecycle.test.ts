import test from 'ava';
import { $Vpc, allocate, startSim, vpcClient, waitForStatus } from './helpers.js';

for (const signatureAlgorithm of [undefined, 'v2']) {
  const label = signatureAlgorithm === 'v2' ? 'HMAC-SHA1 (v2)' : 'ACS3-HMAC-SHA256';
  test(`allocate, associate to an ENI IP, describe, unassociate, release with ${label}`, async (t) => {
    const sim = await startSim(t, { associationDelayMs: 60_000 });
    const vpc = vpcClient(sim, signatureAlgorithm ? { signatureAlgorithm } : {});
    const { allocationId, eipAddress } = await allocate(vpc, { bandwidth: '10', internetChargeType: 'PayByTraffic' });
    t.regex(allocationId, /^eip-bp1[a-z0-9]{17}$/);
    t.is(eipAddress, '47.96.0.1');

    await vpc.associateEipAddress(
      new $Vpc.AssociateEipAddressRequest({
        regionId: 'cn-hangzhou',
        allocationId,
        instanceId: 'eni-bp1podeipsim011',
        instanceType: 'NetworkInterface',
        privateIpAddress: '192.168.0.22',
      }),
    );
    const during = await vpc.describeEipAddresses(
      new $Vpc.DescribeEipAddressesRequest({ regionId: 'cn-hangzhou', allocationId }),
    );
    t.is(during.body!.eipAddresses!.eipAddress![0]!.status, 'Associating');
    sim.state.scheduler.flush();
    const bound = await waitForStatus(vpc, allocationId, 'InUse');
    t.like(bound, {
      instanceId: 'eni-bp1podeipsim011',
      instanceType: 'NetworkInterface',
      privateIpAddress: '192.168.0.22',
      bandwidth: '10',
      internetChargeType: 'PayByTraffic',
      ipAddress: eipAddress,
      mode: 'NAT',
      vpcId: 'vpc-bp1podeipsim0001',
    });

    await vpc.unassociateEipAddress(
      new $Vpc.UnassociateEipAddressRequest({
        regionId: 'cn-hangzhou',
        allocationId,
        instanceId: 'eni-bp1podeipsim011',
        instanceType: 'NetworkInterface',
        privateIpAddress: '192.168.0.22',
      }),
    );
    t.is((await waitForStatus(vpc, allocationId, 'Unassociating'))?.instanceId, 'eni-bp1podeipsim011');
    sim.state.scheduler.flush();
    const free = await waitForStatus(vpc, allocationId, 'Available');
    t.is(free?.instanceId, '');

    await vpc.releaseEipAddress(new $Vpc.ReleaseEipAddressRequest({ regionId: 'cn-hangzhou', allocationId }));
    t.is((await waitForStatus(vpc, allocationId, 'Releasing'))?.allocationId, allocationId);
    sim.state.scheduler.flush();
    await waitForStatus(vpc, allocationId, 'gone');
    t.deepEqual(sim.state.snapshot().eips, []);
  });
}

for (const signatureAlgorithm of [undefined, 'v2']) {
  const label = signatureAlgorithm === 'v2' ? 'HMAC-SHA1 (v2)' : 'ACS3-HMAC-SHA256';
  test(`every VPC write accepts list parameters and characters that need encoding with ${label}`, async (t) => {
    const sim = await startSim(t, { associationDelayMs: 60_000 });
    const vpc = vpcClient(sim, signatureAlgorithm ? { signatureAlgorithm } : {});
    const awkward = "a b/c*d~e!'()+=&%中文";
    const res = await vpc.allocateEipAddress(
      new $Vpc.AllocateEipAddressRequest({
        regionId: 'cn-hangzhou',
        name: awkward,
        description: awkward,
        clientToken: "tok a b/c*d~e!'()+=&",
        tag: [
          new $Vpc.AllocateEipAddressRequestTag({ key: 'k/1', value: awkward }),
          new $Vpc.AllocateEipAddressRequestTag({ key: 'k 2', value: '' }),
        ],
        securityProtectionTypes: ['AntiDDoS_Enhanced'],
      }),
    );
    const allocationId = res.body!.allocationId!;
    await vpc.tagResources(
      new $Vpc.TagResourcesRequest({
        regionId: 'cn-hangzhou',
        resourceType: 'EIP',
        resourceId: [allocationId],
        tag: [new $Vpc.TagResourcesRequestTag({ key: 'k*3', value: awkward })],
      }),
    );
    await vpc.modifyEipAddressAttribute(
      new $Vpc.ModifyEipAddressAttributeRequest({ regionId: 'cn-hangzhou', allocationId, name: `${awkward}2` }),
    );
    const eip = await waitForStatus(vpc, allocationId, 'Available');
    t.is(eip?.name, `${awkward}2`);
    t.is(eip?.description, awkward);
    t.deepEqual(
      eip?.tags?.tag?.map((x) => [x.key, x.value]),
      [
        ['k/1', awkward],
        ['k 2', ''],
        ['k*3', awkward],
      ],
    );
    t.deepEqual(eip?.securityProtectionTypes?.securityProtectionType, ['AntiDDoS_Enhanced']);
    const filtered = await vpc.describeEipAddresses(
      new $Vpc.DescribeEipAddressesRequest({
        regionId: 'cn-hangzhou',
        tag: [new $Vpc.DescribeEipAddressesRequestTag({ key: 'k/1', value: awkward })],
      }),
    );
    t.is(filtered.body!.totalCount, 1);
    await vpc.unTagResources(
      new $Vpc.UnTagResourcesRequest({
        regionId: 'cn-hangzhou',
        resourceType: 'EIP',
        resourceId: [allocationId],
        tagKey: ['k*3'],
      }),
    );
    await vpc.addCommonBandwidthPackageIp(
      new $Vpc.AddCommonBandwidthPackageIpRequest({
        regionId: 'cn-hangzhou',
        bandwidthPackageId: 'cbwp-bp1podeipsim0001',
        ipInstanceId: allocationId,
      }),
    );
    sim.state.scheduler.flush();
    await vpc.removeCommonBandwidthPackageIp(
      new $Vpc.RemoveCommonBandwidthPackageIpRequest({
        regionId: 'cn-hangzhou',
        bandwidthPackageId: 'cbwp-bp1podeipsim0001',
        ipInstanceId: allocationId,
      }),
    );
    sim.state.scheduler.flush();
    await vpc.associateEipAddress(
      new $Vpc.AssociateEipAddressRequest({ regionId: 'cn-hangzhou', allocationId, instanceId: 'i-bp1podeipsim0003' }),
    );
    sim.state.scheduler.flush();
    await waitForStatus(vpc, allocationId, 'InUse');
    const listed = await vpc.listTagResources(
      new $Vpc.ListTagResourcesRequest({ regionId: 'cn-hangzhou', resourceType: 'EIP', resourceId: [allocationId] }),
    );
    t.is(listed.body!.tagResources!.tagResource!.length, 2);
    const pro = await vpc.allocateEipAddressPro(
      new $Vpc.AllocateEipAddressProRequest({ regionId: 'cn-hangzhou', ISP: 'BGP_PRO' }),
    );
    t.regex(pro.body!.allocationId!, /^eip-/);
    const vsw = await vpc.describeVSwitches(new $Vpc.DescribeVSwitchesRequest({ regionId: 'cn-hangzhou' }));
    t.is(vsw.body!.totalCount, 1);
    t.deepEqual(
      Object.values(sim.state.calls.snapshot())
        .flatMap((byCode) => Object.keys(byCode))
        .filter((c) => c !== 'Success'),
      [],
    );
  });
}
