/**
 * A restarted agent finds rows in every intermediate state (written here as the crashed agent
 * would have left them, with the cloud in the matching state) and carries each to its goal
 * without leaking or double-allocating an EIP.
 */
import test from 'ava';
import { parseEipRequest } from '../../../agent/src/domain/eip-request.js';
import { clientToken } from '../../../agent/src/domain/ownership.js';
import { planBinding } from '../../../agent/src/binding/plan.js';
import { decodeAllocation, encodeAllocation } from '../../../agent/src/domain/stored-allocation.js';
import { BoundRowRepublisher } from '../../../agent/src/binding/republish.js';
import type { PodInfo } from '../../../agent/src/kube/types.js';
import { silentLogger } from '../../../agent/src/log/logger.js';
import type { BindingPatch, BindingRow, BindingState } from '../../../agent/src/store/journal.js';
import {
  allReleased,
  attachReq,
  createPod,
  eips,
  ip,
  never,
  startWorld,
  terminatePod,
  until,
  CLUSTER,
  NODE,
  type World,
} from './world.js';

const EIP = { 'k8s.aliyun.com/pod-with-eip': 'true' };
const ENI = 'eni-bp1podeipsim011';

interface SeedPod {
  name: string;
  uid: string;
  annotations?: Record<string, string>;
  owner?: string;
}

function seed(w: World, pod: SeedPod, podIp: string, state: BindingState, patch: BindingPatch = {}): BindingRow {
  const annotations = pod.annotations ?? EIP;
  const info: PodInfo = {
    namespace: 'default',
    name: pod.name,
    uid: pod.uid,
    nodeName: NODE,
    annotations,
    phase: 'Running',
    podIPs: [podIp],
    readinessGates: [],
    resourceVersion: '1',
    ownerReferences: pod.owner
      ? [{ apiVersion: 'apps/v1', kind: pod.owner, name: 'x', uid: 'o', controller: true }]
      : [],
  };
  const plan = planBinding(parseEipRequest(annotations)!, info, w.config, podIp);
  const row = w.journal.insert({
    namespace: 'default',
    podName: pod.name,
    podUid: pod.uid,
    containerId: `c-${pod.name}`,
    ifname: 'eth0',
    mode: plan.mode,
    releaseStrategy: plan.releaseStrategy,
    releaseAfter: plan.releaseAfter,
    generation: 1,
    clientToken: clientToken(CLUSTER, pod.uid, 1),
    allocateParams: encodeAllocation(plan),
    privateIp: podIp,
  });
  return w.journal.update(row.id, { state, ...patch });
}

/** What the crashed agent's AllocateEipAddress did in the cloud (commit, answer lost). */
async function allocatedByCrashedAgent(w: World, row: BindingRow): Promise<BindingPatch> {
  const eip = await w.cloud.allocateEip({
    ...decodeAllocation(row.allocateParams).allocate,
    clientToken: row.clientToken,
  });
  return { allocationId: eip.allocationId, address: eip.ipAddress };
}

async function associatedByCrashedAgent(w: World, allocationId: string, podIp: string): Promise<BindingPatch> {
  await w.cloud.associateEip({ allocationId, networkInterfaceId: ENI, privateIpAddress: podIp });
  await w.cloud.waitForEip(allocationId, (e) => e?.status === 'InUse');
  return { eniId: ENI };
}

async function restart(w: World): Promise<void> {
  await w.service.start();
  await w.service.reconciled();
}

const gone = (name: string): SeedPod => ({ name, uid: `uid-${name}-deleted` });

