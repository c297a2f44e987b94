import test from 'ava';
import * as k8s from '@kubernetes/client-node';
import { harness, podManifest, until, type Harness } from './helpers.js';

interface Seen {
  kind: 'add' | 'update' | 'delete';
  name: string;
  rv: string;
}

/** A node-scoped pod informer as the agent runs it: list+watch with fieldSelector spec.nodeName, restarted after errors. */
function nodeInformer(
  h: Harness,
  node: string,
): { informer: k8s.ListWatch<k8s.V1Pod>; seen: Seen[]; errors: unknown[]; stop: () => void } {
  const core = h.kc.makeApiClient(k8s.CoreV1Api);
  const fieldSelector = `spec.nodeName=${node}`;
  const informer = new k8s.ListWatch<k8s.V1Pod>(
    '/api/v1/pods',
    new k8s.Watch(h.kc),
    () => core.listPodForAllNamespaces({ fieldSelector }),
    false,
    undefined,
    fieldSelector,
  );
  const seen: Seen[] = [];
  const errors: unknown[] = [];
  let stopped = false;
  for (const kind of ['add', 'update', 'delete'] as const) {
    informer.on(kind, (pod) => seen.push({ kind, name: pod.metadata!.name!, rv: pod.metadata!.resourceVersion! }));
  }
  informer.on('error', (err) => {
    errors.push(err);
    if (!stopped) setTimeout(() => void informer.start(), 50);
  });
  return {
    informer,
    seen,
    errors,
    stop: () => {
      stopped = true;
      void informer.stop();
    },
  };
}

const names = (seen: Seen[]): string[] => seen.map((s) => `${s.kind} ${s.name}`);

async function setup(t: import('ava').ExecutionContext, options: Parameters<typeof harness>[0] = {}) {
  const h = await harness(options);
  const core = h.kc.makeApiClient(k8s.CoreV1Api);
  const inf = nodeInformer(h, 'node-1');
  t.teardown(async () => {
    inf.stop();
    await h.sim.close();
  });
  await inf.informer.start();
  return { h, core, inf };
}

test('a node-scoped informer sees add, update and delete of its pods in order, and nothing of other nodes', async (t) => {
  const { core, inf } = await setup(t);
  await core.createNamespacedPod({ namespace: 'default', body: podManifest('a', 'node-1') });
  await core.createNamespacedPod({ namespace: 'default', body: podManifest('other', 'node-2') });
  await core.patchNamespacedPod(
    {
      name: 'a',
      namespace: 'default',
      body: { metadata: { annotations: { 'k8s.aliyun.com/allocated-eipAddress': '47.1.1.1' } } },
    },
    k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
  );
  await core.deleteNamespacedPod({ name: 'a', namespace: 'default', gracePeriodSeconds: 0 });
  await until('three events', () => inf.seen.length >= 3);
  await new Promise((r) => setTimeout(r, 200));
  t.deepEqual(names(inf.seen), ['add a', 'update a', 'delete a']);
  t.true(Number(inf.seen[1]!.rv) > Number(inf.seen[0]!.rv));
  t.deepEqual(inf.errors, []);
});

test('the informer recovers from a cut watch without missing or repeating an event', async (t) => {
  const { h, core, inf } = await setup(t);
  await core.createNamespacedPod({ namespace: 'default', body: podManifest('a', 'node-1') });
  await until('add a', () => inf.seen.length === 1);
  const before = h.sim.stats().requests['list pods'];
  t.is(h.sim.cutWatches(), 1);
  await core.createNamespacedPod({ namespace: 'default', body: podManifest('b', 'node-1') });
  await core.patchNamespacedPod(
    { name: 'b', namespace: 'default', body: { metadata: { labels: { x: 'y' } } } },
    k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
  );
  await until('add b, update b', () => inf.seen.length >= 3);
  await new Promise((r) => setTimeout(r, 200));
  t.deepEqual(names(inf.seen), ['add a', 'add b', 'update b']);
  t.is(h.sim.stats().requests['list pods'], before, 'resumed from its resourceVersion, no relist');
  t.is(h.sim.stats().openWatches, 1);
});

test('the informer recovers from 410 Gone (window exceeded while disconnected) without missing or repeating', async (t) => {
  const { h, core, inf } = await setup(t, { watchWindow: 3 });
  await core.createNamespacedPod({ namespace: 'default', body: podManifest('a', 'node-1') });
  await core.createNamespacedPod({ namespace: 'default', body: podManifest('b', 'node-1') });
  await until('two adds', () => inf.seen.length === 2);
  const lists = h.sim.stats().requests['list pods'] ?? 0;

  h.sim.setFaults({ serverErrors: { count: 1_000_000, verbs: ['watch'] } });
  h.sim.cutWatches();
  await until('a failed watch', () => inf.errors.length > 0);
  await core.createNamespacedPod({ namespace: 'default', body: podManifest('c', 'node-1') });
  await core.deleteNamespacedPod({ name: 'a', namespace: 'default', gracePeriodSeconds: 0 });
  await core.patchNamespacedPod(
    { name: 'b', namespace: 'default', body: { metadata: { labels: { moved: 'yes' } } } },
    k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
  );
  for (let i = 0; i < 4; i++)
    await core.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name: `filler-${i}` } } });
  h.sim.setFaults({});

  await until('the three changes', () => inf.seen.length >= 5);
  await new Promise((r) => setTimeout(r, 300));
  t.deepEqual(names(inf.seen.slice(0, 2)), ['add a', 'add b']);
  t.deepEqual(names(inf.seen.slice(2)).sort(), ['add c', 'delete a', 'update b']);
  t.true((h.sim.stats().requests['list pods'] ?? 0) > lists, 'the 410 made it relist');
  t.deepEqual(
    inf.informer
      .list()
      .map((p) => p.metadata!.name)
      .sort(),
    ['b', 'c'],
  );
});

