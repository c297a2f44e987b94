/**
 * The warm pool and the quota check against the real SDK and the simulators: a pod takes a pool
 * EIP (its tags before its association, no Allocate on its path), a gone pod's Follow EIP is
 * recycled, the pool respects the quota reserve, and a pod past the quota is refused at once
 * without AllocateEipAddress. A take cut short before the pod's bandwidth is finished on resume,
 * and a starting pool does not fill before it knows the cluster's pool count (maxTotal).
 */
import test from 'ava';
import { status } from '@grpc/grpc-js';
import { BindingError } from '../../../agent/src/domain/errors.js';
import { grpcStatusFor } from '../../../agent/src/server/status-codes.js';
import { poolTags, TAG_POOL } from '../../../agent/src/domain/pool-tags.js';
import {
  allocateCalls,
  attachReq,
  createPod,
  eips,
  ip,
  never,
  removePod,
  startWorld,
  until,
  CLUSTER,
  NODE,
  type World,
} from './world.js';

const EIP = { 'k8s.aliyun.com/pod-with-eip': 'true' };

function idle(w: World): string[] {
  return w.journal
    .poolRows()
    .filter((r) => r.state === 'idle')
    .map((r) => r.allocationId);
}

function callsOf(w: World, action: string): number {
  return Object.values(w.cloudSim.state.snapshot().calls[action] ?? {}).reduce((a, b) => a + b, 0);
}

test.serial(
  'a pod takes a pool EIP: its tags go on before the association, no AllocateEipAddress on its path, records as a fresh one',
  async (t) => {
    const w = await startWorld(t, { pool: { minIdle: 2, maxIdle: 4 } });
    await until(() => idle(w).length === 2, 'the pool filled to minIdle');
    const pooled = idle(w);
    for (const e of eips(w).filter((x) => pooled.includes(x.allocationId))) {
      t.deepEqual(e.tags, { 'podeip.io/cluster-id': CLUSTER, 'podeip.io/managed-by': 'podeip', [TAG_POOL]: NODE });
    }
    const pod = await createPod(w, { name: 'web', annotations: EIP });
    const order: string[] = [];
    const stop = w.cloudSim.observeRequests((action) => order.push(action));
    const allocationsBefore = allocateCalls(w);
    const { binding } = await w.service.attach(attachReq(pod, 'c1', ip(1)), never());
    stop();
    t.true(pooled.includes(binding!.allocationId), 'the pod got a pool EIP');
    t.is(binding!.state, 'bound');
    t.true(
      order.indexOf('TagResources') >= 0 && order.indexOf('TagResources') < order.indexOf('AssociateEipAddress'),
      `TagResources before AssociateEipAddress: ${order.join(',')}`,
    );
    // The only Allocate is the background refill the take kicked off (it may run alongside).
    t.true(allocateCalls(w) - allocationsBefore <= 1, `at most the refill behind it: ${order.join(',')}`);
    const eip = eips(w).find((e) => e.allocationId === binding!.allocationId)!;
    t.like(eip.tags, {
      'podeip.io/cluster-id': CLUSTER,
      'podeip.io/namespace': 'default',
      'podeip.io/pod-name': 'web',
      'podeip.io/pod-uid': pod.metadata!.uid!,
      'podeip.io/node': NODE,
      'podeip.io/managed-by': 'podeip',
    });
    t.like(eip.binding, { privateIpAddress: ip(1) });
    t.like(eip, { bandwidth: 5, internetChargeType: 'PayByTraffic' });
    const podEip = await w.kube.getPodEip('default', 'web');
    t.like(podEip?.spec, {
      allocationID: binding!.allocationId,
      allocationType: { type: 'Auto', releaseStrategy: 'Follow' },
    });
    t.like(podEip?.status, { eipAddress: binding!.eipAddress, privateIPAddress: ip(1), status: 'InUse', node: NODE });
    const live = await w.core.readNamespacedPod({ namespace: 'default', name: 'web' });
    t.is(live.metadata!.annotations!['k8s.aliyun.com/allocated-eipAddress'], binding!.eipAddress);
    await until(() => idle(w).length === 2, 'the pool refilled behind the pod');
    t.false(idle(w).includes(binding!.allocationId), 'the taken EIP left the pool');
    t.regex(await w.registry.getSingleMetricAsString('podeip_pool_takes_total'), /result="hit"\} 1/);
  },
);

