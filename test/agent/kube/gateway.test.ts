import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { Registry, type Counter } from 'prom-client';
import type { ObjectRef } from '../../../agent/src/kube/types.js';
import { eventually, podManifest, startCluster } from './harness.js';

test('events reach the API server aggregated: a storm of one failure is one Event with its count', async (t) => {
  const cluster = await startCluster();
  t.teardown(() => cluster.close());
  const pod = await cluster.core.createNamespacedPod({ namespace: 'default', body: podManifest('web-0', 'node-a') });
  const ref: ObjectRef = { kind: 'Pod', namespace: 'default', name: 'web-0', uid: pod.metadata!.uid! };
  const registry = new Registry();
  const gateway = cluster.gateway({ controllerName: 'podeip-agent' }, registry);
  for (let i = 0; i < 200; i++) gateway.recordEvent(ref, 'Warning', 'AssociateFailed', 'eip-1: IncorrectEipStatus');
  gateway.recordEvent(ref, 'Normal', 'Associated', 'eip-1 bound to 192.168.0.9');
  const events = await eventually(async () => {
    const list = (await cluster.core.listNamespacedEvent({ namespace: 'default' })).items;
    return list.length === 2 ? list : undefined;
  }, 'two events');
  const failed = events.find((e) => e.reason === 'AssociateFailed')!;
  t.like(failed, {
    type: 'Warning',
    message: 'eip-1: IncorrectEipStatus',
    count: 200,
    involvedObject: { kind: 'Pod', apiVersion: 'v1', namespace: 'default', name: 'web-0', uid: pod.metadata!.uid! },
    source: { component: 'podeip-agent', host: 'node-a' },
    reportingComponent: 'podeip-agent',
    reportingInstance: 'node-a',
  });
  t.truthy(failed.firstTimestamp);
  t.truthy(failed.lastTimestamp);

  gateway.recordEvent(ref, 'Warning', 'AssociateFailed', 'eip-1: IncorrectEipStatus');
  await eventually(async () => {
    const again = (await cluster.core.listNamespacedEvent({ namespace: 'default' })).items.find(
      (e) => e.reason === 'AssociateFailed',
    );
    return again?.count === 201 || undefined;
  }, 'the count to reach 201');
  t.is(
    (await cluster.core.listNamespacedEvent({ namespace: 'default' })).items.length,
    2,
    'a repeat updates, it does not add',
  );
  // What a user sees:
  const described = await cluster.kubectl(
    'get',
    'events',
    '-n',
    'default',
    '--field-selector',
    'involvedObject.name=web-0',
    '-o',
    'custom-columns=REASON:.reason,COUNT:.count',
  );
  t.regex(described, /AssociateFailed\s+201/);
  const writes = (await (registry.getSingleMetric('podeip_kube_requests_total') as Counter).get()).values
    .filter((v) => v.labels.resource === 'events')
    .map((v) => `${v.labels.verb} ${v.labels.code} x${v.value}`)
    .sort();
  t.deepEqual(
    writes,
    ['create 201 x2', 'patch 200 x1'],
    'two creates (the real status code, 201) and one count update',
  );
});

test('the client-side QPS/burst limit paces requests, and the pod watch does not wait for it', async (t) => {
  const cluster = await startCluster();
  t.teardown(() => cluster.close());
  const registry = new Registry();
  const gateway = cluster.gateway({ qps: 5, burst: 10 }, registry);
  await gateway.pods.start();
  await eventually(() => cluster.sim.stats().openWatches === 1 || undefined, 'the pod watch to open');

  const served = () => cluster.sim.stats().requests['get podeips'] ?? 0;
  const started = Date.now();
  let finished = 0;
  const calls = Array.from({ length: 30 }, () =>
    gateway.getPodEip('default', 'none').then(() => {
      finished += 1;
    }),
  );
  // A token bucket lets through at most burst + qps * T in any T seconds. Counting what the
  // server has received (an upper bound on what was granted before we looked) against the time
  // since the requests began holds however slow or stalled this machine is.
  const samples: Array<{ count: number; elapsedMs: number }> = [];
  const sampler = setInterval(() => samples.push({ count: served(), elapsedMs: Date.now() - started }), 50);
  // While requests wait for tokens, a pod change still arrives through the watch.
  await cluster.core.createNamespacedPod({ namespace: 'default', body: podManifest('during', 'node-a') });
  await eventually(() => gateway.pods.cached('default', 'during'), 'the watch event', 3000);
  t.true(finished < 30, 'the watch event came while requests were still queued');
  await Promise.all(calls);
  clearInterval(sampler);
  const elapsed = Date.now() - started;
  // The list at start took one token: 10 burst - 1, then 21 at 5 per second.
  t.true(elapsed >= 3900, `30 requests at qps 5 / burst 10 took ${elapsed} ms, at least (30 - 9) / 5 s`);
  t.true(samples.length > 10);
  for (const { count, elapsedMs } of samples) {
    t.true(
      count <= 10 + Math.floor((5 * elapsedMs) / 1000),
      `${count} requests served ${elapsedMs} ms in: more than burst + qps allow`,
    );
  }
  t.is(served(), 30);
  const requests = (await (registry.getSingleMetric('podeip_kube_requests_total') as Counter).get()).values;
  t.is(
    requests.find((v) => v.labels.verb === 'get' && v.labels.resource === 'podeips' && v.labels.code === '404')?.value,
    30,
  );
  t.is(
    requests.find((v) => v.labels.verb === 'list' && v.labels.resource === 'pods' && v.labels.code === '200')?.value,
    1,
  );
});

