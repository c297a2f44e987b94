import test from 'ava';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import * as k8s from '@kubernetes/client-node';
import { harness, podManifest, until } from './helpers.js';

async function failureOf(fn: () => Promise<unknown>): Promise<k8s.ApiException<unknown>> {
  try {
    await fn();
  } catch (err) {
    if (err instanceof k8s.ApiException) return err;
    throw err;
  }
  throw new Error('expected the call to fail');
}

const bodyOf = (err: k8s.ApiException<unknown>): Record<string, unknown> =>
  typeof err.body === 'string' ? JSON.parse(err.body) : (err.body as Record<string, unknown>);

test('429 with Retry-After and 500s for the next N matching requests, then normal service', async (t) => {
  const h = await harness({
    faults: {
      tooManyRequests: { count: 2, retryAfterSeconds: 3, verbs: ['list'] },
      serverErrors: { count: 1, verbs: ['create'], resources: ['configmaps'] },
    },
  });
  t.teardown(() => h.sim.close());
  const core = h.kc.makeApiClient(k8s.CoreV1Api);
  for (let i = 0; i < 2; i++) {
    const err = await failureOf(() => core.listNamespacedPod({ namespace: 'default' }));
    t.is(err.code, 429);
    t.is(err.headers['retry-after'], '3');
    t.like(bodyOf(err), { kind: 'Status', reason: 'TooManyRequests', code: 429, details: { retryAfterSeconds: 3 } });
  }
  t.deepEqual((await core.listNamespacedPod({ namespace: 'default' })).items, []);
  await core.createNamespacedPod({ namespace: 'default', body: podManifest('p', 'node-1') });
  const err = await failureOf(() =>
    core.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name: 'c' } } }),
  );
  t.is(err.code, 500);
  t.like(bodyOf(err), { reason: 'InternalError', code: 500 });
  await core.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name: 'c' } } });
});

test('faults are switched at runtime through /_sim/faults; latency is added', async (t) => {
  const h = await harness();
  t.teardown(() => h.sim.close());
  const core = h.kc.makeApiClient(k8s.CoreV1Api);
  const put = await fetch(`${h.sim.url}/_sim/faults`, {
    method: 'PUT',
    body: JSON.stringify({ latencyMs: 300, serverErrors: { probability: 1, verbs: ['get'] } }),
  });
  t.is(put.status, 200);
  const started = Date.now();
  await core.listNamespacedPod({ namespace: 'default' });
  t.true(Date.now() - started >= 290);
  t.is((await failureOf(() => core.readNamespace({ name: 'default' }))).code, 500);
  const bad = await fetch(`${h.sim.url}/_sim/faults`, {
    method: 'PUT',
    body: JSON.stringify({ serverErrors: { probability: 2 } }),
  });
  t.is(bad.status, 400);
  t.regex(((await bad.json()) as { message: string }).message, /serverErrors\.probability/);
  t.is((await fetch(`${h.sim.url}/_sim/faults`, { method: 'DELETE' })).status, 200);
  t.is((await core.readNamespace({ name: 'default' })).metadata!.name, 'default');
  t.deepEqual(await (await fetch(`${h.sim.url}/_sim/faults`)).json(), {});
});

test('watches are cut periodically with watchCut, and on command through /_sim/watches/cut', async (t) => {
  const h = await harness({ faults: { watchCut: { everySeconds: 0.3 } } });
  t.teardown(() => h.sim.close());
  let ends = 0;
  const ctrl = await new k8s.Watch(h.kc).watch(
    '/api/v1/pods',
    {},
    () => undefined,
    () => ends++,
  );
  t.teardown(() => ctrl.abort());
  await until('a periodic cut', () => ends === 1, 3000);
  h.sim.setFaults({});
  let done = false;
  await new k8s.Watch(h.kc).watch(
    '/api/v1/pods',
    {},
    () => undefined,
    () => (done = true),
  );
  await until('the watch to be open', () => h.sim.stats().openWatches === 1);
  const res = await fetch(`${h.sim.url}/_sim/watches/cut`, { method: 'POST' });
  t.deepEqual(await res.json(), { cut: 1 });
  await until('the cut watch to end', () => done);
  t.true(done, 'the cut watch ended');
});

