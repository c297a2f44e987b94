import test from 'ava';
import { Registry, type Counter } from 'prom-client';
import type { PodEvent } from '../../../agent/src/kube/types.js';
import { eventually, podManifest, startCluster } from './harness.js';

function recorder() {
  const seen: string[] = [];
  return {
    seen,
    handler: (e: PodEvent) => {
      seen.push(`${e.type} ${e.pod.namespace}/${e.pod.name}`);
    },
  };
}

test("lists and watches only this node's pods, delivering add/update/delete in order", async (t) => {
  const cluster = await startCluster();
  t.teardown(() => cluster.close());
  await cluster.core.createNamespacedPod({
    namespace: 'default',
    body: podManifest('before', 'node-a', { annotations: { 'k8s.aliyun.com/pod-with-eip': 'true' } }),
  });
  await cluster.core.createNamespacedPod({ namespace: 'default', body: podManifest('elsewhere', 'node-b') });
  const gateway = cluster.gateway();
  const { seen, handler } = recorder();
  gateway.pods.subscribe(handler);
  await gateway.pods.start();
  t.deepEqual(seen, ['added default/before'], 'the initial list is delivered as adds, node-b filtered out');
  const before = gateway.pods.cached('default', 'before')!;
  t.like(before, {
    namespace: 'default',
    name: 'before',
    nodeName: 'node-a',
    readinessGates: ['k8s.aliyun.com/eip'],
    annotations: { 'k8s.aliyun.com/pod-with-eip': 'true' },
  });
  t.truthy(before.uid);
  t.truthy(before.resourceVersion);
  t.is(gateway.pods.cached('default', 'elsewhere'), undefined);

  await cluster.core.createNamespacedPod({ namespace: 'default', body: podManifest('after', 'node-a') });
  await cluster.core.createNamespacedPod({ namespace: 'default', body: podManifest('other', 'node-b') });
  await cluster.core.patchNamespacedPod({
    namespace: 'default',
    name: 'after',
    body: [{ op: 'add', path: '/metadata/labels', value: { a: 'b' } }],
  });
  await cluster.core.deleteNamespacedPod({ namespace: 'default', name: 'before', gracePeriodSeconds: 0 });
  await eventually(() => seen.length >= 4 || undefined, 'four events');
  await new Promise((r) => setTimeout(r, 200));
  t.deepEqual(seen, ['added default/before', 'added default/after', 'updated default/after', 'deleted default/before']);
  t.deepEqual(
    gateway.pods.list().map((p) => p.name),
    ['after'],
  );
});

async function watchRestarts(registry: Registry, reason: string): Promise<number> {
  const metric = registry.getSingleMetric('podeip_kube_watch_restarts_total') as Counter | undefined;
  return (
    (await metric?.get())?.values.find((v) => v.labels.reason === reason && v.labels.resource === 'pods')?.value ?? 0
  );
}

test('a cut watch resumes from the last resourceVersion: changes made while it was down arrive once, in order', async (t) => {
  const cluster = await startCluster();
  t.teardown(() => cluster.close());
  await cluster.core.createNamespacedPod({ namespace: 'default', body: podManifest('a', 'node-a') });
  const registry = new Registry();
  const gateway = cluster.gateway({}, registry);
  const { seen, handler } = recorder();
  gateway.pods.subscribe(handler);
  await gateway.pods.start();
  await eventually(() => cluster.sim.stats().openWatches === 1 || undefined, 'the pod watch to open');

  // Keep the informer from reconnecting while the cluster changes, then let it back.
  cluster.sim.setFaults({ serverErrors: { probability: 1, verbs: ['watch'] } });
  t.is(cluster.sim.cutWatches(), 1);
  await cluster.core.createNamespacedPod({ namespace: 'default', body: podManifest('b', 'node-a') });
  await cluster.core.patchNamespacedPod({
    namespace: 'default',
    name: 'a',
    body: [{ op: 'add', path: '/metadata/labels', value: { v: '2' } }],
  });
  await cluster.core.deleteNamespacedPod({ namespace: 'default', name: 'b', gracePeriodSeconds: 0 });
  await new Promise((r) => setTimeout(r, 300));
  t.deepEqual(seen, ['added default/a'], 'nothing while the watch is down');
  cluster.sim.setFaults({});

  await eventually(() => seen.length >= 4 || undefined, 'the missed changes');
  await new Promise((r) => setTimeout(r, 300));
  t.deepEqual(seen, ['added default/a', 'added default/b', 'updated default/a', 'deleted default/b']);
  t.is(
    gateway.pods.cached('default', 'a')!.resourceVersion,
    (await cluster.core.readNamespacedPod({ namespace: 'default', name: 'a' })).metadata!.resourceVersion!,
  );
  t.true((await watchRestarts(registry, 'error')) >= 1, 'the failed reconnects are counted');
  t.is(await watchRestarts(registry, 'expired'), 0, 'no re-list was needed');

  // A cut with nothing missed delivers nothing.
  cluster.sim.cutWatches();
  await eventually(() => cluster.sim.stats().openWatches === 1 || undefined, 'the watch to reopen');
  await new Promise((r) => setTimeout(r, 200));
  t.is(seen.length, 4);
});