test.serial('a different bandwidth is set on the pool EIP; a different ISP gets a fresh EIP', async (t) => {
  const w = await startWorld(t, { pool: { minIdle: 1, maxIdle: 2 } });
  await until(() => idle(w).length === 1, 'the pool filled');
  const wide = await createPod(w, { name: 'wide', annotations: { ...EIP, 'k8s.aliyun.com/eip-bandwidth': '20' } });
  const pooled = idle(w)[0];
  const { binding } = await w.service.attach(attachReq(wide, 'c1', ip(1)), never());
  t.is(binding!.allocationId, pooled);
  t.is(eips(w).find((e) => e.allocationId === pooled)!.bandwidth, 20);
  t.is(callsOf(w, 'ModifyEipAddressAttribute'), 1);

  await until(() => idle(w).length === 1, 'the pool refilled');
  const allocations = allocateCalls(w);
  const pro = await createPod(w, { name: 'pro', annotations: { ...EIP, 'k8s.aliyun.com/eip-isp': 'BGP_PRO' } });
  const res = await w.service.attach(attachReq(pro, 'c2', ip(2)), never());
  t.false(idle(w).includes(res.binding!.allocationId) || res.binding!.allocationId === pooled);
  t.is(allocateCalls(w), allocations + 1, 'one fresh allocation for the mismatching profile');
  t.like(
    eips(w).find((e) => e.allocationId === res.binding!.allocationId),
    { isp: 'BGP_PRO' },
  );
});

test.serial(
  "a gone pod's Follow EIP goes back to the pool retagged; the next pod gets that address; past maxIdle it is released",
  async (t) => {
    const w = await startWorld(t, { pool: { minIdle: 0, maxIdle: 1 } });
    const first = await createPod(w, {
      name: 'game-a',
      annotations: { ...EIP, 'k8s.aliyun.com/eip-tags': '{"team":"games"}' },
    });
    const a = (await w.service.attach(attachReq(first, 'c1', ip(1)), never())).binding!;
    await removePod(w, 'game-a');
    await until(() => idle(w).includes(a.allocationId), 'the EIP recycled into the pool');
    const recycled = eips(w).find((e) => e.allocationId === a.allocationId)!;
    t.deepEqual(
      recycled.tags,
      { 'podeip.io/cluster-id': CLUSTER, 'podeip.io/managed-by': 'podeip', [TAG_POOL]: NODE },
      'pod and user tags gone, pool tag on',
    );
    t.is(recycled.binding, null);
    await until(async () => (await w.kube.getPodEip('default', 'game-a')) === undefined, 'the PodEIP went');

    const allocations = allocateCalls(w);
    const second = await createPod(w, { name: 'game-b', annotations: EIP });
    const b = (await w.service.attach(attachReq(second, 'c2', ip(2)), never())).binding!;
    t.is(b.allocationId, a.allocationId);
    t.is(b.eipAddress, a.eipAddress, 'the restarted game server keeps its address');
    t.is(allocateCalls(w), allocations);
    t.false(
      'team' in eips(w).find((e) => e.allocationId === b.allocationId)!.tags,
      "the earlier pod's user tags did not follow",
    );

    // The pool holds one idle EIP at most: with one there, the next gone pod's EIP is released.
    const third = await createPod(w, { name: 'game-c', annotations: EIP });
    const c = (await w.service.attach(attachReq(third, 'c3', ip(3)), never())).binding!;
    await removePod(w, 'game-b');
    await until(() => idle(w).includes(b.allocationId), "game-b's EIP recycled");
    await removePod(w, 'game-c');
    await until(() => !eips(w).some((e) => e.allocationId === c.allocationId), "game-c's EIP released past maxIdle");
    t.deepEqual(idle(w), [b.allocationId]);
  },
);

