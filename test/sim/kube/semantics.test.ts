import test from 'ava';
import * as k8s from '@kubernetes/client-node';
import { parse as parseYaml } from 'yaml';
import { POD_EIP_CRD, harness, podManifest, until, type Harness } from './helpers.js';

const GROUP = 'alibabacloud.com';
const VERSION = 'v1beta1';
const PLURAL = 'podeips';
const MERGE = k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch);
const STRATEGIC = k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.StrategicMergePatch);
const JSON_PATCH = k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.JsonPatch);

interface Status {
  kind: string;
  code: number;
  reason: string;
  message: string;
  details?: {
    name?: string;
    kind?: string;
    group?: string;
    causes?: { field: string; reason: string; message: string }[];
  };
}

/** Runs `fn`, expecting a client-node ApiException; returns its HTTP code and Status body. */
async function failure(
  fn: () => Promise<unknown>,
): Promise<{ code: number; status: Status; headers: Record<string, string> }> {
  try {
    await fn();
  } catch (err) {
    if (err instanceof k8s.ApiException) {
      const body = typeof err.body === 'string' ? JSON.parse(err.body) : err.body;
      return { code: err.code, status: body as Status, headers: err.headers };
    }
    throw err;
  }
  throw new Error('expected the call to fail');
}

async function withCrd(options: Parameters<typeof harness>[0] = {}): Promise<Harness> {
  const h = await harness(options);
  // kubectl sends the manifest as written; client-node's typed serializer would drop `enum`,
  // `default` and `x-kubernetes-*` keys of a plain object (it expects `_enum`, `_default`, ...).
  await h.ok(['apply', '-f', h.writeFile('crd.yaml', POD_EIP_CRD)]);
  return h;
}

const podEip = (name: string, extra: Record<string, unknown> = {}) => ({
  apiVersion: `${GROUP}/${VERSION}`,
  kind: 'PodEIP',
  metadata: { name, namespace: 'default', ...extra },
  spec: { allocationID: 'eip-1', allocationType: { type: 'Static', releaseStrategy: 'Follow' } },
});

test('a stale update gets 409 Conflict with a real Status body; a fresh one succeeds', async (t) => {
  const h = await harness();
  t.teardown(() => h.sim.close());
  const core = h.kc.makeApiClient(k8s.CoreV1Api);
  const v1 = await core.createNamespacedConfigMap({
    namespace: 'default',
    body: { metadata: { name: 'cfg' }, data: { a: '1' } },
  });
  const v2 = await core.replaceNamespacedConfigMap({
    name: 'cfg',
    namespace: 'default',
    body: { ...v1, data: { a: '2' } },
  });
  t.true(Number(v2.metadata!.resourceVersion) > Number(v1.metadata!.resourceVersion));
  const stale = await failure(() =>
    core.replaceNamespacedConfigMap({ name: 'cfg', namespace: 'default', body: { ...v1, data: { a: '3' } } }),
  );
  t.is(stale.code, 409);
  t.like(stale.status, {
    kind: 'Status',
    reason: 'Conflict',
    code: 409,
    message:
      'Operation cannot be fulfilled on configmaps "cfg": the object has been modified; please apply your changes to the latest version and try again',
    details: { name: 'cfg', kind: 'configmaps' },
  });
  const same = await core.replaceNamespacedConfigMap({ name: 'cfg', namespace: 'default', body: v2 });
  t.is(
    same.metadata!.resourceVersion,
    v2.metadata!.resourceVersion,
    'a no-op update does not bump the resourceVersion',
  );
});

