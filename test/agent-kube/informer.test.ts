import test from 'ava';
import type { PodEvent } from '../../agent/src/kube/types.js';
import { eventually, podManifest, startCluster } from './harness.js';

function recorder() {
  const seen: string[] = [];
  return { seen, handler: (e: PodEvent) => { seen.push(`${e.type} ${e.pod.namespace}/${e.pod.name}`); } };
}

test('lists and watches only this node\'s pods, delivering add/update/delete in order', async (t) => {
  const cluster = await startCluster();
  t.teardown(() => cluster.close());
  await cluster.core.createNamespacedPod({ namespace: 'default', body: podManifest('before', 'node-a', { annotations: { 'k8s.aliyun.com/pod-with-eip': 'true' } }) });
  await cluster.core.createNamespacedPod({ namespace: 'default', body: podManifest('elsewhere', 'node-b') });
  const gateway = cluster.gateway();
  const { seen, handler } = recorder();
  gateway.pods.subscribe(handler);
  await gateway.pods.start();
  t.deepEqual(seen, ['added default/before'], 'the initial list is delivered as adds, node-b filtered out');
  const before = gateway.pods.cached('default', 'before')!;
  t.like(before, { namespace: 'default', name: 'before', nodeName: 'node-a', readinessGates: ['k8s.aliyun.com/eip'], annotations: { 'k8s.aliyun.com/pod-with-eip': 'true' } });
  t.truthy(before.uid);
  t.truthy(before.resourceVersion);
  t.is(gateway.pods.cached('default', 'elsewhere'), undefined);

  await cluster.core.createNamespacedPod({ namespace: 'default', body: podManifest('after', 'node-a') });
  await cluster.core.createNamespacedPod({ namespace: 'default', body: podManifest('other', 'node-b') });
  await cluster.core.patchNamespacedPod({ namespace: 'default', name: 'after', body: [{ op: 'add', path: '/metadata/labels', value: { a: 'b' } }] });
  await cluster.core.deleteNamespacedPod({ namespace: 'default', name: 'before', gracePeriodSeconds: 0 });
  await eventually(() => seen.length >= 4 || undefined, 'four events');
  await new Promise((r) => setTimeout(r, 200));
  t.deepEqual(seen, ['added default/before', 'added default/after', 'updated default/after', 'deleted default/before']);
  t.deepEqual(gateway.pods.list().map((p) => p.name), ['after']);
});
