/**
 * Every CloudClient method through the official SDK, over HTTP, against the cloud simulator:
 * success paths, the documented failure paths, and the read-before-write rules.
 */
import test from 'ava';
import { CloudError } from '../../../agent/src/cloud/errors.js';
import { callsOf, clientFor, firstInstance, simState, startSim, total } from './helpers/sim.js';

const token = (name: string) => `podeip-test-${name}-${Math.random().toString(36).slice(2, 10)}`;

test('allocate with tags, idempotent on the same ClientToken; describe; release; release again', async (t) => {
  const sim = await startSim();
  const { client } = clientFor(sim);
  t.teardown(async () => {
    client.close();
    await sim.close();
  });
  const clientToken = token('alloc');
  const req = {
    clientToken,
    bandwidth: '10',
    internetChargeType: 'PayByTraffic' as const,
    name: 'pod-a',
    tags: { 'podeip.io/cluster': 'c1', 'podeip.io/pod-uid': 'u1' },
  };
  const a = await client.allocateEip(req);
  t.regex(a.allocationId, /^eip-/);
  t.regex(a.ipAddress, /^\d+\.\d+\.\d+\.\d+$/);
  const again = await client.allocateEip(req);
  t.deepEqual(again, a, 'same token, same parameters: the same EIP');
  const eip = await client.describeEip(a.allocationId);
  t.is(eip?.status, 'Available');
  t.is(eip?.bandwidth, '10');
  t.is(eip?.internetChargeType, 'PayByTraffic');
  t.is(eip?.name, 'pod-a');
  t.deepEqual(eip?.tags, req.tags);
  const state = await simState(sim);
  t.is(state.eips.length, 1);
  t.deepEqual(state.eips[0]!.tags, req.tags);

  const mismatch = await t.throwsAsync(client.allocateEip({ ...req, bandwidth: '20' }), { instanceOf: CloudError });
  t.is(mismatch.cloudCode, 'IdempotentParameterMismatch');
  t.is(mismatch.code, 'CloudRejected');
  t.false(mismatch.retryable);
  t.truthy(mismatch.requestId);

  await client.releaseEip(a.allocationId);
  t.is(await client.waitForEip(a.allocationId, () => true), undefined, 'released EIPs vanish');
  t.is(await client.describeEip(a.allocationId), undefined);
  await client.releaseEip(a.allocationId);
  t.is((await simState(sim)).eips.length, 0);
});

test('bad input and a full quota are typed errors that name the problem and create nothing', async (t) => {
  const sim = await startSim({ eipQuota: 1 });
  const { client } = clientFor(sim);
  t.teardown(async () => {
    client.close();
    await sim.close();
  });
  const tooMany = Object.fromEntries(Array.from({ length: 21 }, (_, i) => [`k${i}`, 'v']));
  await t.throwsAsync(client.allocateEip({ clientToken: token('t'), tags: tooMany }), {
    message: /tags: at most 20 tags/,
  });
  await t.throwsAsync(client.allocateEip({ clientToken: 'x'.repeat(65), tags: {} }), {
    message: /clientToken: must be 1-64/,
  });
  const bad = await t.throwsAsync(client.allocateEip({ clientToken: token('bw'), bandwidth: '9999', tags: {} }), {
    instanceOf: CloudError,
  });
  t.is(bad.code, 'CloudRejected');
  t.is(bad.httpStatus, 400);
  await client.allocateEip({ clientToken: token('one'), tags: {} });
  const quota = await t.throwsAsync(client.allocateEip({ clientToken: token('two'), tags: {} }), {
    instanceOf: CloudError,
  });
  t.is(quota.code, 'EipQuotaExceeded');
  t.is(quota.cloudCode, 'QuotaExceeded.Eip');
  t.is(total(callsOf(await simState(sim), 'AllocateEipAddress')), 3, 'permanent failures are not retried');
  t.is((await simState(sim)).eips.length, 1);
});