test('leases support leader election: create, get, update with resourceVersion, 409 when stale', async (t) => {
  const h = await harness();
  t.teardown(() => h.sim.close());
  const coord = h.kc.makeApiClient(k8s.CoordinationV1Api);
  const now = new k8s.V1MicroTime();
  const lease = await coord.createNamespacedLease({
    namespace: 'kube-system',
    body: {
      metadata: { name: 'podeip-gc' },
      spec: { holderIdentity: 'node-1', leaseDurationSeconds: 15, acquireTime: now, renewTime: now },
    },
  });
  t.is(lease.spec!.holderIdentity, 'node-1');
  const got = await coord.readNamespacedLease({ name: 'podeip-gc', namespace: 'kube-system' });
  t.is(got.spec!.leaseDurationSeconds, 15);
  t.truthy(got.spec!.renewTime);
  const renewed = await coord.replaceNamespacedLease({
    name: 'podeip-gc',
    namespace: 'kube-system',
    body: { ...got, spec: { ...got.spec, renewTime: new k8s.V1MicroTime(Date.now() + 1000) } },
  });
  const loser = await failure(() =>
    coord.replaceNamespacedLease({
      name: 'podeip-gc',
      namespace: 'kube-system',
      body: { ...got, spec: { ...got.spec, holderIdentity: 'node-2' } },
    }),
  );
  t.is(loser.code, 409);
  t.is(loser.status.details!.group, 'coordination.k8s.io');
  t.regex(loser.status.message, /^Operation cannot be fulfilled on leases.coordination.k8s.io "podeip-gc"/);
  t.is(
    (await coord.readNamespacedLease({ name: 'podeip-gc', namespace: 'kube-system' })).metadata!.resourceVersion,
    renewed.metadata!.resourceVersion,
  );
  const dup = await failure(() =>
    coord.createNamespacedLease({ namespace: 'kube-system', body: { metadata: { name: 'podeip-gc' }, spec: {} } }),
  );
  t.like(dup, {
    code: 409,
    status: { reason: 'AlreadyExists', message: 'leases.coordination.k8s.io "podeip-gc" already exists' },
  });
});

test('a PodEIP with a finalizer survives delete with a deletionTimestamp until the finalizer is patched away', async (t) => {
  const h = await withCrd();
  t.teardown(() => h.sim.close());
  const custom = h.kc.makeApiClient(k8s.CustomObjectsApi);
  const ref = { group: GROUP, version: VERSION, namespace: 'default', plural: PLURAL, name: 'game-0' };
  const created = await custom.createNamespacedCustomObject({
    ...ref,
    body: podEip('game-0', { finalizers: ['podeip.alibabacloud.com/eip'] }),
  });
  t.is(created.metadata.generation, 1);
  const deleting = await custom.deleteNamespacedCustomObject(ref);
  t.truthy(deleting.metadata.deletionTimestamp);
  const still = await custom.getNamespacedCustomObject(ref);
  t.truthy(still.metadata.deletionTimestamp);
  t.deepEqual(still.metadata.finalizers, ['podeip.alibabacloud.com/eip']);
  t.is(still.spec.allocationID, 'eip-1');
  const again = await custom.deleteNamespacedCustomObject(ref);
  t.is(again.metadata.deletionTimestamp, still.metadata.deletionTimestamp, 'a second delete changes nothing');

  await custom.patchNamespacedCustomObject(
    {
      ...ref,
      body: [
        { op: 'test', path: '/metadata/finalizers/0', value: 'podeip.alibabacloud.com/eip' },
        { op: 'remove', path: '/metadata/finalizers/0' },
      ],
    },
    JSON_PATCH,
  );
  const gone = await failure(() => custom.getNamespacedCustomObject(ref));
  t.like(gone, {
    code: 404,
    status: {
      kind: 'Status',
      reason: 'NotFound',
      message: 'podeips.alibabacloud.com "game-0" not found',
      details: { name: 'game-0', group: GROUP, kind: 'podeips' },
    },
  });
});

test('the status subresource is kept apart from the main resource', async (t) => {
  const h = await withCrd();
  t.teardown(() => h.sim.close());
  const custom = h.kc.makeApiClient(k8s.CustomObjectsApi);
  const ref = { group: GROUP, version: VERSION, namespace: 'default', plural: PLURAL, name: 'game-0' };
  const created = await custom.createNamespacedCustomObject({
    ...ref,
    body: { ...podEip('game-0'), status: { eipAddress: 'ignored-on-create' } },
  });
  t.is(created.status, undefined, 'status is dropped on create');
  const withStatus = await custom.patchNamespacedCustomObjectStatus(
    { ...ref, body: { status: { eipAddress: '47.0.0.1', status: 'InUse' }, spec: { allocationID: 'eip-ignored' } } },
    MERGE,
  );
  t.deepEqual(withStatus.status, { eipAddress: '47.0.0.1', status: 'InUse' });
  t.is(withStatus.spec.allocationID, 'eip-1', '/status ignores spec');
  t.is(withStatus.metadata.generation, 1, 'a status write does not bump generation');
  const mainWrite = await custom.patchNamespacedCustomObject(
    { ...ref, body: { status: { eipAddress: 'nope' }, spec: { bandwidthPackageID: 'cbwp-1' } } },
    MERGE,
  );
  t.is(mainWrite.status.eipAddress, '47.0.0.1', 'the main resource ignores status');
  t.is(mainWrite.spec.bandwidthPackageID, 'cbwp-1');
  t.is(mainWrite.metadata.generation, 2);

  const core = h.kc.makeApiClient(k8s.CoreV1Api);
  const pod = await core.createNamespacedPod({
    namespace: 'default',
    body: { ...podManifest('p', 'node-1'), status: { phase: 'Running' } },
  });
  t.is(pod.status!.phase, 'Pending', 'a pod starts Pending whatever the client sent');
  const running = await core.patchNamespacedPodStatus(
    {
      name: 'p',
      namespace: 'default',
      body: { status: { phase: 'Running', podIP: '10.0.0.5', podIPs: [{ ip: '10.0.0.5' }] } },
    },
    STRATEGIC,
  );
  t.is(running.status!.podIP, '10.0.0.5');
  const relabel = await core.replaceNamespacedPod({
    name: 'p',
    namespace: 'default',
    body: { ...running, metadata: { ...running.metadata, labels: { a: 'b' } }, status: { phase: 'Failed' } },
  });
  t.is(relabel.status!.phase, 'Running');
  t.deepEqual(relabel.metadata!.labels, { a: 'b' });
});

