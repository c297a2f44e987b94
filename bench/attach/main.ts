/**
 * bench/attach: N pods (default 100) attach at once through the real plugin binary, against the
 * cloud simulator with realistic latencies and the documented rate limits. Prints figures; never
 * passes or fails on time. Then the same again on a fresh simulated account whose agent runs a
 * warm pool of N + 5 EIPs (same latencies and limits), and a table of both.
 *
 *   node dist/bench/attach/main.js [--pods 100] [--latency-ms 80] [--association-ms 1500]
 *                                  [--rate-limits documented|off] [--rss-bindings 256] [--kube-qps 20] [--no-pool] [--singles 5]
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { spawnSync } from 'node:child_process';
import { sumMetric } from '../../sim/stack/agent-process.js';
import { SimulatedCluster, type SimNode } from '../../sim/stack/cluster.js';
import type { SandboxRef } from '../../sim/stack/cni-runtime.js';
import { benchTopology } from './topology.js';
import { criticalPathMs, formatTimeline, Timeline, type Mark } from './timeline.js';
import { DEFAULT_BUDGET_SHARE } from '../../agent/src/cloud/index.js';

const { values } = parseArgs({
  options: {
    pods: { type: 'string', default: '100' },
    'latency-ms': { type: 'string', default: '80' },
    'association-ms': { type: 'string', default: '1500' },
    'rate-limits': { type: 'string', default: 'documented' },
    'rss-bindings': { type: 'string', default: '256' },
    'kube-qps': { type: 'string', default: '20' },
    'no-pool': { type: 'boolean', default: false },
    singles: { type: 'string', default: '5' },
  },
});
const pods = Number(values.pods);
const latencyMs = Number(values['latency-ms']);
const associationMs = Number(values['association-ms']);
const rssBindings = Number(values['rss-bindings']);

function percentile(samples: number[], p: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;
}
const fmt = (ms: number): string => `${(ms / 1000).toFixed(2)} s`;

function callCounts(cluster: SimulatedCluster): Map<string, number> {
  const snapshot = cluster.cloud.state.snapshot() as { calls: Record<string, Record<string, number>> };
  return new Map(
    Object.entries(snapshot.calls).map(([action, byCode]) => [
      action,
      Object.values(byCode).reduce((a, b) => a + b, 0),
    ]),
  );
}

function diff(after: Map<string, number>, before: Map<string, number>): Map<string, number> {
  return new Map(
    [...after]
      .map(([action, n]) => [action, n - (before.get(action) ?? 0)])
      .filter(([, n]) => (n as number) > 0) as Array<[string, number]>,
  );
}

const CNI_TRY_AGAIN = 11;

/** Every request the agent sent the API server so far (podeip_kube_requests_total). */
async function kubeRequests(node: SimNode): Promise<number> {
  return sumMetric(await node.agent.metrics(), 'podeip_kube_requests_total');
}

/** ADD as kubelet drives it: "try again later" (the CNI deadline passed while the agent works on) is retried. */
async function attachAll(node: SimNode, sandboxes: SandboxRef[]): Promise<number[]> {
  return Promise.all(
    sandboxes.map(async (sandbox) => {
      const started = performance.now();
      for (;;) {
        const outcome = await node.runtime.add(sandbox);
        if (outcome.exitCode === 0) return performance.now() - started;
        if ((outcome.result as { code?: number } | undefined)?.code !== CNI_TRY_AGAIN)
          throw new Error(`ADD ${sandbox.name} failed: ${outcome.stdout}`);
      }
    }),
  );
}

async function newPods(
  cluster: SimulatedCluster,
  node: SimNode,
  prefix: string,
  count: number,
  annotations: Record<string, string>,
): Promise<SandboxRef[]> {
  const out: SandboxRef[] = [];
  for (let i = 0; i < count; i++) out.push(await cluster.createPod(node, { name: `${prefix}-${i}`, annotations }));
  return out;
}

function execMedian(command: string, args: string[], runs: number): number {
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) {
    const started = performance.now();
    spawnSync(command, args, { env: {} });
    samples.push(performance.now() - started);
  }
  return percentile(samples, 50);
}

