import test from 'ava';
import {
  $Ecs,
  $Vpc,
  allocate,
  ecsClient,
  sdkError,
  startSim,
  vpcClient,
  waitForStatus,
  type VpcClient,
} from './helpers.js';

const R = 'cn-hangzhou';
const ENI = 'eni-bp1podeipsim011';

const associateEni = (
  vpc: VpcClient,
  allocationId: string,
  privateIpAddress: string,
  extra: Partial<$Vpc.AssociateEipAddressRequest> = {},
) =>
  vpc.associateEipAddress(
    new $Vpc.AssociateEipAddressRequest({
      regionId: R,
      allocationId,
      instanceId: ENI,
      instanceType: 'NetworkInterface',
      privateIpAddress,
      ...extra,
    }),
  );

const describeOne = async (vpc: VpcClient, allocationId: string) =>
  (await vpc.describeEipAddresses(new $Vpc.DescribeEipAddressesRequest({ regionId: R, allocationId }))).body!
    .eipAddresses!.eipAddress![0];

test('bound to an ECS instance, the EIP forwards to its primary IP and Describe shows PrivateIpAddress empty', async (t) => {
  const sim = await startSim(t);
  const vpc = vpcClient(sim);
  const { allocationId } = await allocate(vpc);
  await vpc.associateEipAddress(
    new $Vpc.AssociateEipAddressRequest({ regionId: R, allocationId, instanceId: 'i-bp1podeipsim0002' }),
  );
  const eip = await waitForStatus(vpc, allocationId, 'InUse');
  t.like(eip, { instanceId: 'i-bp1podeipsim0002', instanceType: 'EcsInstance', privateIpAddress: '' });
  t.is(sim.state.eips.get(allocationId)?.binding?.privateIpAddress, '192.168.0.41');
});

test("bound to an ENI's primary IP, Describe shows PrivateIpAddress empty; to a secondary IP, it shows it", async (t) => {
  const sim = await startSim(t);
  const vpc = vpcClient(sim);
  const primary = await allocate(vpc);
  const secondary = await allocate(vpc);
  await associateEni(vpc, primary.allocationId, '192.168.0.21');
  await associateEni(vpc, secondary.allocationId, '192.168.0.25');
  t.is((await waitForStatus(vpc, primary.allocationId, 'InUse'))?.privateIpAddress, '');
  t.is((await waitForStatus(vpc, secondary.allocationId, 'InUse'))?.privateIpAddress, '192.168.0.25');

  const enis = await ecsClient(sim).describeNetworkInterfaces(
    new $Ecs.DescribeNetworkInterfacesRequest({ regionId: R, networkInterfaceId: [ENI] }),
  );
  const set = enis.body!.networkInterfaceSets!.networkInterfaceSet![0]!;
  t.like(set.associatedPublicIp, { publicIpAddress: primary.eipAddress, allocationId: primary.allocationId });
  const ips = set.privateIpSets!.privateIpSet!;
  t.like(ips.find((p) => p.privateIpAddress === '192.168.0.25')?.associatedPublicIp, {
    allocationId: secondary.allocationId,
  });
  t.is(ips.find((p) => p.privateIpAddress === '192.168.0.26')?.associatedPublicIp?.allocationId, '');
});