test('a pod condition patch does not clobber the other conditions (strategic merge and JSON patch)', async (t) => {
  const h = await harness();
  t.teardown(() => h.sim.close());
  const core = h.kc.makeApiClient(k8s.CoreV1Api);
  await core.createNamespacedPod({
    namespace: 'default',
    body: {
      ...podManifest('p', 'node-1'),
      spec: { ...podManifest('p', 'node-1').spec!, readinessGates: [{ conditionType: 'k8s.aliyun.com/eip' }] },
    },
  });
  const t0 = new Date('2026-01-01T00:00:00Z');
  await core.patchNamespacedPodStatus(
    {
      name: 'p',
      namespace: 'default',
      body: {
        status: {
          conditions: [
            { type: 'PodScheduled', status: 'True', lastTransitionTime: t0 },
            { type: 'Ready', status: 'False', lastTransitionTime: t0 },
          ],
        },
      },
    },
    STRATEGIC,
  );
  const eip = await core.patchNamespacedPodStatus(
    {
      name: 'p',
      namespace: 'default',
      body: {
        status: {
          conditions: [
            {
              type: 'k8s.aliyun.com/eip',
              status: 'True',
              reason: 'EipBound',
              message: '47.0.0.1',
              lastTransitionTime: t0,
            },
          ],
        },
      },
    },
    STRATEGIC,
  );
  t.deepEqual(
    eip.status!.conditions!.map((c) => `${c.type}=${c.status}`),
    ['PodScheduled=True', 'Ready=False', 'k8s.aliyun.com/eip=True'],
  );
  const flip = await core.patchNamespacedPodStatus(
    {
      name: 'p',
      namespace: 'default',
      body: { status: { conditions: [{ type: 'k8s.aliyun.com/eip', status: 'False', reason: 'EipReleased' }] } },
    },
    STRATEGIC,
  );
  t.deepEqual(
    flip.status!.conditions!.map((c) => `${c.type}=${c.status}`),
    ['PodScheduled=True', 'Ready=False', 'k8s.aliyun.com/eip=False'],
  );
  t.is(flip.status!.conditions![2]!.message, '47.0.0.1', 'fields not in the patch are kept inside the merged element');

  const index = flip.status!.conditions!.findIndex((c) => c.type === 'k8s.aliyun.com/eip');
  const viaJson = await core.patchNamespacedPodStatus(
    {
      name: 'p',
      namespace: 'default',
      body: [
        { op: 'test', path: `/status/conditions/${index}/type`, value: 'k8s.aliyun.com/eip' },
        { op: 'replace', path: `/status/conditions/${index}/status`, value: 'True' },
      ],
    },
    JSON_PATCH,
  );
  t.deepEqual(
    viaJson.status!.conditions!.map((c) => `${c.type}=${c.status}`),
    ['PodScheduled=True', 'Ready=False', 'k8s.aliyun.com/eip=True'],
  );
  const failedTest = await failure(() =>
    core.patchNamespacedPodStatus(
      { name: 'p', namespace: 'default', body: [{ op: 'test', path: '/status/conditions/0/type', value: 'Nope' }] },
      JSON_PATCH,
    ),
  );
  t.is(failedTest.code, 422);

  const annotated = await core.patchNamespacedPod(
    {
      name: 'p',
      namespace: 'default',
      body: {
        metadata: {
          annotations: {
            'k8s.aliyun.com/allocated-eipAddress': '47.0.0.1',
            'network.alibabacloud.com/allocated-eipAddress': '47.0.0.1',
          },
        },
      },
    },
    MERGE,
  );
  const kept = await core.patchNamespacedPod(
    { name: 'p', namespace: 'default', body: { metadata: { annotations: { other: 'x' } } } },
    MERGE,
  );
  t.is(kept.metadata!.annotations!['k8s.aliyun.com/allocated-eipAddress'], '47.0.0.1');
  t.is(kept.metadata!.annotations!.other, 'x');
  t.is(Object.keys(annotated.metadata!.annotations!).length + 1, Object.keys(kept.metadata!.annotations!).length);
});