test.serial("with recycle off a gone pod's EIP is released, not pooled", async (t) => {
  const w = await startWorld(t, { pool: { minIdle: 0, maxIdle: 2, recycle: false } });
  const pod = await createPod(w, { name: 'web', annotations: EIP });
  const { binding } = await w.service.attach(attachReq(pod, 'c1', ip(1)), never());
  await removePod(w, 'web');
  await until(() => !eips(w).some((e) => e.allocationId === binding!.allocationId), 'released');
  t.deepEqual(w.journal.poolRows(), []);
});

test.serial('the pool never takes the last quotaReserve EIPs of the quota', async (t) => {
  const w = await startWorld(t, { eipQuota: 4, pool: { minIdle: 5, maxIdle: 5, quotaReserve: 2 } });
  await until(() => idle(w).length === 2, 'the pool filled up to the reserve');
  await new Promise((r) => setTimeout(r, 500));
  t.is(idle(w).length, 2, 'and no further');
  t.is(eips(w).length, 2);
  t.is(w.quota.used(), 2);
  // A pod still gets one: from the pool, leaving the reserve alone.
  const pod = await createPod(w, { name: 'web', annotations: EIP });
  t.is((await w.service.attach(attachReq(pod, 'c1', ip(1)), never())).binding!.state, 'bound');
});

test.serial(
  'an auto pod past the quota fails at once, "try again later", with an Event saying how to raise it, and no AllocateEipAddress',
  async (t) => {
    const w = await startWorld(t, { eipQuota: 2 });
    for (const n of [1, 2]) {
      await w.cloud.allocateEip({ clientToken: `someone-else-${n}`, tags: { owner: 'another-team' } });
    }
    // The GC leader's next listing (here taken directly) brings the count up to date.
    w.quota.observe({ eips: await w.cloud.countEips(), pool: 0, listedAt: Date.now() });
    const pod = await createPod(w, { name: 'web', annotations: EIP });
    const allocations = allocateCalls(w);
    const started = Date.now();
    const err = await t.throwsAsync(w.service.attach(attachReq(pod, 'c1', ip(1)), never()));
    t.true(Date.now() - started < 5000, `answered in ${Date.now() - started} ms`);
    t.true(err instanceof BindingError);
    t.is((err as BindingError).code, 'EipQuotaExceeded');
    t.is(
      grpcStatusFor('EipQuotaExceeded'),
      status.RESOURCE_EXHAUSTED,
      'which the plugin reports as CNI 11, try again later',
    );
    t.regex(err.message, /EipQuotaExceeded.*try again later/);
    t.is(allocateCalls(w), allocations, 'AllocateEipAddress was not called');
    t.is(w.journal.bySandbox('c1', 'eth0')?.state, 'failed');
    await until(
      async () =>
        (await w.core.listNamespacedEvent({ namespace: 'default' })).items.some(
          (e) =>
            e.reason === 'EipQuotaExceeded' &&
            e.involvedObject.name === 'web' &&
            /holds 2 EIPs/.test(e.message ?? '') &&
            /quota is 2/.test(e.message ?? '') &&
            /Quota Center/.test(e.message ?? ''),
        ),
      'the Event naming quota, count and fix',
    );
    t.regex(await w.registry.getSingleMetricAsString('podeip_eip_quota'), /podeip_eip_quota 2/);
    t.regex(await w.registry.getSingleMetricAsString('podeip_eip_quota_used'), /podeip_eip_quota_used 2/);
  },
);

test.serial("the count follows this node's own allocations and releases between listings", async (t) => {
  const w = await startWorld(t, { eipQuota: 10 });
  t.is(w.quota.used(), 0);
  const pod = await createPod(w, { name: 'web', annotations: EIP });
  await w.service.attach(attachReq(pod, 'c1', ip(1)), never());
  t.is(w.quota.used(), 1);
  await removePod(w, 'web');
  await until(() => eips(w).length === 0, 'released');
  await until(() => w.quota.used() === 0, 'the release counted');
  w.quota.observe({ eips: 7, pool: 0, listedAt: Date.now() });
  t.is(w.quota.used(), 7, 'a newer listing replaces the estimate');
  w.quota.observe({ eips: 3, pool: 0, listedAt: Date.now() - 60_000 });
  t.is(w.quota.used(), 7, 'an older listing does not');
});