test('mutations racing an association get TaskConflict; wrong-state mutations get IncorrectEipStatus', async (t) => {
  // Transitions last a minute unless flushed, so the transitional states hold however slow the machine is.
  const sim = await startSim(t, { associationDelayMs: 60_000 });
  const vpc = vpcClient(sim);
  const { allocationId } = await allocate(vpc);

  const unbound = await sdkError(
    t,
    vpc.unassociateEipAddress(
      new $Vpc.UnassociateEipAddressRequest({
        regionId: R,
        allocationId,
        instanceId: ENI,
        instanceType: 'NetworkInterface',
      }),
    ),
  );
  t.is(unbound.code, 'IncorrectEipStatus');

  await associateEni(vpc, allocationId, '192.168.0.22');
  for (const call of [
    () => associateEni(vpc, allocationId, '192.168.0.23'),
    () => vpc.releaseEipAddress(new $Vpc.ReleaseEipAddressRequest({ regionId: R, allocationId })),
    () =>
      vpc.modifyEipAddressAttribute(
        new $Vpc.ModifyEipAddressAttributeRequest({ regionId: R, allocationId, name: 'x' }),
      ),
    () =>
      vpc.unassociateEipAddress(
        new $Vpc.UnassociateEipAddressRequest({
          regionId: R,
          allocationId,
          instanceId: ENI,
          instanceType: 'NetworkInterface',
        }),
      ),
    () =>
      vpc.tagResources(
        new $Vpc.TagResourcesRequest({
          regionId: R,
          resourceType: 'EIP',
          resourceId: [allocationId],
          tag: [new $Vpc.TagResourcesRequestTag({ key: 'k', value: 'v' })],
        }),
      ),
  ]) {
    const error = await sdkError(t, call());
    t.is(error.code, 'TaskConflict');
    t.is(error.statusCode, 400);
  }
  t.is((await describeOne(vpc, allocationId))?.status, 'Associating');
  sim.state.scheduler.flush();
  t.is((await describeOne(vpc, allocationId))?.status, 'InUse');

  t.is((await sdkError(t, associateEni(vpc, allocationId, '192.168.0.23'))).code, 'IncorrectEipStatus');
  t.is(
    (await sdkError(t, vpc.releaseEipAddress(new $Vpc.ReleaseEipAddressRequest({ regionId: R, allocationId })))).code,
    'IncorrectEipStatus',
  );
  await vpc.modifyEipAddressAttribute(
    new $Vpc.ModifyEipAddressAttributeRequest({ regionId: R, allocationId, name: 'renamed', bandwidth: '400' }),
  );
  t.like(await describeOne(vpc, allocationId), { name: 'renamed', bandwidth: '400', status: 'InUse' });

  await vpc.unassociateEipAddress(
    new $Vpc.UnassociateEipAddressRequest({
      regionId: R,
      allocationId,
      instanceId: ENI,
      instanceType: 'NetworkInterface',
    }),
  );
  t.is((await sdkError(t, associateEni(vpc, allocationId, '192.168.0.23'))).code, 'TaskConflict');
  sim.state.scheduler.flush();
  await vpc.releaseEipAddress(new $Vpc.ReleaseEipAddressRequest({ regionId: R, allocationId }));
  t.is(
    (await sdkError(t, vpc.releaseEipAddress(new $Vpc.ReleaseEipAddressRequest({ regionId: R, allocationId })))).code,
    'TaskConflict',
  );
  t.is((await describeOne(vpc, allocationId))?.status, 'Releasing');
  sim.state.scheduler.flush();
  t.is((await describeOne(vpc, allocationId))?.allocationId, undefined);
  const gone = await sdkError(
    t,
    vpc.releaseEipAddress(new $Vpc.ReleaseEipAddressRequest({ regionId: R, allocationId })),
  );
  t.is(gone.code, 'InvalidAllocationId.NotFound');
  t.is(gone.statusCode, 404);
});

test('one EIP per private IP: a second EIP on the same IP is InvalidAssociation.Duplicated', async (t) => {
  const sim = await startSim(t);
  const vpc = vpcClient(sim);
  const first = await allocate(vpc);
  const second = await allocate(vpc);
  await associateEni(vpc, first.allocationId, '192.168.0.24');
  const error = await sdkError(t, associateEni(vpc, second.allocationId, '192.168.0.24'));
  t.is(error.code, 'InvalidAssociation.Duplicated');
  await waitForStatus(vpc, first.allocationId, 'InUse');
  t.is(
    (await sdkError(t, associateEni(vpc, second.allocationId, '192.168.0.24'))).code,
    'InvalidAssociation.Duplicated',
  );
  await associateEni(vpc, second.allocationId, '192.168.0.27');
  t.is((await waitForStatus(vpc, second.allocationId, 'InUse'))?.privateIpAddress, '192.168.0.27');
});

test('associate validates its target: IP on the ENI, ENI exists, required fields, enums', async (t) => {
  const sim = await startSim(t);
  const vpc = vpcClient(sim);
  const { allocationId } = await allocate(vpc);
  const mismatch = await sdkError(t, associateEni(vpc, allocationId, '192.168.0.55'));
  t.is(mismatch.code, 'InvalidParameter.Mismatch');
  t.regex(mismatch.message, /192\.168\.0\.55/);
  const noEni = await sdkError(
    t,
    vpc.associateEipAddress(
      new $Vpc.AssociateEipAddressRequest({
        regionId: R,
        allocationId,
        instanceId: 'eni-bp1nothere',
        instanceType: 'NetworkInterface',
        privateIpAddress: '192.168.0.22',
      }),
    ),
  );
  t.is(noEni.code, 'InvalidInstanId.NotFound');
  t.is(noEni.statusCode, 404);
  const noIp = await sdkError(
    t,
    vpc.associateEipAddress(
      new $Vpc.AssociateEipAddressRequest({
        regionId: R,
        allocationId,
        instanceId: ENI,
        instanceType: 'NetworkInterface',
      }),
    ),
  );
  t.is(noIp.code, 'MissingParameter');
  t.regex(noIp.message, /PrivateIpAddress/);
  const noInstance = await sdkError(
    t,
    vpc.associateEipAddress(new $Vpc.AssociateEipAddressRequest({ regionId: R, allocationId })),
  );
  t.is(noInstance.code, 'MissingParameter');
  t.regex(noInstance.message, /InstanceId/);
  const badType = await sdkError(t, associateEni(vpc, allocationId, '192.168.0.22', { instanceType: 'Ecs' }));
  t.is(badType.code, 'InvalidParameter');
  t.regex(badType.message, /InstanceType/);
  const badMode = await sdkError(t, associateEni(vpc, allocationId, '192.168.0.22', { mode: 'nat' }));
  t.regex(badMode.message, /Mode/);
  const unknown = await sdkError(t, associateEni(vpc, 'eip-bp1doesnotexist', '192.168.0.22'));
  t.is(unknown.code, 'InvalidAllocationId.NotFound');
  t.is(unknown.statusCode, 404);
  t.is(sim.state.eips.get(allocationId)?.status, 'Available');
});