test('strategic merge directives: $patch delete, $retainKeys, $setElementOrder and finalizer lists', async (t) => {
  const h = await harness();
  t.teardown(() => h.sim.close());
  const core = h.kc.makeApiClient(k8s.CoreV1Api);
  await core.createNamespacedPod({
    namespace: 'default',
    body: { ...podManifest('p', 'node-1'), metadata: { name: 'p', finalizers: ['a/one'] } },
  });
  await core.patchNamespacedPodStatus(
    {
      name: 'p',
      namespace: 'default',
      body: {
        status: {
          conditions: [
            { type: 'A', status: 'True' },
            { type: 'B', status: 'True' },
            { type: 'C', status: 'True' },
          ],
        },
      },
    },
    STRATEGIC,
  );
  const deleted = await core.patchNamespacedPodStatus(
    { name: 'p', namespace: 'default', body: { status: { conditions: [{ type: 'B', $patch: 'delete' }] } } },
    STRATEGIC,
  );
  t.deepEqual(
    deleted.status!.conditions!.map((c) => c.type),
    ['A', 'C'],
  );
  const ordered = await core.patchNamespacedPodStatus(
    {
      name: 'p',
      namespace: 'default',
      body: {
        status: {
          '$setElementOrder/conditions': [{ type: 'C' }, { type: 'A' }],
          conditions: [{ type: 'A', status: 'False' }],
        },
      },
    },
    STRATEGIC,
  );
  t.deepEqual(
    ordered.status!.conditions!.map((c) => `${c.type}=${c.status}`),
    ['C=True', 'A=False'],
  );
  const fin = await core.patchNamespacedPod(
    { name: 'p', namespace: 'default', body: { metadata: { finalizers: ['b/two'] } } },
    STRATEGIC,
  );
  t.deepEqual(fin.metadata!.finalizers, ['a/one', 'b/two'], 'finalizers merge as a set');
  const fin2 = await core.patchNamespacedPod(
    { name: 'p', namespace: 'default', body: { metadata: { '$deleteFromPrimitiveList/finalizers': ['a/one'] } } },
    STRATEGIC,
  );
  t.deepEqual(fin2.metadata!.finalizers, ['b/two']);
  const retained = await core.patchNamespacedPod(
    { name: 'p', namespace: 'default', body: { metadata: { labels: { keep: 'y', $retainKeys: ['keep'] } } } },
    STRATEGIC,
  );
  t.deepEqual(retained.metadata!.labels, { keep: 'y' });
});

test('label and field selectors, including the errors a real server gives', async (t) => {
  const h = await harness();
  t.teardown(() => h.sim.close());
  const core = h.kc.makeApiClient(k8s.CoreV1Api);
  await core.createNamespacedPod({
    namespace: 'default',
    body: podManifest('a', 'node-1', { labels: { app: 'game', tier: 'edge' } }),
  });
  await core.createNamespacedPod({
    namespace: 'default',
    body: podManifest('b', 'node-2', { labels: { app: 'game' } }),
  });
  await core.createNamespacedPod({
    namespace: 'kube-system',
    body: {
      ...podManifest('c', 'node-1', { labels: { app: 'dns' } }),
      metadata: { name: 'c', labels: { app: 'dns' } },
    },
  });
  await core.patchNamespacedPodStatus(
    { name: 'b', namespace: 'default', body: { status: { phase: 'Running' } } },
    STRATEGIC,
  );
  const names = async (q: { labelSelector?: string; fieldSelector?: string }) =>
    (await core.listPodForAllNamespaces(q)).items.map((p) => p.metadata!.name).sort();
  t.deepEqual(await names({ labelSelector: 'app=game' }), ['a', 'b']);
  t.deepEqual(await names({ labelSelector: 'app in (game,dns),!tier' }), ['b', 'c']);
  t.deepEqual(await names({ labelSelector: 'tier notin (edge)' }), ['b', 'c']);
  t.deepEqual(await names({ labelSelector: 'tier' }), ['a']);
  t.deepEqual(await names({ labelSelector: 'app!=game' }), ['c']);
  t.deepEqual(await names({ fieldSelector: 'spec.nodeName=node-1' }), ['a', 'c']);
  t.deepEqual(await names({ fieldSelector: 'status.phase=Running' }), ['b']);
  t.deepEqual(await names({ fieldSelector: 'status.phase!=Running,metadata.namespace=default' }), ['a']);
  t.deepEqual(await names({ fieldSelector: 'metadata.name=c', labelSelector: 'app=dns' }), ['c']);
  const bad = await failure(() => core.listPodForAllNamespaces({ fieldSelector: 'spec.color=red' }));
  t.like(bad, { code: 400, status: { reason: 'BadRequest', message: 'field label not supported: spec.color' } });
});