test('410 Gone re-lists and delivers only the difference, deletions and same-name recreations included', async (t) => {
  const cluster = await startCluster();
  t.teardown(() => cluster.close());
  for (const name of ['keep', 'change', 'remove', 'recreate']) {
    await cluster.core.createNamespacedPod({ namespace: 'default', body: podManifest(name, 'node-a') });
  }
  const registry = new Registry();
  const gateway = cluster.gateway({}, registry);
  const { seen, handler } = recorder();
  gateway.pods.subscribe(handler);
  await gateway.pods.start();
  const oldUid = gateway.pods.cached('default', 'recreate')!.uid;
  await eventually(() => cluster.sim.stats().openWatches === 1 || undefined, 'the pod watch to open');

  cluster.sim.setFaults({ serverErrors: { probability: 1, verbs: ['watch'] } });
  cluster.sim.cutWatches();
  await cluster.core.patchNamespacedPod({
    namespace: 'default',
    name: 'change',
    body: [{ op: 'add', path: '/metadata/labels', value: { v: '2' } }],
  });
  await cluster.core.deleteNamespacedPod({ namespace: 'default', name: 'remove', gracePeriodSeconds: 0 });
  await cluster.core.deleteNamespacedPod({ namespace: 'default', name: 'recreate', gracePeriodSeconds: 0 });
  await cluster.core.createNamespacedPod({ namespace: 'default', body: podManifest('recreate', 'node-a') });
  await cluster.core.createNamespacedPod({ namespace: 'default', body: podManifest('new', 'node-a') });
  await cluster.core.createNamespacedPod({ namespace: 'default', body: podManifest('not-ours', 'node-b') });
  cluster.sim.compact();
  cluster.sim.setFaults({});

  await eventually(async () => (await watchRestarts(registry, 'expired')) >= 1 || undefined, 'a re-list after 410');
  await eventually(() => seen.length >= 9 || undefined, 'the differences');
  await new Promise((r) => setTimeout(r, 300));
  t.deepEqual(seen.slice(0, 4).sort(), [
    'added default/change',
    'added default/keep',
    'added default/recreate',
    'added default/remove',
  ]);
  t.deepEqual(seen.slice(4), [
    'deleted default/remove',
    'updated default/change',
    'added default/new',
    'deleted default/recreate',
    'added default/recreate',
  ]);
  t.is(seen.length, 9, 'nothing for the unchanged pod, nothing for the other node');
  t.deepEqual(
    gateway.pods
      .list()
      .map((p) => p.name)
      .sort(),
    ['change', 'keep', 'new', 'recreate'],
  );
  t.not(gateway.pods.cached('default', 'recreate')!.uid, oldUid);
});