test.serial('pod gone: rows in every state end released, nothing leaks', async (t) => {
  const w = await startWorld(t, { noStart: true });
  seed(w, gone('p-pending'), ip(1), 'pending');
  seed(w, gone('p-allocating-nothing'), ip(2), 'allocating');
  const dropped = seed(w, gone('p-allocating-dropped'), ip(3), 'allocating');
  await allocatedByCrashedAgent(w, dropped);
  const allocated = seed(w, gone('p-allocated'), ip(4), 'allocated');
  w.journal.update(allocated.id, await allocatedByCrashedAgent(w, allocated));
  const associating = seed(w, gone('p-associating'), ip(5), 'associating');
  const a1 = await allocatedByCrashedAgent(w, associating);
  w.journal.update(associating.id, { ...a1, ...(await associatedByCrashedAgent(w, a1.allocationId!, ip(5))) });
  const bound = seed(w, gone('p-bound'), ip(6), 'bound');
  const a2 = await allocatedByCrashedAgent(w, bound);
  w.journal.update(bound.id, { ...a2, ...(await associatedByCrashedAgent(w, a2.allocationId!, ip(6))) });
  const unbinding = seed(w, gone('p-unbinding'), ip(7), 'unbinding');
  const a3 = await allocatedByCrashedAgent(w, unbinding);
  w.journal.update(unbinding.id, { ...a3, ...(await associatedByCrashedAgent(w, a3.allocationId!, ip(7))) });
  const unbound = seed(w, gone('p-unbound'), ip(8), 'unbound');
  w.journal.update(unbound.id, { ...(await allocatedByCrashedAgent(w, unbound)), eniId: ENI });
  const releasing = seed(w, gone('p-releasing'), ip(9), 'releasing');
  w.journal.update(releasing.id, { ...(await allocatedByCrashedAgent(w, releasing)), eniId: ENI });
  t.is(eips(w).length, 7);

  await restart(w);
  t.deepEqual(
    w.journal.nonTerminal().map((r) => `${r.podName}:${r.state}:${r.lastError}`),
    [],
  );
  t.true(
    eips(w).every((e) => e.status === 'Releasing'),
    'every EIP the crashed agent allocated is being released',
  );
  await allReleased(w);
});

test.serial('fixed TTL pod gone while bound: unbound and kept for its PodEIP, not released', async (t) => {
  const w = await startWorld(t, { noStart: true });
  const row = seed(
    w,
    {
      ...gone('db-0'),
      annotations: { ...EIP, 'k8s.aliyun.com/pod-eip-release-strategy': '10m' },
      owner: 'StatefulSet',
    },
    ip(1),
    'bound',
  );
  const a = await allocatedByCrashedAgent(w, row);
  w.journal.update(row.id, { ...a, ...(await associatedByCrashedAgent(w, a.allocationId!, ip(1))) });
  await restart(w);
  t.deepEqual(w.journal.nonTerminal(), []);
  t.like(eips(w)[0], { allocationId: a.allocationId, status: 'Available' });
});

test.serial(
  'pod alive, crashed in allocating after the cloud committed: the EIP is adopted, the ADD retry binds it, one EIP',
  async (t) => {
    const w = await startWorld(t, { noStart: true });
    const pod = await createPod(w, { name: 'web', annotations: EIP });
    const row = seed(w, { name: 'web', uid: pod.metadata!.uid! }, ip(1), 'allocating');
    const a = await allocatedByCrashedAgent(w, row);
    await restart(w);
    t.like(w.journal.get(row.id), { state: 'allocated', allocationId: a.allocationId });
    const res = await w.service.attach(attachReq(pod, row.containerId, ip(1)), never());
    t.like(res.binding, { state: 'bound', allocationId: a.allocationId });
    t.is(eips(w).length, 1);
  },
);

test.serial(
  'pod alive, crashed in allocating before the cloud saw it: the ADD retry allocates once with the same token',
  async (t) => {
    const w = await startWorld(t, { noStart: true });
    const pod = await createPod(w, { name: 'web', annotations: EIP });
    const row = seed(w, { name: 'web', uid: pod.metadata!.uid! }, ip(2), 'allocating');
    await restart(w);
    const res = await w.service.attach(attachReq(pod, row.containerId, ip(2)), never());
    t.is(res.binding?.state, 'bound');
    t.is(eips(w).length, 1);
    t.deepEqual(
      w.cloudSim.state
        .snapshot()
        .idempotencyTokens.filter((x) => x.action === 'AllocateEipAddress')
        .map((x) => x.clientToken),
      [row.clientToken],
    );
  },
);

