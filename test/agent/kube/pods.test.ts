import test from 'ava';
import { systemClock, type Clock } from '../../../lib/clock.js';
import { ADDRESS_ANNOTATIONS, EIP_CONDITION_TYPE } from '../../../agent/src/kube/index.js';
import { podManifest, startCluster } from './harness.js';

/**
 * Time that moves only when the test says, so condition times are exact however slow the
 * machine is (sleeps still take real time; the gateway's burst covers every request here).
 */
class SteppedClock implements Clock {
  static readonly BASE = Date.parse('2026-11-29T03:00:00Z');
  offsetMs = 0;
  now(): number {
    return SteppedClock.BASE + this.offsetMs;
  }
  setTimer(fn: () => void, ms: number): () => void {
    return systemClock.setTimer(fn, ms);
  }
}

const kubeletConditions = [
  { type: 'PodScheduled', status: 'True', lastTransitionTime: new Date('2026-01-01T00:00:00Z') },
  {
    type: 'Ready',
    status: 'False',
    reason: 'ReadinessGatesNotReady',
    lastTransitionTime: new Date('2026-01-01T00:00:01Z'),
  },
];

test('the EIP condition is set without touching other conditions; lastTransitionTime moves only on a flip', async (t) => {
  const cluster = await startCluster();
  t.teardown(() => cluster.close());
  await cluster.core.createNamespacedPod({ namespace: 'default', body: podManifest('web-0', 'node-a') });
  await cluster.core.replaceNamespacedPodStatus({
    namespace: 'default',
    name: 'web-0',
    body: {
      ...(await cluster.core.readNamespacedPod({ namespace: 'default', name: 'web-0' })),
      status: { phase: 'Pending', conditions: kubeletConditions },
    },
  });
  const clock = new SteppedClock();
  const gateway = cluster.gateway({}, undefined, clock);
  const conditions = async () =>
    (await cluster.core.readNamespacedPodStatus({ namespace: 'default', name: 'web-0' })).status!.conditions!;
  const ours = async () => (await conditions()).find((c) => c.type === EIP_CONDITION_TYPE)!;

  await gateway.setPodEipCondition(
    'default',
    'web-0',
    true,
    'Associate eip succeed',
    'eip-1 (39.102.0.7) on 192.168.0.9',
  );
  const first = await ours();
  t.like(first, {
    type: EIP_CONDITION_TYPE,
    status: 'True',
    reason: 'Associate eip succeed',
    message: 'eip-1 (39.102.0.7) on 192.168.0.9',
  });
  t.is(first.lastTransitionTime!.getTime(), SteppedClock.BASE);
  t.is(first.lastProbeTime!.getTime(), SteppedClock.BASE);
  t.deepEqual(
    (await conditions()).map((c) => c.type).sort(),
    ['PodScheduled', 'Ready', EIP_CONDITION_TYPE].sort(),
    "kubelet's conditions are still there",
  );
  t.like(
    (await conditions()).find((c) => c.type === 'Ready'),
    { status: 'False', reason: 'ReadinessGatesNotReady' },
  );

  clock.offsetMs = 60_000;
  await gateway.setPodEipCondition('default', 'web-0', true, 'Associate eip succeed', 'checked again');
  const second = await ours();
  t.deepEqual(second.lastTransitionTime, first.lastTransitionTime, 'same status: the transition time stays');
  t.is(second.lastProbeTime!.getTime(), SteppedClock.BASE + 60_000, 'the probe time moves');
  t.is(second.message, 'checked again');

  clock.offsetMs = 120_000;
  await gateway.setPodEipCondition('default', 'web-0', false, 'Disassociate eip', 'released');
  const third = await ours();
  t.is(third.status, 'False');
  t.is(third.lastTransitionTime!.getTime(), SteppedClock.BASE + 120_000, 'a flip moves the transition time');
  t.is((await conditions()).length, 3, 'still exactly one EIP condition');
});

test('allocated-eipAddress is written under both prefixes, over a stale value, leaving other annotations', async (t) => {
  const cluster = await startCluster();
  t.teardown(() => cluster.close());
  await cluster.core.createNamespacedPod({
    namespace: 'default',
    body: podManifest('web-1', 'node-a', {
      annotations: { 'k8s.aliyun.com/pod-with-eip': 'true', 'k8s.aliyun.com/allocated-eipAddress': '1.1.1.1' },
    }),
  });
  const gateway = cluster.gateway();
  await gateway.annotatePodAddress('default', 'web-1', '39.102.0.8');
  const annotations = (await cluster.core.readNamespacedPod({ namespace: 'default', name: 'web-1' })).metadata!
    .annotations!;
  t.deepEqual(ADDRESS_ANNOTATIONS, [
    'k8s.aliyun.com/allocated-eipAddress',
    'network.alibabacloud.com/allocated-eipAddress',
  ]);
  t.is(annotations['k8s.aliyun.com/allocated-eipAddress'], '39.102.0.8');
  t.is(annotations['network.alibabacloud.com/allocated-eipAddress'], '39.102.0.8');
  t.is(annotations['k8s.aliyun.com/pod-with-eip'], 'true');
  // What the spec's init-container recipe and users run:
  const viaKubectl = await cluster.kubectl(
    'get',
    'pod',
    'web-1',
    '-o',
    'jsonpath={.metadata.annotations.k8s\\.aliyun\\.com/allocated-eipAddress}',
  );
  t.is(viaKubectl, '39.102.0.8');
});

test('writes to a pod that does not exist fail with a typed 404', async (t) => {
  const cluster = await startCluster();
  t.teardown(() => cluster.close());
  const gateway = cluster.gateway();
  await t.throwsAsync(gateway.annotatePodAddress('default', 'ghost', '1.2.3.4'), {
    code: 'KUBE_API',
    message: /patch pods: the API server answered 404 NotFound/,
  });
  await t.throwsAsync(gateway.setPodEipCondition('default', 'ghost', true, 'x', 'y'), {
    code: 'KUBE_API',
    message: /404/,
  });
});

test('node reads: providerID and the set of node names', async (t) => {
  const cluster = await startCluster();
  t.teardown(() => cluster.close());
  await cluster.core.createNode({
    body: { metadata: { name: 'node-a' }, spec: { providerID: 'cn-hangzhou.i-bp1abc' } },
  });
  await cluster.core.createNode({ body: { metadata: { name: 'node-b' } } });
  const gateway = cluster.gateway();
  t.is(await gateway.nodeProviderId('node-a'), 'cn-hangzhou.i-bp1abc');
  t.is(await gateway.nodeProviderId('node-b'), undefined, 'no providerID');
  t.is(await gateway.nodeProviderId('node-x'), undefined, 'no node');
  t.deepEqual([...(await gateway.listNodeNames())].sort(), ['node-a', 'node-b']);
});

test("a caller's AbortSignal cancels a request in flight", async (t) => {
  const cluster = await startCluster();
  t.teardown(() => cluster.close());
  const gateway = cluster.gateway();
  cluster.sim.setFaults({ latencyMs: 6000 });
  const controller = new AbortController();
  const started = Date.now();
  const pending = gateway.getPodEip('default', 'x', controller.signal);
  setTimeout(() => controller.abort(new Error('CNI deadline')), 100);
  await t.throwsAsync(pending, { message: 'CNI deadline' });
  t.true(Date.now() - started < 5000, 'it did not wait for the slow answer');
});