test('a graceful delete shows as an update carrying deletionTimestamp, then the delete', async (t) => {
  const cluster = await startCluster();
  t.teardown(() => cluster.close());
  await cluster.core.createNamespacedPod({ namespace: 'default', body: podManifest('web', 'node-a') });
  const gateway = cluster.gateway();
  const events: PodEvent[] = [];
  gateway.pods.subscribe((e) => events.push(e));
  await gateway.pods.start();
  await cluster.core.deleteNamespacedPod({ namespace: 'default', name: 'web', gracePeriodSeconds: 30 });
  const terminating = await eventually(() => events.find((e) => e.type === 'updated'), 'the terminating update');
  t.regex(terminating.pod.deletionTimestamp ?? '', /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  t.truthy(gateway.pods.cached('default', 'web')!.deletionTimestamp);
  await cluster.core.deleteNamespacedPod({ namespace: 'default', name: 'web', gracePeriodSeconds: 0 });
  await eventually(() => events.find((e) => e.type === 'deleted'), 'the delete');
  t.deepEqual(
    events.map((e) => e.type),
    ['added', 'updated', 'deleted'],
  );
});

test('bookmarks keep the resourceVersion fresh, so a reconnect after compaction needs no re-list', async (t) => {
  const cluster = await startCluster({ bookmarkIntervalMs: 50 });
  t.teardown(() => cluster.close());
  const registry = new Registry();
  const gateway = cluster.gateway({}, registry);
  const { seen, handler } = recorder();
  gateway.pods.subscribe(handler);
  await gateway.pods.start();
  // Changes on another node move the resourceVersion without any event for us.
  for (let i = 0; i < 5; i++)
    await cluster.core.createNamespacedPod({ namespace: 'default', body: podManifest(`x${i}`, 'node-b') });
  await new Promise((r) => setTimeout(r, 300));
  cluster.sim.compact();
  cluster.sim.cutWatches();
  await eventually(() => cluster.sim.stats().openWatches === 1 || undefined, 'the watch to reopen');
  await new Promise((r) => setTimeout(r, 200));
  t.is(await watchRestarts(registry, 'expired'), 0);
  t.deepEqual(seen, []);
});

test('the API server restarted with its state lost: the informer re-lists and reports every pod as deleted', async (t) => {
  const cluster = await startCluster();
  t.teardown(() => cluster.close());
  await cluster.core.createNamespacedPod({ namespace: 'default', body: podManifest('a', 'node-a') });
  const gateway = cluster.gateway({});
  const { seen, handler } = recorder();
  gateway.pods.subscribe(handler);
  await gateway.pods.start();
  await eventually(() => cluster.sim.stats().openWatches === 1 || undefined, 'the pod watch to open');
  await cluster.sim.restart({ keepState: false, downMs: 300 });
  await eventually(() => seen.length >= 2 || undefined, 'the deletion', 15_000);
  await cluster.core.createNamespacedPod({ namespace: 'default', body: podManifest('fresh', 'node-a') });
  await eventually(() => seen.length >= 3 || undefined, 'the new pod');
  t.deepEqual(seen, ['added default/a', 'deleted default/a', 'added default/fresh']);
});

test('get() answers from the cache, GETs on a miss, and is undefined for a missing pod', async (t) => {
  const cluster = await startCluster();
  t.teardown(() => cluster.close());
  const gateway = cluster.gateway({});
  await gateway.pods.start();
  // Blocks the watch so the new pod cannot be in the cache.
  cluster.sim.setFaults({ serverErrors: { probability: 1, verbs: ['watch'] } });
  cluster.sim.cutWatches();
  await cluster.core.createNamespacedPod({
    namespace: 'default',
    body: podManifest('fresh', 'node-a', { annotations: { 'k8s.aliyun.com/pod-with-eip': 'true' } }),
  });
  t.is(gateway.pods.cached('default', 'fresh'), undefined);
  const before = cluster.sim.stats().requests;
  const pod = await gateway.pods.get('default', 'fresh');
  t.like(pod, { name: 'fresh', nodeName: 'node-a', annotations: { 'k8s.aliyun.com/pod-with-eip': 'true' } });
  t.is(await gateway.pods.get('default', 'absent'), undefined);
  const after = cluster.sim.stats().requests;
  t.true(Object.values(after).reduce((a, b) => a + b, 0) > Object.values(before).reduce((a, b) => a + b, 0));
  cluster.sim.setFaults({});
  await eventually(() => gateway.pods.cached('default', 'fresh'), 'the watch to catch up');
  const statsBefore = JSON.stringify(cluster.sim.stats().requests);
  t.is((await gateway.pods.get('default', 'fresh'))!.name, 'fresh');
  t.is(JSON.stringify(cluster.sim.stats().requests), statsBefore, 'a cache hit makes no request');
});

test('stop() ends the watch and a pending start() rejects', async (t) => {
  const cluster = await startCluster();
  t.teardown(() => cluster.close());
  cluster.sim.setFaults({ serverErrors: { probability: 1, verbs: ['list'] } });
  const gateway = cluster.gateway({});
  const starting = gateway.pods.start();
  await new Promise((r) => setTimeout(r, 100));
  gateway.pods.stop();
  await t.throwsAsync(starting, { code: 'KUBE_STOPPED' });
  await gateway.pods.stopped();
  t.is(cluster.sim.stats().openWatches, 0);
});