test('/_sim/restart?keepState=false loses every object; the server comes back on the same port', async (t) => {
  const h = await harness();
  t.teardown(() => h.sim.close());
  const core = h.kc.makeApiClient(k8s.CoreV1Api);
  await core.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name: 'c' } } });
  const before = h.sim.stats().resourceVersion;
  const res = await fetch(`${h.sim.url}/_sim/restart?keepState=false&downMs=200`, { method: 'POST' });
  t.is(res.status, 202);
  await until(
    'the server to be back',
    async () =>
      await fetch(`${h.sim.url}/version`).then(
        (r) => r.ok,
        () => false,
      ),
  );
  t.deepEqual((await core.listNamespacedConfigMap({ namespace: 'default' })).items, []);
  t.deepEqual((await core.listNamespace()).items.map((n) => n.metadata!.name).sort(), [
    'default',
    'kube-node-lease',
    'kube-public',
    'kube-system',
  ]);
  t.true(h.sim.stats().resourceVersion > before + 100_000);
});

test('--state keeps objects, uids and resourceVersions across process restarts of the CLI', async (t) => {
  const h = await harness();
  await h.sim.close();
  const statePath = join(h.dir, 'state.json');
  const kubeconfig = join(h.dir, 'cli-kubeconfig');
  const startCli = async () => {
    const child = spawn(
      process.execPath,
      [
        'bin/podeip-sim',
        'kube',
        '--listen',
        '127.0.0.1:0',
        '--kubeconfig-out',
        kubeconfig,
        '--state',
        statePath,
        '--watch-window',
        '50',
      ],
      { cwd: new URL('../../../../', import.meta.url) },
    );
    const [line] = (await once(child.stdout, 'data')) as [Buffer];
    const info = JSON.parse(line.toString('utf8'));
    const kc = new k8s.KubeConfig();
    kc.loadFromFile(kubeconfig);
    return { child, info, core: kc.makeApiClient(k8s.CoreV1Api) };
  };
  const first = await startCli();
  t.teardown(() => first.child.kill());
  const made = await first.core.createNamespacedConfigMap({
    namespace: 'default',
    body: { metadata: { name: 'kept' }, data: { k: 'v' } },
  });
  first.child.kill('SIGTERM');
  await once(first.child, 'exit');
  t.true(existsSync(statePath));

  const second = await startCli();
  t.teardown(() => second.child.kill());
  const back = await second.core.readNamespacedConfigMap({ name: 'kept', namespace: 'default' });
  t.is(back.metadata!.uid, made.metadata!.uid);
  t.is(back.metadata!.resourceVersion, made.metadata!.resourceVersion);
  t.deepEqual(back.data, { k: 'v' });
  const next = await second.core.createNamespacedConfigMap({
    namespace: 'default',
    body: { metadata: { name: 'after' } },
  });
  t.true(Number(next.metadata!.resourceVersion) > Number(made.metadata!.resourceVersion));
});

test('the CLI rejects bad flags and fault files with a message naming the problem', async (t) => {
  const run = async (args: string[]) => {
    const child = spawn(process.execPath, ['bin/podeip-sim', 'kube', ...args], {
      cwd: new URL('../../../../', import.meta.url),
    });
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
    const [code] = (await once(child, 'exit')) as [number];
    return { code, stderr };
  };
  const noListen = await run([]);
  t.is(noListen.code, 2);
  t.regex(noListen.stderr, /--listen is required/);
  const badWindow = await run(['--listen', '127.0.0.1:0', '--watch-window', 'zero']);
  t.regex(badWindow.stderr, /--watch-window must be a positive integer/);
  const h = await harness();
  await h.sim.close();
  const faults = h.writeFile('faults.yaml', 'tooManyRequests:\n  probability: 0.5\n  retryAfter: 2\n');
  const badFaults = await run(['--listen', '127.0.0.1:0', '--faults', faults]);
  t.is(badFaults.code, 2);
  t.regex(
    badFaults.stderr,
    /invalid fault configuration in .*faults.yaml: tooManyRequests: Unrecognized key.*retryAfter/,
  );
});

test('a bearer token is required when configured, and client-node sends it', async (t) => {
  const h = await harness({ token: 's3cret' });
  t.teardown(() => h.sim.close());
  const core = h.kc.makeApiClient(k8s.CoreV1Api);
  t.is((await core.readNamespace({ name: 'default' })).metadata!.name, 'default');
  const res = await fetch(`${h.sim.url}/api/v1/namespaces`);
  t.is(res.status, 401);
  t.like(await res.json(), { kind: 'Status', reason: 'Unauthorized', code: 401 });
});