test('associate to a secondary IP and to a primary IP, wait for InUse, repeat is success, binding elsewhere is refused', async (t) => {
  const sim = await startSim();
  const { client } = clientFor(sim);
  t.teardown(async () => {
    client.close();
    await sim.close();
  });
  const { instance, primary, secondary } = firstInstance(sim);
  const secondaryIp = primary.privateIpAddresses[3]!;
  const eni = await client.findEniByPrivateIp(instance.instanceId, secondaryIp);
  t.is(eni?.networkInterfaceId, primary.networkInterfaceId);
  const a = await client.allocateEip({ clientToken: token('a'), tags: {} });
  const binding = {
    allocationId: a.allocationId,
    networkInterfaceId: eni!.networkInterfaceId,
    privateIpAddress: secondaryIp,
  };
  await client.associateEip(binding);
  const bound = await client.waitForEip(a.allocationId, (e) => e?.status === 'InUse');
  t.is(bound?.status, 'InUse');
  t.is(bound?.instanceId, primary.networkInterfaceId);
  t.is(bound?.privateIpAddress, secondaryIp);
  t.is(bound?.instanceType, 'NetworkInterface');
  await client.associateEip(binding);
  t.pass('associating the same binding again succeeds');

  const otherIp = primary.privateIpAddresses[4]!;
  const refused = await t.throwsAsync(client.associateEip({ ...binding, privateIpAddress: otherIp }), {
    instanceOf: CloudError,
  });
  t.is(refused.code, 'CloudRejected');
  t.regex(refused.message, /is InUse on/);

  // An exclusive ENI's primary IP: the cloud reports an empty PrivateIpAddress.
  const exclusiveIp = secondary.privateIpAddresses[0]!;
  const exclusive = await client.findEniByPrivateIp(instance.instanceId, exclusiveIp);
  t.is(exclusive?.networkInterfaceId, secondary.networkInterfaceId);
  t.is(exclusive?.primaryIpAddress, exclusiveIp);
  const b = await client.allocateEip({ clientToken: token('b'), tags: {} });
  const primaryBinding = {
    allocationId: b.allocationId,
    networkInterfaceId: secondary.networkInterfaceId,
    privateIpAddress: exclusiveIp,
  };
  await client.associateEip(primaryBinding);
  const onPrimary = await client.waitForEip(b.allocationId, (e) => e?.status === 'InUse');
  t.is(onPrimary?.privateIpAddress, '');
  await client.associateEip(primaryBinding);
  await client.unassociateEip(primaryBinding);
  t.is((await client.waitForEip(b.allocationId, (e) => e?.status === 'Available'))?.status, 'Available');

  const missing = await t.throwsAsync(client.associateEip({ ...binding, allocationId: 'eip-doesnotexist0000' }), {
    instanceOf: CloudError,
  });
  t.is(missing.code, 'CloudNotFound');
});

test('unassociate: success when bound, already unbound, gone, or moved elsewhere (and then the other binding stays)', async (t) => {
  const sim = await startSim();
  const { client } = clientFor(sim);
  t.teardown(async () => {
    client.close();
    await sim.close();
  });
  const { primary } = firstInstance(sim);
  const ipA = primary.privateIpAddresses[1]!;
  const ipB = primary.privateIpAddresses[2]!;
  const a = await client.allocateEip({ clientToken: token('a'), tags: {} });
  const mine = { allocationId: a.allocationId, networkInterfaceId: primary.networkInterfaceId, privateIpAddress: ipA };
  await client.associateEip(mine);
  // Unassociate while Associating: it waits for InUse, then unbinds.
  await client.unassociateEip(mine);
  t.is((await client.waitForEip(a.allocationId, (e) => e?.status === 'Available'))?.status, 'Available');
  await client.unassociateEip(mine);
  t.pass('already unbound is success');

  const theirs = { ...mine, privateIpAddress: ipB };
  await client.associateEip(theirs);
  await client.waitForEip(a.allocationId, (e) => e?.status === 'InUse');
  const before = callsOf(await simState(sim), 'UnassociateEipAddress');
  await client.unassociateEip(mine);
  const after = await simState(sim);
  t.deepEqual(callsOf(after, 'UnassociateEipAddress'), before, 'no Unassociate is sent for an EIP that moved');
  const eip = after.eips.find((e) => e.allocationId === a.allocationId)!;
  t.is(eip.status, 'InUse');
  t.deepEqual([eip.binding?.instanceId, eip.binding?.privateIpAddress], [primary.networkInterfaceId, ipB]);

  await client.unassociateEip({ ...mine, allocationId: 'eip-doesnotexist0000' });
  t.pass('a vanished EIP is success');
});

