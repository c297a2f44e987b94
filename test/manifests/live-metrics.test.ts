/**
 * A real bin/podeip-agent, on the cloud and Kubernetes simulators: its live /metrics passes
 * `promtool check metrics`, holds exactly the podeip metrics docs/metrics.md documents, and every
 * metric the alert rules and the dashboard read.
 */
import test from 'ava';
import { execFile, spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parse } from 'yaml';
import { startCloudSim } from '../../sim/cloud/index.js';
import { startKubeSim } from '../../sim/kube/server.js';
import { documentedMetrics, exposedMetrics, metricsIn, promtool, type Dashboard, type RuleFile } from './promql.js';
import { repoPath } from './repo.js';
import { testKubectl } from '../../lib/host-tools.js';

const run = promisify(execFile);

/**
 * prom-client's default Node.js metrics that promtool's linter flags (gauges named *_total). They
 * are not ours; every other lint finding fails the test.
 */
const THIRD_PARTY_LINT = new Set([
  'nodejs_active_handles_total non-counter metrics should not have "_total" suffix',
  'nodejs_active_requests_total non-counter metrics should not have "_total" suffix',
  'nodejs_active_resources_total non-counter metrics should not have "_total" suffix',
]);

async function freeLoopbackPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

async function waitForReady(url: string, output: () => string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`podeip-agent not ready after ${timeoutMs} ms; its output:\n${output()}`);
}

test("the running agent's /metrics passes promtool and matches the metrics reference", async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'podeip-live-metrics-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const cloud = await startCloudSim({ metadata: { listen: '127.0.0.1:0' } });
  t.teardown(() => cloud.close());
  const kube = await startKubeSim({ host: '127.0.0.1', port: 0, kubeconfigPath: join(dir, 'kubeconfig') });
  t.teardown(() => kube.close());
  const kubectl = async (args: string[], input?: string) => {
    const child = run(testKubectl(), ['--kubeconfig', kube.kubeconfigPath, ...args]);
    if (input !== undefined) child.child.stdin?.end(input);
    return (await child).stdout;
  };
  await kubectl(['apply', '-f', repoPath('manifests/crd/podeips.alibabacloud.com.yaml')]);
  const instance = cloud.topology.instances[0]!;
  await kubectl(
    ['apply', '-f', '-'],
    JSON.stringify({
      apiVersion: 'v1',
      kind: 'Node',
      metadata: { name: 'node-a' },
      spec: { providerID: `cn-hangzhou.${instance.instanceId}` },
    }),
  );

  const port = await freeLoopbackPort();
  const socket = join(dir, 'run', 'agent.sock');
  await writeFile(
    join(dir, 'config.yaml'),
    [
      'clusterID: c-live',
      'regionID: cn-hangzhou',
      `vpcID: ${cloud.topology.vpcs[0]!.vpcId}`,
      `credential: {accessKey: ${cloud.accessKeyId}, accessSecret: ${cloud.accessKeySecret}}`,
      `agent: {socketPath: ${socket}, stateDir: ${join(dir, 'state')}, metricsListen: "127.0.0.1:${port}"}`,
      `cloud: {vpcEndpoint: "${cloud.endpoint}", ecsEndpoint: "${cloud.endpoint}", protocol: http, metadataEndpoint: "http://${cloud.metadataEndpoint}"}`,
      // The pool's metrics exist only with the pool on.
      'warmPool: {enabled: true, minIdle: 1, maxIdle: 1}',
    ].join('\n'),
  );
  const agent = spawn(repoPath('bin/podeip-agent'), ['--config', join(dir, 'config.yaml')], {
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', NODE_NAME: 'node-a', KUBECONFIG: kube.kubeconfigPath },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  agent.stdout.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  agent.stderr.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  const exited = new Promise((resolve) => agent.once('exit', resolve));
  t.teardown(async () => {
    agent.kill('SIGTERM');
    await exited;
  });

  await waitForReady(`http://127.0.0.1:${port}/readyz`, () => output, 90_000);
  t.is((await fetch(`http://127.0.0.1:${port}/healthz`)).status, 200);
  // One plugin-side request, through podeipctl, so the request metrics have a sample.
  const ctl = await run(repoPath('bin/podeipctl'), ['--socket', socket, '-o', 'json', '--timeout', '60']).catch(
    (err: { stderr?: string }) => {
      throw new Error(`podeipctl failed: ${err.stderr ?? String(err)}\nagent output:\n${output}`);
    },
  );
  const status = JSON.parse(ctl.stdout) as { nodeName: string; instanceId: string; ready: boolean };
  t.like(status, {
    nodeName: 'node-a',
    instanceId: instance.instanceId,
    ready: true,
    quota: { quota: 20 },
    pool: { enabled: true, minIdle: 1, maxIdle: 1 },
  });
  for (
    let i = 0;
    i < 100 &&
    !/^podeip_pool_eips\{state="idle"\} 1$/m.test(await (await fetch(`http://127.0.0.1:${port}/metrics`)).text());
    i++
  ) {
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const table = (await run(repoPath('bin/podeipctl'), ['--socket', socket, '--timeout', '60'])).stdout;
  // The pool's EIP, counted once (or twice if the start-up count's answer came after it: the count errs high by design).
  t.regex(table, /^eip quota 20 {2}(1 used, 19|2 used, 18) left$/m, table);
  t.regex(
    table,
    /^warm pool {2}idle 1 \(min 1, max 1\) {2}taking 0 {2}refilling 0 {2}returning 0 {2}releasing 0 {2}taken since start 0$/m,
    table,
  );

  const exposition = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  await writeFile(join(dir, 'metrics.txt'), exposition);
  const checked = await promtool(['check', 'metrics'], exposition);
  const findings = checked.output
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
  t.deepEqual(
    findings.filter((f) => !THIRD_PARTY_LINT.has(f)),
    [],
    "promtool finds nothing wrong with podeip's metrics",
  );
  t.true(
    checked.code === 0 || (checked.code === 3 && findings.length > 0),
    `promtool check metrics exit ${checked.code}: parse errors exit 1`,
  );
  t.regex(exposition, /^podeip_cni_requests_total\{command="status",result="success"\} 2$/m);

  const exposed = exposedMetrics(exposition);
  const documented = documentedMetrics(await readFile(repoPath('docs/metrics.md'), 'utf8'));
  const ours = (names: Set<string>) => [...names].filter((n) => n.startsWith('podeip_')).sort();
  t.deepEqual(ours(documented), ours(exposed), 'docs/metrics.md lists exactly the podeip metrics the agent serves');

  const rules = parse(await readFile(repoPath('manifests/monitoring/podeip-alerts.yaml'), 'utf8')) as RuleFile;
  const dashboard = JSON.parse(
    await readFile(repoPath('manifests/monitoring/podeip-dashboard.json'), 'utf8'),
  ) as Dashboard;
  const read = new Set([
    ...rules.groups.flatMap((g) => g.rules.flatMap((r) => metricsIn(r.expr))),
    ...dashboard.panels.flatMap((p) => (p.targets ?? []).flatMap((target) => metricsIn(target.expr))),
  ]);
  t.deepEqual([...read].filter((m) => !exposed.has(m)).sort(), [], 'alerts and dashboard read only served metrics');
});
