/**
 * `podeip-sim up` as docs/try-it.md uses it: it prints `kubeconfig:` and `socket:` lines with
 * absolute paths, an ADD through the real plugin binds the pod, podeipctl reads the agent, the
 * "# playground" log recipes of docs/troubleshooting.md find that pod's bind and release (with
 * cloud RequestIds), and SIGINT stops everything and says where the logs stay.
 */
import test from 'ava';
import { execFile, spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { isAbsolute, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { CniRuntime } from '../../sim/stack/cni-runtime.js';

const run = promisify(execFile);
const bin = (name: string): string => fileURLToPath(new URL(`../../../bin/${name}`, import.meta.url));
const TROUBLESHOOTING = fileURLToPath(new URL('../../../docs/troubleshooting.md', import.meta.url));

test('podeip-sim up: the printed paths work, the log recipes find the pod, Ctrl-C stops it all', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'podeip-playground-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const child = spawn(process.execPath, [bin('podeip-sim'), 'up', '--dir', dir], { stdio: ['ignore', 'pipe', 'pipe'] });
  t.teardown(() => {
    if (child.exitCode === null) child.kill('SIGKILL');
  });
  let out = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    out += chunk;
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    out += chunk;
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  for (const deadline = Date.now() + 90_000; !/^socket: /m.test(out);) {
    if (Date.now() > deadline || child.exitCode !== null) t.fail(`podeip-sim up did not print its paths:\n${out}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const kubeconfig = /^kubeconfig: (.+)$/m.exec(out)![1]!;
  const socket = /^socket: (.+)$/m.exec(out)![1]!;
  t.true(isAbsolute(kubeconfig) && isAbsolute(socket));
  t.regex(out, /^kubeconfig: .+\nsocket: .+\n/m, 'each on its own line, kubeconfig first');
  t.regex(out, /podeipctl --socket /);

  const config = new KubeConfig();
  config.loadFromFile(kubeconfig);
  const core = config.makeApiClient(CoreV1Api);
  const annotations = { 'k8s.aliyun.com/pod-with-eip': 'true' };
  const pod = await core.createNamespacedPod({
    namespace: 'default',
    body: {
      metadata: { name: 'web', annotations },
      spec: { nodeName: 'sim-node-1', containers: [{ name: 'app', image: 'nginx' }] },
    },
  });
  const runtime = new CniRuntime({ socketPath: socket });
  const sandbox = {
    namespace: 'default',
    name: 'web',
    uid: pod.metadata!.uid!,
    containerId: 'f'.repeat(64),
    ipv4: '192.168.0.12',
    annotations,
  };
  const added = await runtime.add(sandbox);
  t.is(added.exitCode, 0, added.stdout);

  const ctl = await run(process.execPath, [bin('podeipctl'), '--socket', socket]);
  t.regex(ctl.stdout, /default\s+web\s+auto\s+Follow\s+bound/);

  t.is((await runtime.delWithNetns(sandbox)).exitCode, 0);
  await core.deleteNamespacedPod({ namespace: 'default', name: 'web', gracePeriodSeconds: 0 });
  const log = join(dir, 'sim-node-1', 'agent.log');
  for (
    const deadline = Date.now() + 30_000;
    !(await readFile(log, 'utf8')).includes('binding settled: auto EIP released');
  ) {
    if (Date.now() > deadline) t.fail('the agent did not log the release');
    await new Promise((resolve) => setTimeout(resolve, 200));
  }

  const recipes = /```sh\n# playground\n([\s\S]*?)```/
    .exec(await readFile(TROUBLESHOOTING, 'utf8'))![1]!
    .trim()
    .split('\n');
  t.true(recipes.length >= 3);
  for (const recipe of recipes) {
    const { stdout } = await run('bash', ['-euo', 'pipefail', '-c', recipe], { cwd: dir });
    t.not(stdout.trim(), '', `${recipe} finds lines`);
  }
  const bound = (await readFile(log, 'utf8')).split('\n').find((line) => line.includes('"message":"EIP bound"'))!;
  const fields = JSON.parse(bound) as Record<string, string>;
  t.is(fields.level, 'info');
  t.is(fields.pod, 'default/web');
  t.is(fields.podUid, sandbox.uid);
  t.regex(fields.allocationId!, /^eip-/);
  t.regex(fields.eipAddress!, /^\d+\.\d+\.\d+\.\d+$/);
  t.regex(fields.eni!, /^eni-/);
  t.regex(fields.cloudCalls!, /AllocateEipAddress \d+ms [0-9A-F-]{36}/);
  t.regex(fields.cloudCalls!, /AssociateEipAddress \d+ms [0-9A-F-]{36}/);

  child.kill('SIGINT');
  t.is(await exited, 0);
  t.regex(out, new RegExp(`stopped\\. Logs stay in ${dir}`));
});