test('a missing kubeconfig or node name is a clear error', async (t) => {
  const { createKubeGateway } = await import('../../../agent/src/kube/gateway.js');
  const { silentLogger } = await import('../../../agent/src/log/logger.js');
  t.throws(
    () =>
      createKubeGateway(
        { nodeName: 'n', kubeconfig: '/nonexistent/kubeconfig' },
        { logger: silentLogger, registry: new Registry(), env: {} },
      ),
    { code: 'KUBE_CONFIG', message: /kubeconfig file \/nonexistent\/kubeconfig does not exist/ },
  );
  t.throws(
    () =>
      createKubeGateway(
        { nodeName: 'n' },
        { logger: silentLogger, registry: new Registry(), env: { HOME: '/nonexistent' } },
      ),
    { code: 'KUBE_CONFIG', message: /set KUBECONFIG/ },
  );
  t.throws(() => createKubeGateway({ nodeName: '' }, { logger: silentLogger, registry: new Registry(), env: {} }), {
    code: 'KUBE_OPTION',
    message: /nodeName is required/,
  });
  const dir = mkdtempSync(join(tmpdir(), 'podeip-kubeconfig-'));
  writeFileSync(
    join(dir, 'config'),
    'apiVersion: v1\nkind: Config\nclusters: [{name: c, cluster: {server: "http://127.0.0.1:1"}}]\nusers: [{name: u, user: {}}]\ncontexts: [{name: x, context: {cluster: c, user: u}}]\ncurrent-context: x\n',
  );
  t.throws(
    () =>
      createKubeGateway(
        { nodeName: 'n', kubeconfig: join(dir, 'config'), qps: 0 },
        { logger: silentLogger, registry: new Registry(), env: {} },
      ),
    { code: 'KUBE_OPTION', message: /kubeClientQPS must be a positive number, got 0/ },
  );
  t.throws(
    () =>
      createKubeGateway(
        { nodeName: 'n', kubeconfig: join(dir, 'config'), burst: -1 },
        { logger: silentLogger, registry: new Registry(), env: {} },
      ),
    { code: 'KUBE_OPTION', message: /kubeClientBurst must be an integer >= 1, got -1/ },
  );
});

test('KUBECONFIG from the environment is honoured', async (t) => {
  const cluster = await startCluster();
  t.teardown(() => cluster.close());
  const { createKubeGateway } = await import('../../../agent/src/kube/gateway.js');
  const { silentLogger } = await import('../../../agent/src/log/logger.js');
  const gateway = createKubeGateway(
    { nodeName: 'node-a' },
    { logger: silentLogger, registry: new Registry(), env: { KUBECONFIG: cluster.kubeconfigPath } },
  );
  t.teardown(() => gateway.close());
  t.deepEqual([...(await gateway.listNodeNames())], []);
});

test('429 answers are retried after their Retry-After; other errors are not retried', async (t) => {
  const cluster = await startCluster();
  t.teardown(() => cluster.close());
  const registry = new Registry();
  const gateway = cluster.gateway({}, registry);
  cluster.sim.setFaults({ tooManyRequests: { count: 2, retryAfterSeconds: 1, resources: ['podeips'] } });
  const started = Date.now();
  t.is(await gateway.getPodEip('default', 'none'), undefined);
  t.true(Date.now() - started >= 2000, 'waited Retry-After twice');
  const codes = async () =>
    Object.fromEntries(
      (await (registry.getSingleMetric('podeip_kube_requests_total') as Counter).get()).values
        .filter((v) => v.labels.resource === 'podeips')
        .map((v) => [v.labels.code, v.value]),
    );
  t.deepEqual(await codes(), { 429: 2, 404: 1 });

  cluster.sim.setFaults({ serverErrors: { count: 1, resources: ['podeips'] } });
  await t.throwsAsync(gateway.getPodEip('default', 'none'), {
    code: 'KUBE_API',
    message: /get podeips: the API server answered 500/,
  });
  t.deepEqual(await codes(), { 429: 2, 404: 1, 500: 1 });
});

test('over HTTPS with a bearer token, as in a real cluster', async (t) => {
  const cluster = await startCluster({ tls: true, token: 'agent-token' });
  t.teardown(() => cluster.close());
  t.true(cluster.sim.url.startsWith('https://'));
  await cluster.core.createNamespacedPod({ namespace: 'default', body: podManifest('secure', 'node-a') });
  const gateway = cluster.gateway();
  await gateway.pods.start();
  t.truthy(gateway.pods.cached('default', 'secure'), 'list over TLS');
  await cluster.core.createNamespacedPod({ namespace: 'default', body: podManifest('secure-2', 'node-a') });
  await eventually(() => gateway.pods.cached('default', 'secure-2'), 'watch over TLS');
  await gateway.annotatePodAddress('default', 'secure', '39.0.0.1');
  t.is(
    (await cluster.core.readNamespacedPod({ namespace: 'default', name: 'secure' })).metadata!.annotations![
      'network.alibabacloud.com/allocated-eipAddress'
    ],
    '39.0.0.1',
  );
});
