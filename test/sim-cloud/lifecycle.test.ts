import test from 'ava';
import { $Vpc, allocate, startSim, vpcClient, waitForStatus } from './helpers.js';

for (const signatureAlgorithm of [undefined, 'v2']) {
  const label = signatureAlgorithm === 'v2' ? 'HMAC-SHA1 (v2)' : 'ACS3-HMAC-SHA256';
  test(`allocate, associate to an ENI IP, describe, unassociate, release with ${label}`, async (t) => {
    const sim = await startSim(t, { associationDelayMs: 400 });
    const vpc = vpcClient(sim, signatureAlgorithm ? { signatureAlgorithm } : {});
    const { allocationId, eipAddress } = await allocate(vpc, { bandwidth: '10', internetChargeType: 'PayByTraffic' });
    t.regex(allocationId, /^eip-bp1[a-z0-9]{17}$/);
    t.is(eipAddress, '47.96.0.1');

    await vpc.associateEipAddress(new $Vpc.AssociateEipAddressRequest({
      regionId: 'cn-hangzhou', allocationId, instanceId: 'eni-bp1podeipsim011', instanceType: 'NetworkInterface', privateIpAddress: '192.168.0.22',
    }));
    const during = await vpc.describeEipAddresses(new $Vpc.DescribeEipAddressesRequest({ regionId: 'cn-hangzhou', allocationId }));
    t.is(during.body!.eipAddresses!.eipAddress![0]!.status, 'Associating');
    const bound = await waitForStatus(vpc, allocationId, 'InUse');
    t.like(bound, {
      instanceId: 'eni-bp1podeipsim011', instanceType: 'NetworkInterface', privateIpAddress: '192.168.0.22', bandwidth: '10',
      internetChargeType: 'PayByTraffic', ipAddress: eipAddress, mode: 'NAT', vpcId: 'vpc-bp1podeipsim0001',
    });

    await vpc.unassociateEipAddress(new $Vpc.UnassociateEipAddressRequest({
      regionId: 'cn-hangzhou', allocationId, instanceId: 'eni-bp1podeipsim011', instanceType: 'NetworkInterface', privateIpAddress: '192.168.0.22',
    }));
    t.is((await waitForStatus(vpc, allocationId, 'Unassociating', 300))?.instanceId, 'eni-bp1podeipsim011');
    const free = await waitForStatus(vpc, allocationId, 'Available');
    t.is(free?.instanceId, '');

    await vpc.releaseEipAddress(new $Vpc.ReleaseEipAddressRequest({ regionId: 'cn-hangzhou', allocationId }));
    t.is((await waitForStatus(vpc, allocationId, 'Releasing', 300))?.allocationId, allocationId);
    await waitForStatus(vpc, allocationId, 'gone');
    t.deepEqual(sim.state.snapshot().eips, []);
  });
}
