/**
 * The real agent process with a state dir it cannot write: at start it stays up and not ready,
 * retrying every 10 s, instead of exiting; a disk that fills while it runs makes the ADD "try
 * again later" (11) and /readyz 503, and both come back once the disk takes writes again.
 */
import test from 'ava';
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { CniRuntime } from '../../../sim/stack/cni-runtime.js';
import type { SimulatedCluster } from '../../../sim/stack/cluster.js';
import { clusterFor } from '../../cluster/harness.js';
import { cloudEips, until } from '../../chaos/world.js';

const run = promisify(execFile);
const EIP = { 'k8s.aliyun.com/pod-with-eip': 'true' };
const probe = async (cluster: SimulatedCluster, path: string) =>
  (await fetch(`${cluster.nodes[0]!.agent.options.metricsUrl}${path}`)).status;

test('a state dir that cannot be created keeps the agent live and not ready, retrying until it can', async (t) => {
  t.timeout(180_000);
  const scratch = await mkdtemp(join(tmpdir(), 'podeip-statedir-'));
  t.teardown(() => rm(scratch, { recursive: true, force: true }));
  const blocker = join(scratch, 'var-lib-podeip');
  await writeFile(blocker, "a file where the state dir's parent should be");
  const cluster = await clusterFor(t, 'statedir', {
    cloud: { rateLimits: 'off' },
    agentConfig: { agent: { stateDir: join(blocker, 'state') } },
  });
  const agent = cluster.nodes[0]!.agent;
  const started = agent.start(120_000);

  await until(
    '/healthz to answer',
    async () => (await probe(cluster, '/healthz').catch(() => 0)) === 200 || undefined,
    30_000,
  );
  await new Promise((resolve) => setTimeout(resolve, 3000));
  t.true(agent.running, 'the agent did not exit');
  t.is(await probe(cluster, '/readyz'), 503);
  t.regex(await agent.logTail(), /state dir cannot be written; not ready until it can.*retryInSeconds.*10/);

  const freed = Date.now();
  await rm(blocker);
  await mkdir(blocker);
  await started;
  t.true(
    Date.now() - freed < 15_000,
    `ready ${Date.now() - freed} ms after the state dir could be written (retry every 10 s)`,
  );
  const runtime = new CniRuntime({
    socketPath: join(cluster.dir, cluster.nodes[0]!.name, 'run', 'agent.sock'),
    timeoutSeconds: 30,
  });
  const sandbox = await cluster.createPod(cluster.nodes[0]!, { name: 'after-retry', annotations: EIP });
  t.is((await runtime.add(sandbox)).exitCode, 0);
});

const isRoot = process.getuid?.() === 0;

// Mounting a small tmpfs needs root (CI runs as root); elsewhere this test is reported skipped.
(isRoot ? test : test.skip)(
  'a disk that fills while the agent runs: ADD answers 11, /readyz 503, both recover when space returns',
  async (t) => {
    t.timeout(180_000);
    const mountPoint = await mkdtemp(join(tmpdir(), 'podeip-fulldisk-'));
    await run('mount', ['-t', 'tmpfs', '-o', 'size=2m', 'tmpfs', mountPoint]);
    t.teardown(async () => {
      await run('umount', [mountPoint]).catch(() => run('umount', ['-l', mountPoint]));
      await rm(mountPoint, { recursive: true, force: true });
    });
    const cluster = await clusterFor(t, 'fulldisk', {
      cloud: { rateLimits: 'off' },
      agentConfig: { agent: { stateDir: join(mountPoint, 'state') } },
    });
    const node = cluster.nodes[0]!;
    await node.agent.start();
    // The agent stops before the mount goes away (teardowns run last-registered first).
    t.teardown(() => node.agent.stop());
    const runtime = new CniRuntime({
      socketPath: join(cluster.dir, node.name, 'run', 'agent.sock'),
      timeoutSeconds: 30,
    });

    const filler = join(mountPoint, 'filler');
    await run('dd', ['if=/dev/zero', `of=${filler}`, 'bs=64k']).catch(() => undefined); // ends with "No space left on device"
    const sandbox = await cluster.createPod(node, { name: 'disk-full', annotations: EIP });
    const outcome = await runtime.add(sandbox);
    const error = outcome.result as { code: number; msg: string; details: string };
    t.is(error.code, 11, outcome.stdout);
    t.regex(error.msg, /journal .* cannot be written \(SQLITE_FULL.*free disk space/);
    t.regex(error.details, /podeip-error-code JournalUnwritable/);
    t.is(await probe(cluster, '/readyz'), 503);
    t.is(await probe(cluster, '/healthz'), 200);
    const second = (await runtime.add(await cluster.createPod(node, { name: 'disk-still-full', annotations: EIP })))
      .result as { code: number; msg: string };
    t.is(second.code, 11);
    t.regex(second.msg, /cannot be written \(SQLITE_FULL/, 'every ADD meanwhile says why, not "starting"');
    t.deepEqual(cloudEips(cluster), [], 'nothing allocated: the journal row comes before the cloud call');

    const freed = Date.now();
    await rm(filler);
    await until('/readyz to be 200 again', async () => (await probe(cluster, '/readyz')) === 200 || undefined, 20_000);
    t.true(Date.now() - freed < 15_000);
    const retry = await until(
      'the retried ADD to succeed',
      async () => {
        const next = await runtime.add(sandbox);
        return next.exitCode === 0 ? next : undefined;
      },
      30_000,
    );
    t.is(retry.exitCode, 0);
    t.is(cloudEips(cluster).length, 1);
  },
);