test('list with limit and continue pages through everything once', async (t) => {
  const h = await harness();
  t.teardown(() => h.sim.close());
  const core = h.kc.makeApiClient(k8s.CoreV1Api);
  for (let i = 0; i < 7; i++)
    await core.createNamespacedConfigMap({
      namespace: 'default',
      body: { metadata: { name: `cm-${i}`, labels: { odd: String(i % 2 === 1) } } },
    });
  const seen: string[] = [];
  let token: string | undefined;
  let pages = 0;
  do {
    const page = await core.listNamespacedConfigMap({
      namespace: 'default',
      limit: 3,
      ...(token ? { _continue: token } : {}),
    });
    seen.push(...page.items.map((c) => c.metadata!.name!));
    token = page.metadata!._continue;
    pages++;
    if (token) t.is(page.items.length, 3);
  } while (token);
  t.is(pages, 3);
  t.deepEqual(seen, ['cm-0', 'cm-1', 'cm-2', 'cm-3', 'cm-4', 'cm-5', 'cm-6']);
  const odd = await core.listNamespacedConfigMap({ namespace: 'default', labelSelector: 'odd=true', limit: 2 });
  t.deepEqual(
    odd.items.map((c) => c.metadata!.name),
    ['cm-1', 'cm-3'],
  );
  const rest = await core.listNamespacedConfigMap({
    namespace: 'default',
    labelSelector: 'odd=true',
    limit: 2,
    _continue: odd.metadata!._continue!,
  });
  t.deepEqual(
    rest.items.map((c) => c.metadata!.name),
    ['cm-5'],
  );
  t.falsy(rest.metadata!._continue);
  h.sim.compact();
  await core.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name: 'later' } } });
  h.sim.compact();
  const expired = await failure(() =>
    core.listNamespacedConfigMap({ namespace: 'default', limit: 2, _continue: odd.metadata!._continue! }),
  );
  t.like(expired, { code: 410, status: { reason: 'Expired' } });
});

test('pod graceful deletion: a scheduled pod stays terminating until deleted with grace 0', async (t) => {
  const h = await harness();
  t.teardown(() => h.sim.close());
  const core = h.kc.makeApiClient(k8s.CoreV1Api);
  await core.createNamespacedPod({ namespace: 'default', body: podManifest('p', 'node-1') });
  const terminating = await core.deleteNamespacedPod({ name: 'p', namespace: 'default' });
  t.is(terminating.metadata!.deletionGracePeriodSeconds, 30, 'the default terminationGracePeriodSeconds');
  t.true(terminating.metadata!.deletionTimestamp! > new Date());
  const shorter = await core.deleteNamespacedPod({ name: 'p', namespace: 'default', gracePeriodSeconds: 5 });
  t.is(shorter.metadata!.deletionGracePeriodSeconds, 5);
  t.truthy(await core.readNamespacedPod({ name: 'p', namespace: 'default' }));
  await core.deleteNamespacedPod({ name: 'p', namespace: 'default', gracePeriodSeconds: 0 });
  t.is((await failure(() => core.readNamespacedPod({ name: 'p', namespace: 'default' }))).code, 404);

  await core.createNamespacedPod({
    namespace: 'default',
    body: { ...podManifest('unscheduled', ''), spec: { containers: [{ name: 'a', image: 'x:1' }] } },
  });
  await core.deleteNamespacedPod({ name: 'unscheduled', namespace: 'default' });
  t.is(
    (await failure(() => core.readNamespacedPod({ name: 'unscheduled', namespace: 'default' }))).code,
    404,
    'a pod never scheduled goes at once',
  );

  await core.createNamespacedPod({
    namespace: 'default',
    body: { ...podManifest('fin', 'node-1'), metadata: { name: 'fin', finalizers: ['x/y'] } },
  });
  await core.deleteNamespacedPod({ name: 'fin', namespace: 'default', gracePeriodSeconds: 0 });
  const held = await core.readNamespacedPod({ name: 'fin', namespace: 'default' });
  t.is(held.metadata!.deletionGracePeriodSeconds, 0);
  await core.patchNamespacedPod({ name: 'fin', namespace: 'default', body: { metadata: { finalizers: null } } }, MERGE);
  t.is((await failure(() => core.readNamespacedPod({ name: 'fin', namespace: 'default' }))).code, 404);
  const precondition = await core.createNamespacedPod({ namespace: 'default', body: podManifest('pre', '') });
  const wrongUid = await failure(() =>
    core.deleteNamespacedPod({ name: 'pre', namespace: 'default', body: { preconditions: { uid: 'not-it' } } }),
  );
  t.is(wrongUid.code, 409);
  await core.deleteNamespacedPod({
    name: 'pre',
    namespace: 'default',
    body: { preconditions: { uid: precondition.metadata!.uid! } },
  });
});