interface PhaseFigures {
  singleP50: number;
  singleP99: number;
  /** p50 of a single attach less its cloud critical path. */
  singleOverheadP50: number;
  /** Cloud calls per single attach, by action, on the pod's path (background refills excluded). */
  singleCalls: Map<string, number>;
  burstWall: number;
  burstP50: number;
  burstP99: number;
  burstCalls: Map<string, number>;
}

/** Calls per attach on the pod's path: with the pool, AllocateEipAddress is the background refill. */
function onPath(calls: Map<string, number>, attaches: number, pool: boolean): Map<string, number> {
  return new Map(
    [...calls]
      .filter(([action]) => !(pool && action === 'AllocateEipAddress'))
      .map(([action, n]) => [action, n / attaches]),
  );
}

const CALL_ORDER = [
  'AllocateEipAddress',
  'TagResources',
  'ModifyEipAddressAttribute',
  'AssociateEipAddress',
  'DescribeEipAddresses',
  'DescribeNetworkInterfaces',
];

/** One simulated account and node, with or without a warm pool, measured in steps. */
class Setup {
  private constructor(
    readonly pool: boolean,
    readonly label: string,
    private readonly dir: string,
    readonly cluster: SimulatedCluster,
    readonly node: SimNode,
  ) {}

  static async start(pool: boolean): Promise<Setup> {
    const dir = await mkdtemp(join(tmpdir(), 'podeip-bench-attach-'));
    const total = pods + 10 + rssBindings;
    const poolSize = pods + 10;
    const cluster = await SimulatedCluster.start({
      dir,
      cloud: {
        topology: benchTopology(Math.ceil((total + 40) / 50)),
        latencyMs,
        associationDelayMs: associationMs,
        eipQuota: total + poolSize + 10,
        rateLimits: values['rate-limits'] === 'off' ? 'off' : 'documented',
      },
      agentConfig: {
        networkController: { eipController: { maxConcurrentReconciles: 16 } },
        kubeClientQPS: Number(values['kube-qps']),
        kubeClientBurst: 2 * Number(values['kube-qps']),
        ...(pool
          ? {
              warmPool: {
                enabled: true,
                minIdle: poolSize,
                maxIdle: poolSize,
                maxTotal: 10 * poolSize,
                quotaReserve: 0,
              },
            }
          : {}),
      },
    });
    const setup = new Setup(pool, pool ? 'with the warm pool' : 'without a pool', dir, cluster, cluster.nodes[0]!);
    await cluster.startAgents();
    if (pool) {
      const filling = performance.now();
      await setup.poolFilled(poolSize);
      console.log(
        `${setup.label}: the pool filled to ${poolSize} idle EIPs in ${fmt(performance.now() - filling)} (background, this node's Allocate budget)`,
      );
    }
    return setup;
  }

  private async poolFilled(size: number): Promise<void> {
    const idle = (metrics: string) => Number(/^podeip_pool_eips\{state="idle"\} (\S+)$/m.exec(metrics)?.[1] ?? 0);
    while (idle(await this.node.agent.metrics()) < size) await new Promise((r) => setTimeout(r, 200));
  }

  /** One pod alone; the calls it caused on its path. */
  async single(index: number): Promise<SingleRun> {
    const [sandbox] = await newPods(this.cluster, this.node, `solo${index}`, 1, EIP);
    const before = callCounts(this.cluster);
    const kubeBefore = await kubeRequests(this.node);
    const timeline = new Timeline(this.cluster);
    const [ms] = await attachAll(this.node, [sandbox!]);
    const marks = timeline.finish(ms!);
    const calls = diff(callCounts(this.cluster), before);
    const kube = (await kubeRequests(this.node)) - kubeBefore;
    // With the pool the take's refill runs behind the pod; let it finish before the next run.
    if (this.pool) await this.poolFilled(pods + 10);
    return { ms: ms!, calls, kube, marks };
  }