test.serial('pod alive, crashed in pending: the ADD retry carries it on', async (t) => {
  const w = await startWorld(t, { noStart: true });
  const pod = await createPod(w, { name: 'web', annotations: EIP });
  const row = seed(w, { name: 'web', uid: pod.metadata!.uid! }, ip(3), 'pending');
  await restart(w);
  t.is(w.journal.get(row.id)?.state, 'pending');
  const res = await w.service.attach(attachReq(pod, row.containerId, ip(3)), never());
  t.like(res.binding, { state: 'bound' });
  t.is(eips(w).length, 1);
});

test.serial('pod alive, crashed while associating: finished and published on restart', async (t) => {
  const w = await startWorld(t, { noStart: true });
  const pod = await createPod(w, { name: 'web', annotations: EIP });
  const row = seed(w, { name: 'web', uid: pod.metadata!.uid! }, ip(4), 'associating');
  const a = await allocatedByCrashedAgent(w, row);
  w.journal.update(row.id, { ...a, ...(await associatedByCrashedAgent(w, a.allocationId!, ip(4))) });
  await restart(w);
  t.like(w.journal.get(row.id), { state: 'bound', allocationId: a.allocationId });
  t.like((await w.kube.getPodEip('default', 'web'))?.status, {
    eipAddress: a.address,
    status: 'InUse',
    privateIPAddress: ip(4),
  });
  const live = await w.core.readNamespacedPod({ namespace: 'default', name: 'web' });
  t.is(live.metadata!.annotations!['k8s.aliyun.com/allocated-eipAddress'], a.address!);
  t.is(eips(w).length, 1);
});

test.serial('pod alive, crashed mid-DEL (unbinding): the unbind completes, the EIP is kept for the pod', async (t) => {
  const w = await startWorld(t, { noStart: true });
  const pod = await createPod(w, { name: 'web', annotations: EIP });
  const row = seed(w, { name: 'web', uid: pod.metadata!.uid! }, ip(5), 'unbinding');
  const a = await allocatedByCrashedAgent(w, row);
  w.journal.update(row.id, { ...a, ...(await associatedByCrashedAgent(w, a.allocationId!, ip(5))) });
  await restart(w);
  t.is(w.journal.get(row.id)?.state, 'unbound');
  t.like(eips(w)[0], { status: 'Available', binding: null });
});

test.serial('pod terminating with an unbound row: released on restart', async (t) => {
  const w = await startWorld(t, { noStart: true });
  const pod = await createPod(w, { name: 'web', annotations: EIP });
  const row = seed(w, { name: 'web', uid: pod.metadata!.uid! }, ip(6), 'unbound');
  w.journal.update(row.id, { ...(await allocatedByCrashedAgent(w, row)), eniId: ENI });
  await terminatePod(w, 'web');
  await restart(w);
  await until(() => eips(w).length === 0, 'release');
  t.is(w.journal.get(row.id)?.state, 'gone');
});

test.serial("pod terminating with a bound row: the EIP stays until the runtime's DEL", async (t) => {
  const w = await startWorld(t, { noStart: true });
  const pod = await createPod(w, { name: 'web', annotations: EIP });
  const row = seed(w, { name: 'web', uid: pod.metadata!.uid! }, ip(7), 'bound');
  const a = await allocatedByCrashedAgent(w, row);
  w.journal.update(row.id, { ...a, ...(await associatedByCrashedAgent(w, a.allocationId!, ip(7))) });
  await terminatePod(w, 'web');
  await restart(w);
  t.is(w.journal.get(row.id)?.state, 'bound');
  t.like(eips(w)[0], { status: 'InUse' });
});