test.serial(
  "after a crash mid-take the pool EIP without the pod's tags is idle again, and one with them is the pod's",
  async (t) => {
    const w = await startWorld(t, { pool: { minIdle: 2, maxIdle: 2, tickMs: 60_000 } });
    await until(() => idle(w).length === 2, 'the pool filled');
    const [untouched, tagged] = w.journal.poolRows();
    w.journal.poolUpdate(untouched!.id, { state: 'taking', bindingId: 999 });
    w.journal.poolUpdate(tagged!.id, { state: 'taking', bindingId: 998 });
    await w.cloud.tagEip(tagged!.allocationId, {
      'podeip.io/pod-uid': 'uid-of-a-pod',
      'podeip.io/pod-name': 'p',
      'podeip.io/namespace': 'default',
    });
    await w.restart();
    await until(() => w.journal.poolRows().every((r) => r.state !== 'taking'), 'the taking rows resolved');
    const rows = w.journal.poolRows();
    t.true(rows.some((r) => r.allocationId === untouched!.allocationId && r.state === 'idle'));
    t.false(
      rows.some((r) => r.allocationId === tagged!.allocationId),
      "the tagged one is no longer the pool's",
    );
  },
);

test.serial(
  "a take cut short between the pod's tags and its bandwidth: the retry sets the bandwidth before the association",
  async (t) => {
    // No periodic pass meanwhile: only the binding's recovery can finish the take.
    const w = await startWorld(t, { pool: { minIdle: 1, maxIdle: 2, tickMs: 60_000 } });
    await until(() => idle(w).length === 1, 'the pool filled');
    const pooled = idle(w)[0]!;
    const pod = await createPod(w, { name: 'wide', annotations: { ...EIP, 'k8s.aliyun.com/eip-bandwidth': '20' } });
    // The process dies (here: the call fails for good) after TagResources, before ModifyEipAddressAttribute is done.
    w.cloudSim.setFaults({
      ModifyEipAddressAttribute: { errors: [{ code: 'Forbidden.RAM', status: 403, probability: 1 }] },
    });
    await t.throwsAsync(w.service.attach(attachReq(pod, 'c1', ip(1)), never()));
    w.cloudSim.setFaults({});
    const cut = eips(w).find((e) => e.allocationId === pooled)!;
    t.is(cut.tags['podeip.io/pod-uid'], pod.metadata!.uid!, "the pod's tags are on");
    t.is(cut.bandwidth, 5, "the pool's bandwidth is still on");
    t.like(
      w.journal.poolRows().find((r) => r.allocationId === pooled),
      { state: 'taking' },
      'the journal says the take is unfinished',
    );

    const order: string[] = [];
    const stop = w.cloudSim.observeRequests((action) => order.push(action));
    const { binding } = await w.service.attach(attachReq(pod, 'c1', ip(1)), never());
    stop();
    t.is(binding!.allocationId, pooled, 'the retry keeps the EIP it was given, no second pool EIP');
    t.is(binding!.state, 'bound');
    t.is(eips(w).find((e) => e.allocationId === pooled)!.bandwidth, 20);
    t.true(
      order.includes('ModifyEipAddressAttribute') &&
        order.indexOf('ModifyEipAddressAttribute') < order.indexOf('AssociateEipAddress'),
      `the bandwidth before the association: ${order.join(',')}`,
    );
    t.false(
      w.journal.poolRows().some((r) => r.allocationId === pooled),
      'the pool no longer holds it',
    );
  },
);

test.serial(
  "a take cut short before its bandwidth, whose pod never comes back: the pool's pass sets the bandwidth the pod asked for",
  async (t) => {
    const w = await startWorld(t, { pool: { minIdle: 1, maxIdle: 2 } });
    await until(() => idle(w).length === 1, 'the pool filled');
    const pooled = idle(w)[0]!;
    const pod = await createPod(w, { name: 'wide', annotations: { ...EIP, 'k8s.aliyun.com/eip-bandwidth': '30' } });
    w.cloudSim.setFaults({
      ModifyEipAddressAttribute: { errors: [{ code: 'Forbidden.RAM', status: 403, probability: 1 }] },
    });
    await t.throwsAsync(w.service.attach(attachReq(pod, 'c1', ip(1)), never()));
    w.cloudSim.setFaults({});
    await w.restart();
    await until(() => !w.journal.poolRows().some((r) => r.allocationId === pooled), 'the taking row settled');
    await w.service.reconciled();
    const eip = eips(w).find((e) => e.allocationId === pooled)!;
    t.is(eip.bandwidth, 30);
    t.is(
      eip.tags['podeip.io/pod-uid'],
      pod.metadata!.uid!,
      "the pod's EIP, for its binding's recovery or the release paths",
    );
  },
);

