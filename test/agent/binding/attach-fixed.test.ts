import test from 'ava';
import { BindingError } from '../../../agent/src/domain/errors.js';
import {
  allocateCalls,
  attachReq,
  createPod,
  detachReq,
  earlierIncarnationEip,
  eips,
  ip,
  never,
  removePod,
  startWorld,
  terminatePod,
  until,
  type World,
} from './world.js';

const EIP = { 'k8s.aliyun.com/pod-with-eip': 'true' };
const STS = { kind: 'StatefulSet', name: 'db' };

async function runAndDelete(
  w: World,
  name: string,
  annotations: Record<string, string>,
  containerId: string,
  podIp: string,
  owner = STS,
) {
  const pod = await createPod(w, { name, annotations, owner });
  const { binding } = await w.service.attach(attachReq(pod, containerId, podIp), never());
  await terminatePod(w, name);
  await w.service.detach(detachReq(pod, containerId), never());
  await removePod(w, name);
  await until(() => w.journal.nonTerminal().length === 0, `${name}'s binding finished`);
  return binding!;
}

test.serial(
  'fixed TTL: the EIP outlives the pod; the PodEIP keeps it with podLastSeen; a recreated pod of the same name gets it back',
  async (t) => {
    const w = await startWorld(t);
    const annotations = { ...EIP, 'k8s.aliyun.com/pod-eip-release-strategy': '10m' };
    const first = await runAndDelete(w, 'db-0', annotations, 'c1', ip(1));
    t.like(first, { mode: 'fixed', releaseStrategy: 'TTL', releaseAfter: '10m' });
    t.like(eips(w)[0], { allocationId: first.allocationId, status: 'Available' });
    const podEip = await w.kube.getPodEip('default', 'db-0');
    t.like(podEip, {
      spec: {
        allocationID: first.allocationId,
        allocationType: { type: 'Auto', releaseStrategy: 'TTL', releaseAfter: '10m' },
      },
    });
    t.truthy(podEip?.status.podLastSeen);
    t.is(podEip?.deletionTimestamp, undefined);

    const again = await createPod(w, { name: 'db-0', annotations, owner: STS });
    const res = await w.service.attach(attachReq(again, 'c2', ip(2)), never());
    t.like(res.binding, {
      allocationId: first.allocationId,
      eipAddress: first.eipAddress,
      state: 'bound',
      privateIp: ip(2),
    });
    t.is(allocateCalls(w), 1);
    t.like((await w.kube.getPodEip('default', 'db-0'))?.status, { status: 'InUse', privateIPAddress: ip(2) });
  },
);

test.serial('fixed Never: kept with its PodEIP', async (t) => {
  const w = await startWorld(t);
  const first = await runAndDelete(
    w,
    'db-1',
    { ...EIP, 'network.alibabacloud.com/pod-eip-release-strategy': 'Never' },
    'c1',
    ip(3),
  );
  t.like(first, { mode: 'fixed', releaseStrategy: 'Never' });
  t.like(eips(w)[0], { allocationId: first.allocationId, status: 'Available' });
  t.like((await w.kube.getPodEip('default', 'db-1'))?.spec.allocationType, { releaseStrategy: 'Never' });
});

test.serial('fixed Follow: released with the pod; the next pod of that name gets a new EIP', async (t) => {
  const w = await startWorld(t);
  const first = await runAndDelete(w, 'db-2', EIP, 'c1', ip(4));
  t.like(first, { mode: 'fixed', releaseStrategy: 'Follow' });
  t.is(eips(w).length, 0);
  t.is(await w.kube.getPodEip('default', 'db-2'), undefined);
  const again = await createPod(w, { name: 'db-2', annotations: EIP, owner: STS });
  const res = await w.service.attach(attachReq(again, 'c2', ip(5)), never());
  t.not(res.binding!.allocationId, first.allocationId);
});

test.serial('a kind in customStatefulWorkloadKinds is stateful too', async (t) => {
  const w = await startWorld(t);
  const pod = await createPod(w, {
    name: 'gs-0',
    annotations: { ...EIP, 'k8s.aliyun.com/pod-eip-release-strategy': '5m30s' },
    owner: { kind: 'GameServerSet', name: 'gs' },
  });
  const { binding } = await w.service.attach(attachReq(pod, 'c1', ip(6)), never());
  t.like(binding, { mode: 'fixed', releaseStrategy: 'TTL', releaseAfter: '5m30s' });
});

test.serial(
  'Never or a duration on a stateless pod is refused with NotStatefulPod and an Event; nothing is allocated',
  async (t) => {
    const w = await startWorld(t);
    const pod = await createPod(w, {
      name: 'web-abc',
      annotations: { ...EIP, 'k8s.aliyun.com/pod-eip-release-strategy': 'Never' },
      owner: { kind: 'ReplicaSet', name: 'web' },
    });
    const err = await t.throwsAsync(w.service.attach(attachReq(pod, 'c1', ip(7)), never()));
    t.is((err as BindingError).code, 'NotStatefulPod');
    t.regex(err.message, /ReplicaSet web.*customStatefulWorkloadKinds/);
    t.is(allocateCalls(w), 0);
    t.deepEqual(w.journal.nonTerminal(), []);
    await until(
      async () =>
        (await w.core.listNamespacedEvent({ namespace: 'default' })).items.some(
          (e) => e.reason === 'NotStatefulPod' && e.involvedObject.name === 'web-abc',
        ),
      'the Warning event',
    );
  },
);

test.serial(
  "fixed: an EIP still bound to the previous pod's IP on a dead node is taken over after the grace period",
  async (t) => {
    const w = await startWorld(t, { config: { takeoverAfterMs: 1500 } });
    const annotations = { ...EIP, 'k8s.aliyun.com/pod-eip-release-strategy': '10m' };
    const stale = { allocationId: await earlierIncarnationEip(w, 'db-0') };
    const pod = await createPod(w, { name: 'db-0', annotations, owner: STS });
    const started = Date.now();
    const res = await w.service.attach(attachReq(pod, 'c1', ip(8)), never());
    t.true(Date.now() - started >= 1500, 'waited for the old binding to be let go first');
    t.like(res.binding, { allocationId: stale.allocationId, state: 'bound', privateIp: ip(8) });
    t.like(eips(w)[0], { status: 'InUse', binding: { instanceId: 'eni-bp1podeipsim011', privateIpAddress: ip(8) } });
    t.is(allocateCalls(w), 1, 'only the earlier agent allocated');
    await until(
      async () =>
        (await w.core.listNamespacedEvent({ namespace: 'default' })).items.some(
          (e) => e.reason === 'EipTakenOver' && e.involvedObject.name === 'db-0',
        ),
      'the EipTakenOver event',
    );
  },
);