test('unassociate refuses an instance the EIP is not bound to and a different private IP', async (t) => {
  const sim = await startSim(t);
  const vpc = vpcClient(sim);
  const { allocationId } = await allocate(vpc);
  await associateEni(vpc, allocationId, '192.168.0.22');
  await waitForStatus(vpc, allocationId, 'InUse');
  const other = await sdkError(
    t,
    vpc.unassociateEipAddress(
      new $Vpc.UnassociateEipAddressRequest({
        regionId: R,
        allocationId,
        instanceId: 'eni-bp1podeipsim012',
        instanceType: 'NetworkInterface',
      }),
    ),
  );
  t.is(other.code, 'InvalidInstanceId.NotFound');
  const wrongIp = await sdkError(
    t,
    vpc.unassociateEipAddress(
      new $Vpc.UnassociateEipAddressRequest({
        regionId: R,
        allocationId,
        instanceId: ENI,
        instanceType: 'NetworkInterface',
        privateIpAddress: '192.168.0.23',
      }),
    ),
  );
  t.is(wrongIp.code, 'InvalidBindingStatus');
  t.is(sim.state.eips.get(allocationId)?.status, 'InUse');
});

test('a PrePaid EIP cannot be released; modify checks bandwidth against its charge type', async (t) => {
  const sim = await startSim(t);
  const vpc = vpcClient(sim);
  const prepaid = await vpc.allocateEipAddress(
    new $Vpc.AllocateEipAddressRequest({
      regionId: R,
      instanceChargeType: 'PrePaid',
      period: 1,
      pricingCycle: 'Month',
      autoPay: true,
    }),
  );
  t.true(Number.isInteger(prepaid.body!.orderId));
  const release = await sdkError(
    t,
    vpc.releaseEipAddress(new $Vpc.ReleaseEipAddressRequest({ regionId: R, allocationId: prepaid.body!.allocationId })),
  );
  t.is(release.code, 'Forbidden.ChargeTypeIsPrepaid');
  const traffic = await allocate(vpc, { internetChargeType: 'PayByTraffic' });
  const tooMuch = await sdkError(
    t,
    vpc.modifyEipAddressAttribute(
      new $Vpc.ModifyEipAddressAttributeRequest({ regionId: R, allocationId: traffic.allocationId, bandwidth: '201' }),
    ),
  );
  t.is(tooMuch.code, 'InvalidParameter');
  t.regex(tooMuch.message, /Bandwidth/);
  const http = await sdkError(
    t,
    vpc.modifyEipAddressAttribute(
      new $Vpc.ModifyEipAddressAttributeRequest({
        regionId: R,
        allocationId: traffic.allocationId,
        description: 'https://x',
      }),
    ),
  );
  t.regex(http.message, /Description/);
});

test('the same ClientToken on Associate replays success even after the EIP is InUse', async (t) => {
  const sim = await startSim(t);
  const vpc = vpcClient(sim);
  const { allocationId } = await allocate(vpc);
  await associateEni(vpc, allocationId, '192.168.0.22', { clientToken: 'assoc-1' });
  await waitForStatus(vpc, allocationId, 'InUse');
  const again = await associateEni(vpc, allocationId, '192.168.0.22', { clientToken: 'assoc-1' });
  t.is(again.statusCode, 200);
  const changed = await sdkError(t, associateEni(vpc, allocationId, '192.168.0.23', { clientToken: 'assoc-1' }));
  t.is(changed.code, 'IdempotentParameterMismatch');
  t.is(changed.statusCode, 400);
  t.is(sim.state.calls.count('AssociateEipAddress', 'Success'), 2);
});