  async burst(): Promise<{ wall: number; p50: number; p99: number; calls: Map<string, number> }> {
    const sandboxes = await newPods(this.cluster, this.node, 'burst', pods, EIP);
    const before = callCounts(this.cluster);
    const started = performance.now();
    const latencies = await attachAll(this.node, sandboxes);
    const wall = performance.now() - started;
    const allCalls = diff(callCounts(this.cluster), before);
    const calls = onPath(allCalls, pods, this.pool);
    console.log(
      `${this.label}: ${pods} pods at once: all bound in ${fmt(wall)}; attach p50 ${fmt(percentile(latencies, 50))}, p99 ${fmt(percentile(latencies, 99))}`,
    );
    // The agent spends its share (cloud.rateLimitShare, default 0.5) of the account's 120 Allocate (and Associate) calls a minute.
    const perMinute = 120 * DEFAULT_BUDGET_SHARE;
    const budgetMs = ((pods - 1) / perMinute) * 60_000;
    console.log(
      `  this node's ${this.pool ? 'Associate' : 'Allocate'} budget (${perMinute}/min, share ${DEFAULT_BUDGET_SHARE} of the account's 120) alone needs ${fmt(budgetMs)} for ${pods} EIPs: wall time is ${(wall / budgetMs).toFixed(2)}x that`,
    );
    console.log(
      `  cloud calls per attach on the pod's path: ${[...calls].map(([action, n]) => `${action} ${n.toFixed(2)}`).join(', ')}`,
    );
    if (this.pool)
      console.log(
        `  background refills during the burst: AllocateEipAddress ${allCalls.get('AllocateEipAddress') ?? 0}`,
      );
    const metrics = await this.node.agent.metrics();
    const throttled = [...metrics.matchAll(/^podeip_cloud_throttled_total\{action="([^"]+)"\} (\S+)$/gm)].map(
      (m) => `${m[1]} ${m[2]}`,
    );
    console.log(`  throttling answers absorbed by the agent: ${throttled.length ? throttled.join(', ') : 'none'}`);
    if (this.pool) {
      const hits = Number(/^podeip_pool_takes_total\{result="hit"\} (\S+)$/m.exec(metrics)?.[1] ?? 0);
      console.log(`  attaches served by a pool EIP (singles and burst): ${hits}`);
    }
    return { wall, p50: percentile(latencies, 50), p99: percentile(latencies, 99), calls };
  }

  /** The shim's exec time and the agent's RSS (once, without the pool). */
  async extras(withEipP50: number): Promise<void> {
    const plain = await newPods(this.cluster, this.node, 'plain', 20, {});
    const noEip: number[] = [];
    for (const sandbox of plain) noEip.push((await this.node.runtime.add(sandbox)).ms);
    const nodeBoot = execMedian(process.execPath, ['-e', '0'], 10);
    console.log(
      `shim exec-to-exit: pod without EIP p50 ${percentile(noEip, 50).toFixed(1)} ms (no agent call), with EIP p50 ${fmt(withEipP50)}; \`node -e 0\` ${nodeBoot.toFixed(1)} ms`,
    );
    const bound = pods + SINGLE_RUNS;
    if (rssBindings > bound)
      await attachAll(this.node, await newPods(this.cluster, this.node, 'rss', rssBindings - bound, EIP));
    console.log(
      `agent RSS with ${Math.max(bound, rssBindings)} bindings: ${((await this.node.agent.rssBytes()) / 1024 / 1024).toFixed(1)} MiB`,
    );
  }

  async close(): Promise<void> {
    await this.cluster.close();
    await rm(this.dir, { recursive: true, force: true });
  }
}

interface SingleRun {
  ms: number;
  calls: Map<string, number>;
  kube: number;
  /** The requests both simulators received during the ADD, in ms since it started. */
  marks: Mark[];
}

const EIP = { 'k8s.aliyun.com/pod-with-eip': 'true' };
const SINGLE_RUNS = Number(values.singles);

