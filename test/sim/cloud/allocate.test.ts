import test from 'ava';
import { $Vpc, allocate, sdkError, startSim, vpcClient } from './helpers.js';

const R = 'cn-hangzhou';
const req = (fields: Partial<$Vpc.AllocateEipAddressRequest>) =>
  new $Vpc.AllocateEipAddressRequest({ regionId: R, ...fields });
const tags = (n: number, key = (i: number) => `k${i}`) =>
  Array.from({ length: n }, (_, i) => new $Vpc.AllocateEipAddressRequestTag({ key: key(i), value: `v${i}` }));

test('defaults: 5 Mbit/s, PayByBandwidth, PostPaid, BGP, default resource group, Available at once', async (t) => {
  const sim = await startSim(t);
  const vpc = vpcClient(sim);
  const res = await vpc.allocateEipAddress(req({}));
  t.is(res.body!.resourceGroupId, 'rg-acfmpodeipsim01');
  t.is(res.body!.orderId, undefined);
  const eip = (
    await vpc.describeEipAddresses(
      new $Vpc.DescribeEipAddressesRequest({ regionId: R, allocationId: res.body!.allocationId }),
    )
  ).body!.eipAddresses!.eipAddress![0];
  t.like(eip, {
    status: 'Available',
    bandwidth: '5',
    internetChargeType: 'PayByBandwidth',
    chargeType: 'PostPaid',
    ISP: 'BGP',
    netmode: 'public',
    instanceId: '',
    privateIpAddress: '',
    bandwidthPackageId: '',
    regionId: R,
    description: '',
    name: '',
  });
  t.regex(eip?.allocationTime ?? '', /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
});

test('ids and addresses repeat on every start', async (t) => {
  const runs = [];
  for (let i = 0; i < 2; i++) {
    const sim = await startSim(t);
    const vpc = vpcClient(sim);
    runs.push([await allocate(vpc), await allocate(vpc)]);
  }
  t.deepEqual(runs[0], runs[1]);
  t.not(runs[0]![0]!.allocationId, runs[0]![1]!.allocationId);
  t.is(runs[0]![1]!.eipAddress, '47.96.0.2');
});

test('bandwidth ranges depend on the charge type', async (t) => {
  const sim = await startSim(t, { eipQuota: 100 });
  const vpc = vpcClient(sim);
  await allocate(vpc, { bandwidth: '500', internetChargeType: 'PayByBandwidth' });
  await allocate(vpc, { bandwidth: '200', internetChargeType: 'PayByTraffic' });
  await allocate(vpc, { bandwidth: '1000', instanceChargeType: 'PrePaid', period: 1 });
  for (const [fields, field] of [
    [{ bandwidth: '501' }, 'Bandwidth'],
    [{ bandwidth: '201', internetChargeType: 'PayByTraffic' }, 'Bandwidth'],
    [{ bandwidth: '0' }, 'Bandwidth'],
    [{ bandwidth: 'five' }, 'Bandwidth'],
    [{ bandwidth: '1001', instanceChargeType: 'PrePaid', period: 1 }, 'Bandwidth'],
    [{ internetChargeType: 'PayByFlow' }, 'InternetChargeType'],
    [{ instanceChargeType: 'PrePaid', internetChargeType: 'PayByTraffic', period: 1 }, 'InternetChargeType'],
    [{ ISP: 'Mars' }, 'ISP'],
    [{ netmode: 'private' }, 'Netmode'],
  ] as const) {
    const error = await sdkError(t, vpc.allocateEipAddress(req(fields)));
    t.is(error.code, 'InvalidParameter', JSON.stringify(fields));
    t.true(error.message.includes(field), error.message);
  }
  const noPeriod = await sdkError(t, vpc.allocateEipAddress(req({ instanceChargeType: 'PrePaid' })));
  t.is(noPeriod.code, 'MissingParameter');
  t.regex(noPeriod.message, /Period/);
  t.is(sim.state.eips.count(), 3);
});

test('names, descriptions, security protection and resource groups follow the documented rules', async (t) => {
  const sim = await startSim(t);
  const vpc = vpcClient(sim);
  await allocate(vpc, {
    name: 'n'.repeat(128),
    description: 'd'.repeat(256),
    securityProtectionTypes: ['AntiDDoS_Enhanced'],
  });
  const cases: Array<[Partial<$Vpc.AllocateEipAddressRequest>, string, string]> = [
    [{ name: 'n'.repeat(129) }, 'InvalidParameter', 'Name'],
    [{ name: 'http://example' }, 'InvalidParameter', 'Name'],
    [{ description: 'd'.repeat(257) }, 'InvalidParameter', 'Description'],
    [{ description: 'https://example' }, 'InvalidParameter', 'Description'],
    [
      { securityProtectionTypes: ['AntiDDoS_Enhanced', 'AntiDDoS_Enhanced'] },
      'InvalidParameter',
      'SecurityProtectionTypes',
    ],
    [{ securityProtectionTypes: ['AntiDDoS_Basic'] }, 'InvalidParameter', 'SecurityProtectionTypes.1'],
    [{ resourceGroupId: 'rg-unknown' }, 'InvalidResourceGroupId', 'rg-unknown'],
    [{ publicIpAddressPoolId: 'pippool-unknown' }, 'ResourceNotFound.PublicIpAddressPool', 'pippool-unknown'],
  ];
  for (const [fields, code, named] of cases) {
    const error = await sdkError(t, vpc.allocateEipAddress(req(fields)));
    t.is(error.code, code);
    t.true(error.message.includes(named), error.message);
  }
});

test('tags: up to 20, key rules enforced, stored on the EIP', async (t) => {
  const sim = await startSim(t);
  const vpc = vpcClient(sim);
  const { allocationId } = await allocate(vpc, { tag: tags(20) });
  t.is(Object.keys(sim.state.snapshot().eips.find((e) => e.allocationId === allocationId)!.tags).length, 20);
  const cases: Array<[$Vpc.AllocateEipAddressRequestTag[], string, string]> = [
    [tags(21), 'InvalidParameter', 'Tag.21'],
    [tags(1, () => 'aliyun-x'), 'InvalidTagKey', 'Tag.1.Key'],
    [tags(1, () => 'acs:x'), 'InvalidTagKey', 'Tag.1.Key'],
    [tags(1, () => 'k'.repeat(129)), 'InvalidTagKey', 'Tag.1.Key'],
    [tags(2, () => 'same'), 'InvalidTagKey.Duplicated', 'Tag.2.Key'],
    [[new $Vpc.AllocateEipAddressRequestTag({ value: 'orphan' })], 'InvalidParameter', 'Tag.1.Key'],
  ];
  for (const [tagList, code, named] of cases) {
    const error = await sdkError(t, vpc.allocateEipAddress(req({ tag: tagList })));
    t.is(error.code, code);
    t.true(error.message.includes(named), error.message);
  }
  t.is(sim.state.eips.count(), 1);
});

test('the EIP quota refuses the 21st EIP with QuotaExceeded.Eip until one is released', async (t) => {
  const sim = await startSim(t, { associationDelayMs: 60_000 });
  const vpc = vpcClient(sim);
  const ids = [];
  for (let i = 0; i < 20; i++) ids.push((await allocate(vpc)).allocationId);
  const error = await sdkError(t, vpc.allocateEipAddress(req({})));
  t.is(error.code, 'QuotaExceeded.Eip');
  t.is(error.statusCode, 400);
  await vpc.releaseEipAddress(new $Vpc.ReleaseEipAddressRequest({ regionId: R, allocationId: ids[0] }));
  t.is((await sdkError(t, vpc.allocateEipAddress(req({})))).code, 'QuotaExceeded.Eip', 'a Releasing EIP still counts');
  sim.state.scheduler.flush();
  await allocate(vpc);
  sim.setEipQuota(21);
  await allocate(vpc);
  t.is(sim.state.eips.count(), 21);
});

test('ClientToken: same token and parameters return the same EIP; other parameters are IdempotentParameterMismatch', async (t) => {
  const sim = await startSim(t);
  const vpc = vpcClient(sim);
  const first = await allocate(vpc, { clientToken: 'pod-uid-1', bandwidth: '10' });
  const again = await allocate(vpc, { clientToken: 'pod-uid-1', bandwidth: '10' });
  t.deepEqual(again, first);
  t.is(sim.state.eips.count(), 1);
  const mismatch = await sdkError(t, vpc.allocateEipAddress(req({ clientToken: 'pod-uid-1', bandwidth: '11' })));
  t.is(mismatch.code, 'IdempotentParameterMismatch');
  t.is(mismatch.statusCode, 400);
  const other = await allocate(vpc, { clientToken: 'pod-uid-2', bandwidth: '10' });
  t.not(other.allocationId, first.allocationId);
  const tooLong = await sdkError(t, vpc.allocateEipAddress(req({ clientToken: 'x'.repeat(65) })));
  t.regex(tooLong.message, /ClientToken/);
  t.is(sim.state.snapshot().idempotencyTokens.filter((r) => r.action === 'AllocateEipAddress').length, 2);
});

test('a failed call does not consume its ClientToken', async (t) => {
  const sim = await startSim(t, { eipQuota: 0 });
  const vpc = vpcClient(sim);
  t.is((await sdkError(t, vpc.allocateEipAddress(req({ clientToken: 'tok' })))).code, 'QuotaExceeded.Eip');
  sim.setEipQuota(1);
  const ok = await allocate(vpc, { clientToken: 'tok' });
  t.regex(ok.allocationId, /^eip-/);
});

test('a specific address, a public IP address pool, and AllocateEipAddressPro re-creating a released EIP', async (t) => {
  const sim = await startSim(t, { associationDelayMs: 60_000 });
  const vpc = vpcClient(sim);
  const chosen = await allocate(vpc, { ipAddress: '47.96.3.3' });
  t.is(chosen.eipAddress, '47.96.3.3');
  t.is((await sdkError(t, vpc.allocateEipAddress(req({ ipAddress: '47.96.3.3' })))).code, 'ReserveIpFail');
  t.is((await sdkError(t, vpc.allocateEipAddress(req({ ipAddress: '8.8.8.8' })))).code, 'ReserveIpFail');
  const pooled = await allocate(vpc, { publicIpAddressPoolId: 'pippool-bp1podeipsim01' });
  t.is(pooled.eipAddress, '121.40.10.1');
  const described = await vpc.describeEipAddresses(
    new $Vpc.DescribeEipAddressesRequest({ regionId: R, publicIpAddressPoolId: 'pippool-bp1podeipsim01' }),
  );
  t.deepEqual(
    described.body!.eipAddresses!.eipAddress!.map((e) => e.allocationId),
    [pooled.allocationId],
  );

  await vpc.releaseEipAddress(new $Vpc.ReleaseEipAddressRequest({ regionId: R, allocationId: chosen.allocationId }));
  sim.state.scheduler.flush();
  const pro = await vpc.allocateEipAddressPro(
    new $Vpc.AllocateEipAddressProRequest({ regionId: R, instanceId: chosen.allocationId }),
  );
  t.is(pro.body!.allocationId, chosen.allocationId);
  t.is(pro.body!.eipAddress, '47.96.3.3');
  const fresh = await vpc.allocateEipAddressPro(new $Vpc.AllocateEipAddressProRequest({ regionId: R, bandwidth: '7' }));
  t.regex(fresh.body!.allocationId ?? '', /^eip-bp1/);
  t.is(
    (
      await sdkError(
        t,
        vpc.allocateEipAddressPro(new $Vpc.AllocateEipAddressProRequest({ regionId: R, instanceId: 'eip-bp1never' })),
      )
    ).code,
    'ReserveIpFail',
  );
});