test('events are one store seen through core/v1 and events.k8s.io/v1', async (t) => {
  const h = await harness();
  t.teardown(() => h.sim.close());
  const core = h.kc.makeApiClient(k8s.CoreV1Api);
  const events = h.kc.makeApiClient(k8s.EventsV1Api);
  const pod = await core.createNamespacedPod({ namespace: 'default', body: podManifest('p', 'node-1') });
  const regarding = { kind: 'Pod', namespace: 'default', name: 'p', uid: pod.metadata!.uid!, apiVersion: 'v1' };
  await events.createNamespacedEvent({
    namespace: 'default',
    body: {
      metadata: { name: 'p.eip1' },
      eventTime: new k8s.V1MicroTime(),
      reportingController: 'podeip.alibabacloud.com/agent',
      reportingInstance: 'podeip-agent-node-1',
      action: 'Bind',
      reason: 'EipBound',
      note: 'bound 47.0.0.1',
      type: 'Normal',
      regarding,
    },
  });
  await core.createNamespacedEvent({
    namespace: 'default',
    body: {
      metadata: { name: 'p.eip2' },
      involvedObject: regarding,
      reason: 'EipReleased',
      message: 'released',
      type: 'Normal',
      count: 2,
      source: { component: 'podeip-agent' },
    },
  });
  const asCore = await core.listNamespacedEvent({
    namespace: 'default',
    fieldSelector: `involvedObject.name=p,involvedObject.uid=${pod.metadata!.uid}`,
  });
  t.deepEqual(
    asCore.items.map((e) => `${e.metadata.name} ${e.reason} ${e.message} ${e.involvedObject.name}`),
    ['p.eip1 EipBound bound 47.0.0.1 p', 'p.eip2 EipReleased released p'],
  );
  t.is(asCore.items[0]!.reportingComponent, 'podeip.alibabacloud.com/agent');
  const asV1 = await events.listNamespacedEvent({ namespace: 'default', fieldSelector: 'regarding.name=p' });
  t.deepEqual(
    asV1.items.map((e) => `${e.metadata!.name} ${e.reason} ${e.note} ${e.regarding!.name}`),
    ['p.eip1 EipBound bound 47.0.0.1 p', 'p.eip2 EipReleased released p'],
  );
  t.is(asV1.items[1]!.deprecatedCount, 2);
  t.is(asV1.items[1]!.deprecatedSource!.component, 'podeip-agent');
  t.is(
    (await core.listNamespacedEvent({ namespace: 'default', fieldSelector: 'source=podeip-agent' })).items.length,
    1,
  );
  const bad = await failure(() =>
    events.createNamespacedEvent({
      namespace: 'default',
      body: {
        metadata: { name: 'x' },
        eventTime: new k8s.V1MicroTime(),
        reason: 'R',
        action: 'A',
        reportingInstance: 'i',
      },
    }),
  );
  t.like(bad, {
    code: 422,
    status: {
      reason: 'Invalid',
      details: { causes: [{ field: 'reportingController', reason: 'FieldValueRequired' }] },
    },
  });
});