test.serial(
  'pod alive, crashed after bound before publishing: the restart publishes it in the background',
  async (t) => {
    const w = await startWorld(t, { noStart: true });
    const pod = await createPod(w, { name: 'web', annotations: EIP });
    const row = seed(w, { name: 'web', uid: pod.metadata!.uid! }, ip(9), 'bound');
    const a = await allocatedByCrashedAgent(w, row);
    w.journal.update(row.id, { ...a, ...(await associatedByCrashedAgent(w, a.allocationId!, ip(9))) });
    await restart(w);
    await until(
      async () => (await w.kube.getPodEip('default', 'web'))?.status.eipAddress === a.address,
      'the PodEIP published',
    );
    t.like((await w.kube.getPodEip('default', 'web'))?.status, {
      eipAddress: a.address,
      status: 'InUse',
      privateIPAddress: ip(9),
      node: NODE,
    });
    await until(
      () => w.kube.pods.cached('default', 'web')?.conditions?.['k8s.aliyun.com/eip'] === 'True',
      'the pod condition',
    );
    t.is(w.kube.pods.cached('default', 'web')?.annotations['k8s.aliyun.com/allocated-eipAddress'], a.address);
  },
);

/** Requests the API server saw that change something (every verb but get, list and watch). */
function writes(w: World): number {
  return Object.entries(w.kubeSim.stats().requests)
    .filter(([key]) => !/^(get|list|watch) /.test(key))
    .reduce((sum, [, n]) => sum + n, 0);
}

test.serial(
  'bound rows after a restart: one LIST, no write when the API server already holds them, a rewrite when it does not',
  async (t) => {
    const w = await startWorld(t, { noStart: true });
    const pod = await createPod(w, { name: 'web', annotations: EIP });
    const row = seed(w, { name: 'web', uid: pod.metadata!.uid! }, ip(10), 'associating');
    const a = await allocatedByCrashedAgent(w, row);
    w.journal.update(row.id, { ...a, ...(await associatedByCrashedAgent(w, a.allocationId!, ip(10))) });
    await restart(w);
    await until(
      () => w.kube.pods.cached('default', 'web')?.conditions?.['k8s.aliyun.com/eip'] === 'True',
      'the pod condition',
    );
    const ctx = {
      journal: w.journal,
      cloud: w.cloud,
      kube: w.kube,
      logger: silentLogger,
      config: w.config,
      now: Date.now,
    };
    const failures: unknown[] = [];
    const check = async (): Promise<{ writes: number; lists: number }> => {
      const before = { writes: writes(w), lists: w.kubeSim.stats().requests['list podeips'] ?? 0 };
      const republisher = new BoundRowRepublisher(
        ctx,
        (_row, fn) => fn(),
        (_id, err) => failures.push(err),
      );
      republisher.add(row.id);
      await republisher.run(never());
      t.is(republisher.pendingRows, 0);
      return {
        writes: writes(w) - before.writes,
        lists: (w.kubeSim.stats().requests['list podeips'] ?? 0) - before.lists,
      };
    };
    t.deepEqual(await check(), { writes: 0, lists: 1 }, 'a published row costs one LIST and no write');

    await w.core.patchNamespacedPod({
      namespace: 'default',
      name: 'web',
      body: [{ op: 'remove', path: '/metadata/annotations/k8s.aliyun.com~1allocated-eipAddress' }],
    });
    await until(
      () => w.kube.pods.cached('default', 'web')?.annotations['k8s.aliyun.com/allocated-eipAddress'] === undefined,
      'the informer sees the removal',
    );
    t.true((await check()).writes > 0, 'a row the API server lost is published again');
    await until(
      () => w.kube.pods.cached('default', 'web')?.annotations['k8s.aliyun.com/allocated-eipAddress'] === a.address,
      'the annotation back',
    );
    t.deepEqual(failures, []);
  },
);