test('release: an InUse EIP is refused with nothing changed; after unbinding it goes', async (t) => {
  const sim = await startSim();
  const { client } = clientFor(sim);
  t.teardown(async () => {
    client.close();
    await sim.close();
  });
  const { primary } = firstInstance(sim);
  const a = await client.allocateEip({ clientToken: token('a'), tags: {} });
  const binding = {
    allocationId: a.allocationId,
    networkInterfaceId: primary.networkInterfaceId,
    privateIpAddress: primary.privateIpAddresses[5]!,
  };
  await client.associateEip(binding);
  await client.waitForEip(a.allocationId, (e) => e?.status === 'InUse');
  const refused = await t.throwsAsync(client.releaseEip(a.allocationId), { instanceOf: CloudError });
  t.is(refused.code, 'CloudRejected');
  t.is(refused.cloudCode, 'IncorrectEipStatus');
  t.regex(refused.message, /unassociate it first/);
  await client.unassociateEip(binding);
  // Release while Unassociating waits for the transition, then releases.
  await client.releaseEip(a.allocationId);
  t.is(await client.waitForEip(a.allocationId, () => true), undefined);
});

test('concurrent describes of 120 EIPs become 3 DescribeEipAddresses calls; one poller serves many waiters', async (t) => {
  const sim = await startSim({ rateLimits: 'off', eipQuota: 100 });
  const { client } = clientFor(sim);
  t.teardown(async () => {
    client.close();
    await sim.close();
  });
  const { primary, secondary } = firstInstance(sim);
  const real = await Promise.all(
    Array.from({ length: 10 }, (_, i) => client.allocateEip({ clientToken: token(`d${i}`), tags: {} })),
  );
  const ids = [
    ...real.map((r) => r.allocationId),
    ...Array.from({ length: 110 }, (_, i) => `eip-missing${String(i).padStart(6, '0')}`),
  ];
  const before = total(callsOf(await simState(sim), 'DescribeEipAddresses'));
  const found = await Promise.all(ids.map((id) => client.describeEip(id)));
  const describes = total(callsOf(await simState(sim), 'DescribeEipAddresses')) - before;
  t.is(describes, 3, '120 ids at most 50 per call');
  t.is(found.filter(Boolean).length, 10);
  t.deepEqual(
    found.slice(0, 10).map((e) => e!.allocationId),
    real.map((r) => r.allocationId),
  );

  const ips = [...primary.privateIpAddresses.slice(1), ...secondary.privateIpAddresses.slice(1)];
  await Promise.all(
    real.map((r, i) =>
      client.associateEip({
        allocationId: r.allocationId,
        networkInterfaceId: i < 9 ? primary.networkInterfaceId : secondary.networkInterfaceId,
        privateIpAddress: ips[i]!,
      }),
    ),
  );
  const polled0 = total(callsOf(await simState(sim), 'DescribeEipAddresses'));
  const waited = await Promise.all(real.map((r) => client.waitForEip(r.allocationId, (e) => e?.status === 'InUse')));
  const polls = total(callsOf(await simState(sim), 'DescribeEipAddresses')) - polled0;
  t.true(waited.every((e) => e?.status === 'InUse'));
  // 100 ms transition, 50 ms ticks: a few ticks, each one call for all ten EIPs.
  t.true(polls >= 1 && polls <= 6, `ten waiters took ${polls} describe calls`);
  t.log(`10 EIPs waited for with ${polls} DescribeEipAddresses calls`);
});

test('listEipsByTags pages through more than 100 EIPs and filters by every tag', async (t) => {
  const sim = await startSim({ rateLimits: 'off', eipQuota: 200 });
  const { client } = clientFor(sim);
  t.teardown(async () => {
    client.close();
    await sim.close();
  });
  const mine = { 'podeip.io/cluster': 'c1', 'podeip.io/managed-by': 'podeip' };
  await Promise.all(
    Array.from({ length: 105 }, (_, i) => client.allocateEip({ clientToken: token(`m${i}`), tags: mine })),
  );
  await Promise.all(
    Array.from({ length: 5 }, (_, i) =>
      client.allocateEip({
        clientToken: token(`o${i}`),
        tags: { 'podeip.io/cluster': 'c2', 'podeip.io/managed-by': 'podeip' },
      }),
    ),
  );
  const list = await client.listEipsByTags(mine);
  t.is(list.length, 105);
  t.is(new Set(list.map((e) => e.allocationId)).size, 105);
  t.true(list.every((e) => e.tags['podeip.io/cluster'] === 'c1'));
  t.is((await client.listEipsByTags({ 'podeip.io/managed-by': 'podeip' })).length, 110);
  await t.throwsAsync(client.listEipsByTags({}), { message: /tags: give at least one tag/ });
});