test('schema validation answers 422 naming each bad field; defaults are filled', async (t) => {
  const h = await withCrd();
  t.teardown(() => h.sim.close());
  const custom = h.kc.makeApiClient(k8s.CustomObjectsApi);
  const ref = { group: GROUP, version: VERSION, namespace: 'default', plural: PLURAL };
  const bad = await failure(() =>
    custom.createNamespacedCustomObject({
      ...ref,
      body: { ...podEip('x'), spec: { allocationType: { type: 'Sometimes' } } },
    }),
  );
  t.is(bad.code, 422);
  t.is(bad.status.reason, 'Invalid');
  t.deepEqual(bad.status.details!.causes!.map((c) => c.field).sort(), [
    'spec.allocationID',
    'spec.allocationType.type',
  ]);
  t.regex(bad.status.message, /^PodEIP.alibabacloud.com "x" is invalid: \[/);
  const defaulted = await custom.createNamespacedCustomObject({
    ...ref,
    body: { ...podEip('y'), spec: { allocationID: 'eip-9' } },
  });
  t.deepEqual(defaulted.spec.allocationType, undefined, 'no default for an absent parent object');
  const withType = await custom.createNamespacedCustomObject({
    ...ref,
    body: { ...podEip('z'), spec: { allocationID: 'eip-9', allocationType: {} } },
  });
  t.deepEqual(withType.spec.allocationType, { type: 'Auto', releaseStrategy: 'Follow' });
});

test('generateName, missing namespace and unknown paths answer as a real server', async (t) => {
  const h = await harness();
  t.teardown(() => h.sim.close());
  const core = h.kc.makeApiClient(k8s.CoreV1Api);
  const a = await core.createNamespacedConfigMap({
    namespace: 'default',
    body: { metadata: { generateName: 'podeip-' } },
  });
  t.regex(a.metadata!.name!, /^podeip-[a-z0-9]{5}$/);
  t.regex(a.metadata!.uid!, /^[0-9a-f-]{36}$/);
  t.regex(String(a.metadata!.creationTimestamp!.toISOString()), /^\d{4}-/);
  const noNs = await failure(() =>
    core.createNamespacedConfigMap({ namespace: 'nope', body: { metadata: { name: 'x' } } }),
  );
  t.like(noNs, { code: 404, status: { message: 'namespaces "nope" not found' } });
  const badName = await failure(() =>
    core.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name: 'Bad_Name' } } }),
  );
  t.like(badName, { code: 422, status: { details: { causes: [{ field: 'metadata.name' }] } } });
  const res = await fetch(`${h.sim.url}/apis/example.com/v1/widgets`);
  t.is(res.status, 404);
  t.like(await res.json(), { kind: 'Status', reason: 'NotFound', code: 404 });
  const nodes = h.kc.makeApiClient(k8s.CoreV1Api);
  await nodes.createNode({ body: { metadata: { name: 'node-1' }, spec: { providerID: 'cn-hangzhou.i-abc' } } });
  t.is((await nodes.readNode({ name: 'node-1' })).spec!.providerID, 'cn-hangzhou.i-abc');
  t.deepEqual(
    (await nodes.listNode()).items.map((n) => n.metadata!.name),
    ['node-1'],
  );
});

test('deleting a CRD removes its resources and stops serving them', async (t) => {
  const h = await withCrd();
  t.teardown(() => h.sim.close());
  const custom = h.kc.makeApiClient(k8s.CustomObjectsApi);
  const ref = { group: GROUP, version: VERSION, namespace: 'default', plural: PLURAL };
  await custom.createNamespacedCustomObject({ ...ref, body: podEip('a') });
  await h.kc.makeApiClient(k8s.ApiextensionsV1Api).deleteCustomResourceDefinition({ name: 'podeips.alibabacloud.com' });
  t.is((await failure(() => custom.listNamespacedCustomObject(ref))).code, 404);
  await h.kc.makeApiClient(k8s.ApiextensionsV1Api).createCustomResourceDefinition({ body: parseYaml(POD_EIP_CRD) });
  const list = await custom.listNamespacedCustomObject(ref);
  t.deepEqual(list.items, []);
});

test('pod spec is immutable apart from images, and the system namespaces cannot be deleted', async (t) => {
  const h = await harness();
  t.teardown(() => h.sim.close());
  const core = h.kc.makeApiClient(k8s.CoreV1Api);
  await core.createNamespacedPod({ namespace: 'default', body: podManifest('p', 'node-1') });
  const moved = await failure(() =>
    core.patchNamespacedPod({ name: 'p', namespace: 'default', body: { spec: { nodeName: 'node-2' } } }, MERGE),
  );
  t.is(moved.code, 422);
  t.like(moved.status.details!.causes![0], { field: 'spec', reason: 'FieldValueForbidden' });
  t.regex(moved.status.message, /^Pod "p" is invalid: spec: Forbidden: pod updates may not change fields other than/);
  const image = await core.patchNamespacedPod(
    { name: 'p', namespace: 'default', body: { spec: { containers: [{ name: 'app', image: 'nginx:1.27' }] } } },
    STRATEGIC,
  );
  t.is(image.spec!.containers[0]!.image, 'nginx:1.27');
  const ns = await failure(() => core.deleteNamespace({ name: 'kube-system' }));
  t.like(ns, {
    code: 403,
    status: {
      reason: 'Forbidden',
      message: 'namespaces "kube-system" is forbidden: this namespace may not be deleted',
    },
  });
});