test.serial(
  "a starting pool does not refill before it knows the cluster's pool count, then stops at maxTotal",
  async (t) => {
    const w = await startWorld(t, {
      noStart: true,
      pool: { minIdle: 2, maxIdle: 2, maxTotal: 3, listingWaitMs: 60_000 },
    });
    for (const n of [1, 2])
      await w.cloud.allocateEip({ clientToken: `other-node-${n}`, tags: poolTags(CLUSTER, 'node-2') });
    await w.service.start();
    await w.pool!.start();
    const allocations = allocateCalls(w);
    await new Promise((resolve) => setTimeout(resolve, 600));
    t.is(allocateCalls(w), allocations, "no refill while the cluster's pool count is unknown");
    t.is(w.quota.poolTotal(), undefined);
    // The GC leader's listing arrives (read from its Lease): two idle pool EIPs in the cluster, maxTotal 3.
    w.quota.observe({ eips: eips(w).length, pool: 2, listedAt: Date.now() });
    await until(() => idle(w).length === 1, 'the pool filled up to maxTotal');
    await new Promise((resolve) => setTimeout(resolve, 600));
    t.is(idle(w).length, 1, 'and no further, though minIdle is 2');
    t.is(w.quota.poolTotal(), 3);
  },
);

test.serial(
  "with no leader's listing, a starting pool counts the cluster's pool EIPs itself and does not fill past maxTotal",
  async (t) => {
    const w = await startWorld(t, { noStart: true, pool: { minIdle: 2, maxIdle: 2, maxTotal: 3 } });
    for (const n of [1, 2, 3])
      await w.cloud.allocateEip({ clientToken: `other-node-${n}`, tags: poolTags(CLUSTER, 'node-2') });
    // A taken pool EIP (pod tags on) and another team's EIP do not count.
    await w.cloud.allocateEip({
      clientToken: 'taken',
      tags: { ...poolTags(CLUSTER, 'node-2'), 'podeip.io/pod-uid': 'u-1' },
    });
    await w.cloud.allocateEip({ clientToken: 'someone-else', tags: { team: 'media' } });
    const allocations = allocateCalls(w);
    await w.service.start();
    await w.pool!.start();
    await until(() => w.quota.poolTotal() !== undefined, "the pool counted the cluster's pool EIPs");
    t.is(w.quota.poolTotal(), 3);
    await new Promise((resolve) => setTimeout(resolve, 600));
    t.is(allocateCalls(w), allocations, 'the cluster holds maxTotal idle pool EIPs already');
    t.deepEqual(idle(w), []);
  },
);

test.serial(
  'when the cloud refuses for the quota (others allocated since the listing), the pod fails at once with EipQuotaExceeded and an Event too',
  async (t) => {
    const w = await startWorld(t, { eipQuota: 20 });
    w.cloudSim.setEipQuota(0);
    const pod = await createPod(w, { name: 'web', annotations: EIP });
    const started = Date.now();
    const err = await t.throwsAsync(w.service.attach(attachReq(pod, 'c1', ip(1)), never()));
    t.true(Date.now() - started < 5000, `answered in ${Date.now() - started} ms`);
    t.is((err as { code?: string }).code, 'EipQuotaExceeded');
    t.is(eips(w).length, 0);
    await until(
      async () =>
        (await w.core.listNamespacedEvent({ namespace: 'default' })).items.some(
          (e) =>
            e.reason === 'EipQuotaExceeded' &&
            e.involvedObject.name === 'web' &&
            /cloud refused/.test(e.message ?? '') &&
            /cloud\.eipQuota 20/.test(e.message ?? '') &&
            /Quota Center/.test(e.message ?? ''),
        ),
      'the Event naming quota, count and fix',
    );
  },
);