test('tag writes with the same tags are batched; a bad id fails only its own caller', async (t) => {
  const sim = await startSim({ rateLimits: 'off', eipQuota: 100 });
  const { client } = clientFor(sim);
  t.teardown(async () => {
    client.close();
    await sim.close();
  });
  const eips = await Promise.all(
    Array.from({ length: 60 }, (_, i) => client.allocateEip({ clientToken: token(`t${i}`), tags: {} })),
  );
  const tags = { 'podeip.io/state': 'released-by-gc', 'podeip.io/cluster': 'c1' };
  await Promise.all(eips.map((e) => client.tagEip(e.allocationId, tags)));
  const state = await simState(sim);
  t.is(total(callsOf(state, 'TagResources')), 2, '60 EIPs with the same tags: two calls of <= 50');
  t.true(state.eips.every((e) => e.tags['podeip.io/state'] === 'released-by-gc'));

  const results = await Promise.allSettled([
    client.tagEip(eips[0]!.allocationId, { k: 'v' }),
    client.tagEip('eip-doesnotexist0000', { k: 'v' }),
    client.tagEip(eips[1]!.allocationId, { k: 'v' }),
  ]);
  t.is(results[0].status, 'fulfilled');
  t.is(results[2].status, 'fulfilled');
  t.is(results[1].status, 'rejected');
  const err = (results[1] as PromiseRejectedResult).reason;
  t.true(err instanceof CloudError);
  t.log(`bad id: ${(err as CloudError).code} ${(err as CloudError).cloudCode}`);
});

test('bandwidth package add and remove, both repeatable', async (t) => {
  const sim = await startSim();
  const { client } = clientFor(sim);
  t.teardown(async () => {
    client.close();
    await sim.close();
  });
  const pkg = sim.topology.bandwidthPackages[0]!.bandwidthPackageId;
  const a = await client.allocateEip({ clientToken: token('bw'), tags: {} });
  await client.addToBandwidthPackage(pkg, a.allocationId);
  const inPkg = await client.waitForEip(a.allocationId, (e) => e?.bandwidthPackageId === pkg);
  t.is(inPkg?.bandwidthPackageId, pkg);
  await client.addToBandwidthPackage(pkg, a.allocationId);
  t.pass('adding again is success');
  const wrong = await t.throwsAsync(client.addToBandwidthPackage('cbwp-doesnotexist01', a.allocationId), {
    instanceOf: CloudError,
  });
  t.is(wrong.cloudCode, 'InvalidBandwidthPackageId.NotFound');
  t.is(wrong.code, 'CloudNotFound');
  await client.removeFromBandwidthPackage(pkg, a.allocationId);
  const out = await client.waitForEip(a.allocationId, (e) => e?.bandwidthPackageId === '');
  t.is(out?.bandwidthPackageId, '');
  await client.removeFromBandwidthPackage(pkg, a.allocationId);
  await client.removeFromBandwidthPackage(pkg, 'eip-doesnotexist0000');
  t.pass('removing what is not in the package is success');
});

test('findEniByPrivateIp pages DescribeNetworkInterfaces, caches per instance and refreshes on a miss', async (t) => {
  const enis = Array.from({ length: 130 }, (_, k) => ({
    networkInterfaceId: `eni-big${String(k).padStart(4, '0')}`,
    type: k === 0 ? 'Primary' : 'Secondary',
    macAddress: `00:16:3e:01:${(k >> 8).toString(16).padStart(2, '0')}:${(k & 255).toString(16).padStart(2, '0')}`,
    privateIpAddresses: [`10.1.${k}.1`, `10.1.${k}.2`],
  }));
  const sim = await startSim({
    topology: {
      vpcs: [{ vpcId: 'vpc-big', cidrBlock: '10.0.0.0/8' }],
      vswitches: [{ vSwitchId: 'vsw-big', vpcId: 'vpc-big', zoneId: 'cn-hangzhou-h', cidrBlock: '10.1.0.0/16' }],
      instances: [{ instanceId: 'i-big', vSwitchId: 'vsw-big', networkInterfaces: enis }],
    },
  });
  const { client } = clientFor(sim);
  t.teardown(async () => {
    client.close();
    await sim.close();
  });
  const last = await client.findEniByPrivateIp('i-big', '10.1.129.2');
  t.is(last?.networkInterfaceId, 'eni-big0129');
  t.is(last?.type, 'Secondary');
  t.deepEqual(last?.privateIpAddresses, ['10.1.129.1', '10.1.129.2']);
  const first = await client.findEniByPrivateIp('i-big', '10.1.0.1');
  t.is(first?.type, 'Primary');
  t.is(first?.instanceId, 'i-big');
  const afterHits = total(callsOf(await simState(sim), 'DescribeNetworkInterfaces'));
  t.is(afterHits, 2, '130 ENIs, 100 per page: two pages, then cache hits');
  t.is(await client.findEniByPrivateIp('i-big', '10.1.200.9'), undefined);
  t.is(total(callsOf(await simState(sim), 'DescribeNetworkInterfaces')), 4, 'a miss refreshes (two pages)');
});