test('typed time fields are stored as a real server stores them; built-in list items carry no kind', async (t) => {
  const h = await harness();
  t.teardown(() => h.sim.close());
  const coord = h.kc.makeApiClient(k8s.CoordinationV1Api);
  const core = h.kc.makeApiClient(k8s.CoreV1Api);
  await coord.createNamespacedLease({
    namespace: 'default',
    body: { metadata: { name: 'l' }, spec: { renewTime: new k8s.V1MicroTime('2026-01-02T03:04:05.678Z') } },
  });
  await core.createNamespacedPod({ namespace: 'default', body: podManifest('p', 'node-1') });
  await core.patchNamespacedPodStatus(
    {
      name: 'p',
      namespace: 'default',
      body: {
        status: {
          conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: '2026-01-02T03:04:05.678+01:00' }],
        },
      },
    },
    STRATEGIC,
  );
  const lease = (await (
    await fetch(`${h.sim.url}/apis/coordination.k8s.io/v1/namespaces/default/leases/l`)
  ).json()) as { spec: { renewTime: string } };
  t.is(lease.spec.renewTime, '2026-01-02T03:04:05.678000Z');
  const pods = (await (await fetch(`${h.sim.url}/api/v1/namespaces/default/pods`)).json()) as {
    kind: string;
    items: { kind?: string; apiVersion?: string; status: { conditions: { lastTransitionTime: string }[] } }[];
  };
  t.is(pods.kind, 'PodList');
  t.is(pods.items[0].status.conditions[0].lastTransitionTime, '2026-01-02T02:04:05Z');
  t.is(pods.items[0].kind, undefined);
  t.is(pods.items[0].apiVersion, undefined);
});

test('a watch on a custom resource ends when its CRD is deleted', async (t) => {
  const h = await withCrd();
  t.teardown(() => h.sim.close());
  const custom = h.kc.makeApiClient(k8s.CustomObjectsApi);
  await custom.createNamespacedCustomObject({
    group: GROUP,
    version: VERSION,
    namespace: 'default',
    plural: PLURAL,
    body: podEip('a'),
  });
  const seen: string[] = [];
  let ended = false;
  await new k8s.Watch(h.kc).watch(
    `/apis/${GROUP}/${VERSION}/podeips`,
    {},
    (type, obj) => seen.push(`${type} ${obj.metadata.name}`),
    () => (ended = true),
  );
  await until('the initial ADDED', () => seen.length === 1);
  await h.ok(['delete', 'crd', 'podeips.alibabacloud.com']);
  await until('the end of the watch', () => ended);
  t.deepEqual(seen, ['ADDED a', 'DELETED a']);
});

test('YAML request bodies are accepted; discovery lists served resources and their status subresources', async (t) => {
  const h = await withCrd();
  t.teardown(() => h.sim.close());
  const yaml = 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: from-yaml\ndata:\n  k: v\n';
  const created = await fetch(`${h.sim.url}/api/v1/namespaces/default/configmaps`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/yaml' },
    body: yaml,
  });
  t.is(created.status, 201);
  const core = h.kc.makeApiClient(k8s.CoreV1Api);
  t.deepEqual((await core.readNamespacedConfigMap({ name: 'from-yaml', namespace: 'default' })).data, { k: 'v' });
  const cbor = await fetch(`${h.sim.url}/api/v1/namespaces/default/configmaps`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/cbor' },
    body: 'x',
  });
  t.is(cbor.status, 415);
  const apis = h.kc.makeApiClient(k8s.ApisApi);
  const groups = (await apis.getAPIVersions()).groups.map((g) => g.name);
  for (const g of ['alibabacloud.com', 'coordination.k8s.io', 'events.k8s.io', 'apps', 'apiextensions.k8s.io'])
    t.true(groups.includes(g), g);
  const res = (await (await fetch(`${h.sim.url}/apis/alibabacloud.com/v1beta1`)).json()) as {
    resources: { name: string; namespaced: boolean; kind: string }[];
  };
  t.deepEqual(
    res.resources.map((r) => `${r.name} ${r.kind} ${r.namespaced}`),
    ['podeips PodEIP true', 'podeips/status PodEIP true'],
  );
  const version = await h.kc.makeApiClient(k8s.VersionApi).getCode();
  t.like(version, { major: '1', minor: '32' });
});