test('a watch from a compacted resourceVersion gets 200 and an ERROR event with the 410 Expired Status', async (t) => {
  const h = await harness({ watchWindow: 2 });
  t.teardown(() => h.sim.close());
  const core = h.kc.makeApiClient(k8s.CoreV1Api);
  const list = await core.listNamespacedConfigMap({ namespace: 'default' });
  for (let i = 0; i < 3; i++)
    await core.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name: `cm-${i}` } } });
  const events: { type: string; object: Record<string, unknown> }[] = [];
  let doneErr: unknown = 'not done';
  await new k8s.Watch(h.kc).watch(
    '/api/v1/namespaces/default/configmaps',
    { resourceVersion: list.metadata!.resourceVersion },
    (type, object) => events.push({ type, object }),
    (err) => (doneErr = err),
  );
  await until('the stream to end', () => doneErr !== 'not done');
  t.is(doneErr, null);
  t.is(events.length, 1);
  t.is(events[0]!.type, 'ERROR');
  t.like(events[0]!.object, { kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'Expired', code: 410 });
  t.regex(String(events[0]!.object.message), /^too old resource version: \d+ \(\d+\)$/);
});

test('bookmarks carry the current resourceVersion when allowWatchBookmarks is set', async (t) => {
  const h = await harness({ bookmarkIntervalMs: 100 });
  t.teardown(() => h.sim.close());
  const core = h.kc.makeApiClient(k8s.CoreV1Api);
  const list = await core.listNamespacedPod({ namespace: 'default' });
  const events: { type: string; object: k8s.KubernetesObject }[] = [];
  const ctrl = await new k8s.Watch(h.kc).watch(
    '/api/v1/namespaces/default/pods',
    { resourceVersion: list.metadata!.resourceVersion, allowWatchBookmarks: true },
    (type, object) => events.push({ type, object }),
    () => undefined,
  );
  t.teardown(() => ctrl.abort());
  await core.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name: 'elsewhere' } } });
  const listed = Number(list.metadata!.resourceVersion);
  const advanced = () =>
    events.find((e) => e.type === 'BOOKMARK' && Number(e.object.metadata!.resourceVersion) > listed);
  await until('a bookmark past the configmap write', () => advanced() !== undefined);
  t.is(advanced()!.object.kind, 'Pod');
  t.is(advanced()!.object.apiVersion, 'v1');
  t.false(events.some((e) => e.type !== 'BOOKMARK'));
});

test('timeoutSeconds ends the watch cleanly', async (t) => {
  const h = await harness();
  t.teardown(() => h.sim.close());
  let done: unknown = 'open';
  const started = Date.now();
  await new k8s.Watch(h.kc).watch(
    '/api/v1/pods',
    { timeoutSeconds: 1 },
    () => undefined,
    (err) => (done = err),
  );
  await until('the end of the watch', () => done !== 'open', 5000);
  t.is(done, null);
  t.true(Date.now() - started >= 900);
});

test('a restart that loses state gives new resourceVersions, 410 to old ones, and the informer relists', async (t) => {
  const { h, core, inf } = await setup(t);
  const created = await core.createNamespacedPod({ namespace: 'default', body: podManifest('a', 'node-1') });
  await until('add a', () => inf.seen.length === 1);
  await h.sim.restart({ keepState: false });
  await until('delete a after the relist', () => inf.seen.length === 2);
  t.deepEqual(names(inf.seen), ['add a', 'delete a']);
  const again = await core.createNamespacedPod({ namespace: 'default', body: podManifest('a', 'node-1') });
  t.not(again.metadata!.uid, created.metadata!.uid);
  t.true(Number(again.metadata!.resourceVersion) > Number(created.metadata!.resourceVersion) + 100_000);
  await until('add a again', () => inf.seen.length === 3);
  t.deepEqual(names(inf.seen), ['add a', 'delete a', 'add a']);
});

test('a restart that keeps state lets the informer resume from its resourceVersion', async (t) => {
  const { h, core, inf } = await setup(t);
  await core.createNamespacedPod({ namespace: 'default', body: podManifest('a', 'node-1') });
  await until('add a', () => inf.seen.length === 1);
  const lists = h.sim.stats().requests['list pods'];
  await h.sim.restart({ keepState: true, downMs: 100 });
  await until('the watch to reconnect', () => h.sim.stats().openWatches === 1);
  await core.deleteNamespacedPod({ name: 'a', namespace: 'default', gracePeriodSeconds: 0 });
  await until('delete a', () => inf.seen.length === 2);
  t.deepEqual(names(inf.seen), ['add a', 'delete a']);
  t.is(h.sim.stats().requests['list pods'], lists);
});