test('the old HMAC-SHA1 signature works too', async (t) => {
  const sim = await startSim();
  const { client } = clientFor(sim, { legacySignature: true });
  t.teardown(async () => {
    client.close();
    await sim.close();
  });
  const a = await client.allocateEip({ clientToken: token('v1'), tags: { a: 'b' } });
  t.is((await client.describeEip(a.allocationId))?.tags.a, 'b');
});

test('a wrong secret is CloudAuthFailed, not retried, and the secret appears nowhere', async (t) => {
  const sim = await startSim();
  const secret = 'wrong-secret-value-0123456789';
  const { client, logs } = clientFor(sim, {
    credentials: { type: 'access_key', accessKeyId: sim.accessKeyId, accessKeySecret: secret },
  });
  t.teardown(async () => {
    client.close();
    await sim.close();
  });
  const e = await t.throwsAsync(client.allocateEip({ clientToken: token('x'), tags: {} }), { instanceOf: CloudError });
  t.is(e.code, 'CloudAuthFailed');
  t.is(e.cloudCode, 'SignatureDoesNotMatch');
  t.false(e.retryable);
  t.is(total(callsOf(await simState(sim), 'AllocateEipAddress')), 1);
  const unknown = clientFor(sim, {
    credentials: { type: 'access_key', accessKeyId: 'nobody', accessKeySecret: secret },
  });
  t.teardown(() => unknown.client.close());
  const e2 = await t.throwsAsync(unknown.client.describeEip('eip-x'), { instanceOf: CloudError });
  t.is(e2.cloudCode, 'InvalidAccessKeyId.NotFound');
  t.is(e2.httpStatus, 404);
  for (const text of [
    ...logs,
    ...unknown.logs,
    e.message,
    e.stack ?? '',
    e2.message,
    JSON.stringify(e),
    JSON.stringify(e2),
  ]) {
    t.false(text.includes(secret));
  }
  t.true(
    logs.some((l) => l.includes(e.requestId)),
    'the RequestId is logged',
  );
});

test('bad options name the field and the fix', (t) => {
  const sim = {
    regionId: 'cn-hangzhou',
    endpoint: '127.0.0.1:1',
    accessKeyId: 'a',
    accessKeySecret: 'b',
    topology: { vpcs: [{ vpcId: 'vpc-x' }] },
  } as never;
  t.throws(() => clientFor(sim, { endpoints: { vpcEndpoint: 'http://127.0.0.1:1' } }), {
    message: /endpoints\.vpcEndpoint: must be HOST or HOST:PORT without a scheme/,
  });
  t.throws(() => clientFor(sim, { regionId: '' }), { message: /regionId: is required/ });
  t.throws(() => clientFor(sim, { protocol: 'ftp' as never }), { message: /protocol: must be 'http' or 'https'/ });
  t.throws(() => clientFor(sim, { budgetShare: 2 }), { message: /budgetShare: must be a fraction/ });
  t.throws(() => clientFor(sim, { credentials: { type: 'access_key', accessKeyId: '', accessKeySecret: 'x' } }), {
    message: /credentials\.accessKeyId: is required/,
  });
  t.throws(
    () =>
      clientFor(sim, {
        credentials: { type: 'oidc_role_arn', roleArn: 'r', oidcProviderArn: 'p', oidcTokenFile: '', stsEndpoint: 's' },
      }),
    { message: /credentials\.oidcTokenFile/ },
  );
  t.throws(() => clientFor(sim, { timeouts: { readMs: -1 } }), { message: /timeouts\.readMs/ });
});