async function main(): Promise<void> {
  console.log(
    `bench/attach: ${pods} pods at once; cloud latency ${latencyMs} ms per call, association ${associationMs} ms, rate limits ${values['rate-limits']}, kubeClientQPS ${values['kube-qps']}`,
  );
  const setups = [await Setup.start(false)];
  if (!values['no-pool']) setups.push(await Setup.start(true));
  try {
    // Single pods alternate between the setups, so a change in the machine's load hits both alike.
    const singles = setups.map(() => [] as SingleRun[]);
    for (let i = 0; i < SINGLE_RUNS; i++) {
      for (const [k, setup] of setups.entries()) singles[k]!.push(await setup.single(i));
    }
    const figures: PhaseFigures[] = [];
    for (const [k, setup] of setups.entries()) {
      const ms = singles[k]!.map((r) => r.ms);
      const summed = new Map<string, number>();
      for (const r of singles[k]!) for (const [a, n] of r.calls) summed.set(a, (summed.get(a) ?? 0) + n);
      const singleCalls = onPath(summed, SINGLE_RUNS, setup.pool);
      const background = new Set(setup.pool ? ['AllocateEipAddress'] : []);
      const critical = singles[k]!.map((r) => criticalPathMs(r.marks, latencyMs, associationMs, background));
      const overhead = singles[k]!.map((r, i) => r.ms - critical[i]!);
      console.log(
        `${setup.label}: one pod alone (${SINGLE_RUNS} runs): attach p50 ${fmt(percentile(ms, 50))}; cloud critical path p50 ${fmt(percentile(critical, 50))} ` +
          `(association ${associationMs} ms + ${latencyMs} ms per cloud call outside it); overhead above it p50 ${Math.round(percentile(overhead, 50))} ms, p99 ${Math.round(percentile(overhead, 99))} ms`,
      );
      const kubePerAttach = singles[k]!.reduce((n, r) => n + r.kube, 0) / SINGLE_RUNS;
      const median = [...singles[k]!].sort((a, b) => a.ms - b.ms)[Math.floor((SINGLE_RUNS - 1) / 2)]!;
      console.log(
        `  the median run's requests (ms since ADD start; a cloud call answers ${latencyMs} ms after it arrives): ${formatTimeline(median.marks)}`,
      );
      console.log(
        `  per attach: cloud calls ${[...singleCalls].map(([action, n]) => `${action} ${n.toFixed(1)}`).join(', ')}; Kubernetes requests ${kubePerAttach.toFixed(1)}`,
      );
      if (setup.pool) {
        const floor = latencyMs + associationMs;
        console.log(
          `  AssociateEipAddress + its association delay: ${fmt(floor)}; single-pod p50 is ${Math.round(percentile(ms, 50) - floor)} ms above it`,
        );
      }
      figures.push({
        singleP50: percentile(ms, 50),
        singleP99: percentile(ms, 99),
        singleOverheadP50: percentile(overhead, 50),
        singleCalls,
        burstWall: 0,
        burstP50: 0,
        burstP99: 0,
        burstCalls: new Map(),
      });
    }
    for (const [k, setup] of setups.entries()) {
      const b = await setup.burst();
      Object.assign(figures[k]!, { burstWall: b.wall, burstP50: b.p50, burstP99: b.p99, burstCalls: b.calls });
    }
    await setups[0]!.extras(figures[0]!.burstP50);
    if (setups.length < 2) return;
    const callsCell = (calls: Map<string, number>) =>
      CALL_ORDER.filter((a) => calls.has(a))
        .map((a) => `${a} ${calls.get(a)!.toFixed(2)}`)
        .join(', ');
    console.log('');
    console.log(
      `| attach (${latencyMs} ms per call, ${associationMs} ms association) | single p50 | single p99 | single p50 above the cloud's critical path | burst of ${pods}: all bound | burst p50 | burst p99 | calls per single attach on its path |`,
    );
    console.log('|---|---|---|---|---|---|---|---|');
    for (const [k, name] of ['without pool', 'with warm pool'].entries()) {
      const f = figures[k]!;
      console.log(
        `| ${name} | ${fmt(f.singleP50)} | ${fmt(f.singleP99)} | ${Math.round(f.singleOverheadP50)} ms | ${fmt(f.burstWall)} | ${fmt(f.burstP50)} | ${fmt(f.burstP99)} | ${callsCell(f.singleCalls)} |`,
      );
    }
  } finally {
    for (const setup of setups) await setup.close();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
