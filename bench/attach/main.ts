/**
 * bench/attach: N pods (default 100) attach at once through the real plugin binary, against the
 * cloud simulator with realistic latencies and the documented rate limits. Prints figures; never
 * passes or fails on time. Then the same again on a fresh simulated account whose agent runs a
 * warm pool of N + 5 EIPs (same latencies and limits), and a table of both.
 *
 *   node dist/bench/attach/main.js [--pods 100] [--latency-ms 80] [--association-ms 1500]
 *                                  [--rate-limits documented|off] [--rss-bindings 256] [--kube-qps 20] [--no-pool]
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { spawnSync } from 'node:child_process';
import { SimulatedCluster, type SimNode } from '../../sim/stack/cluster.js';
import type { SandboxRef } from '../../sim/stack/cni-runtime.js';
import { benchTopology } from './topology.js';
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
  return new Map(Object.entries(snapshot.calls).map(([action, byCode]) => [action, Object.values(byCode).reduce((a, b) => a + b, 0)]));
}

function diff(after: Map<string, number>, before: Map<string, number>): Map<string, number> {
  return new Map([...after].map(([action, n]) => [action, n - (before.get(action) ?? 0)]).filter(([, n]) => (n as number) > 0) as Array<[string, number]>);
}

const CNI_TRY_AGAIN = 11;

/** ADD as kubelet drives it: "try again later" (the CNI deadline passed while the agent works on) is retried. */
async function attachAll(node: SimNode, sandboxes: SandboxRef[]): Promise<number[]> {
  return Promise.all(sandboxes.map(async (sandbox) => {
    const started = performance.now();
    for (;;) {
      const outcome = await node.runtime.add(sandbox);
      if (outcome.exitCode === 0) return performance.now() - started;
      if ((outcome.result as { code?: number } | undefined)?.code !== CNI_TRY_AGAIN) throw new Error(`ADD ${sandbox.name} failed: ${outcome.stdout}`);
    }
  }));
}

async function newPods(cluster: SimulatedCluster, node: SimNode, prefix: string, count: number, annotations: Record<string, string>): Promise<SandboxRef[]> {
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
  /** Cloud calls per single attach, by action, on the pod's path (background refills excluded). */
  singleCalls: Map<string, number>;
  burstWall: number;
  burstP50: number;
  burstP99: number;
  burstCalls: Map<string, number>;
  /** Background refills during the burst (pool only). */
  refills: number;
}

/** Calls per attach on the pod's path: with the pool, AllocateEipAddress is the background refill. */
function onPath(calls: Map<string, number>, attaches: number, pool: boolean): Map<string, number> {
  return new Map([...calls].filter(([action]) => !(pool && action === 'AllocateEipAddress')).map(([action, n]) => [action, n / attaches]));
}

const SEQUENTIAL = ['AllocateEipAddress', 'TagResources', 'ModifyEipAddressAttribute', 'AssociateEipAddress', 'DescribeEipAddresses', 'DescribeNetworkInterfaces'];

async function phase(pool: boolean, extras: boolean): Promise<PhaseFigures> {
  const dir = await mkdtemp(join(tmpdir(), 'podeip-bench-attach-'));
  const total = pods + 5 + rssBindings;
  const poolSize = pods + 5;
  const cluster = await SimulatedCluster.start({
    dir,
    cloud: {
      topology: benchTopology(Math.ceil((total + 40) / 50)),
      latencyMs, associationDelayMs: associationMs, eipQuota: total + poolSize + 10,
      rateLimits: values['rate-limits'] === 'off' ? 'off' : 'documented',
    },
    agentConfig: {
      networkController: { eipController: { maxConcurrentReconciles: 16 } },
      kubeClientQPS: Number(values['kube-qps']), kubeClientBurst: 2 * Number(values['kube-qps']),
      ...(pool ? { warmPool: { enabled: true, minIdle: poolSize, maxIdle: poolSize, maxTotal: 10 * poolSize, quotaReserve: 0 } } : {}),
    },
  });
  const node = cluster.nodes[0]!;
  try {
    await cluster.startAgents();
    const eip = { 'k8s.aliyun.com/pod-with-eip': 'true' };
    const label = pool ? 'with the warm pool' : 'without a pool';
    if (pool) {
      const filling = performance.now();
      const idle = (metrics: string) => Number(/^podeip_pool_eips\{state="idle"\} (\S+)$/m.exec(metrics)?.[1] ?? 0);
      while (idle(await node.agent.metrics()) < poolSize) await new Promise((r) => setTimeout(r, 500));
      console.log(`${label}: the pool filled to ${poolSize} idle EIPs in ${fmt(performance.now() - filling)} (background, this node's Allocate budget)`);
    }

    const single: number[] = [];
    const beforeSingle = callCounts(cluster);
    for (const sandbox of await newPods(cluster, node, 'solo', 5, eip)) single.push(...await attachAll(node, [sandbox]));
    const singleCalls = onPath(diff(callCounts(cluster), beforeSingle), 5, pool);
    const sequentialCalls = SEQUENTIAL.reduce((n, action) => n + (singleCalls.get(action) ?? 0), 0);
    const criticalPathMs = sequentialCalls * latencyMs + associationMs;
    console.log(`${label}: one pod alone (5 runs): attach p50 ${fmt(percentile(single, 50))}; cloud critical path ~${fmt(criticalPathMs)} (${sequentialCalls.toFixed(1)} calls x ${latencyMs} ms + association ${associationMs} ms); overhead p50 ${Math.round(percentile(single, 50) - criticalPathMs)} ms`);
    if (pool) {
      const floor = latencyMs + associationMs;
      console.log(`  AssociateEipAddress + its association delay: ${fmt(floor)}; single-pod p50 is ${Math.round(percentile(single, 50) - floor)} ms above it`);
    }

    const sandboxes = await newPods(cluster, node, 'burst', pods, eip);
    const before = callCounts(cluster);
    const started = performance.now();
    const latencies = await attachAll(node, sandboxes);
    const wallMs = performance.now() - started;
    const allCalls = diff(callCounts(cluster), before);
    const calls = onPath(allCalls, pods, pool);
    console.log(`${label}: ${pods} pods at once: all bound in ${fmt(wallMs)}; attach p50 ${fmt(percentile(latencies, 50))}, p99 ${fmt(percentile(latencies, 99))}`);
    // The agent spends its share (cloud.rateLimitShare, default 0.5) of the account's 120 Allocate (and Associate) calls a minute.
    const perMinute = 120 * DEFAULT_BUDGET_SHARE;
    const budgetMs = ((pods - 1) / perMinute) * 60_000;
    console.log(`  this node's ${pool ? 'Associate' : 'Allocate'} budget (${perMinute}/min, share ${DEFAULT_BUDGET_SHARE} of the account's 120) alone needs ${fmt(budgetMs)} for ${pods} EIPs: wall time is ${(wallMs / budgetMs).toFixed(2)}x that`);
    console.log(`  cloud calls per attach on the pod's path: ${[...calls].map(([action, n]) => `${action} ${n.toFixed(2)}`).join(', ')}`);
    if (pool) console.log(`  background refills during the burst: AllocateEipAddress ${allCalls.get('AllocateEipAddress') ?? 0}`);
    const metrics = await node.agent.metrics();
    const throttled = [...metrics.matchAll(/^podeip_cloud_throttled_total\{action="([^"]+)"\} (\S+)$/gm)].map((m) => `${m[1]} ${m[2]}`);
    console.log(`  throttling answers absorbed by the agent: ${throttled.length ? throttled.join(', ') : 'none'}`);
    if (pool) {
      const hits = Number(/^podeip_pool_takes_total\{result="hit"\} (\S+)$/m.exec(metrics)?.[1] ?? 0);
      console.log(`  attaches served by a pool EIP: ${hits} of ${pods + 5}`);
    }

    if (extras) {
      const plain = await newPods(cluster, node, 'plain', 20, {});
      const noEip: number[] = [];
      for (const sandbox of plain) noEip.push((await node.runtime.add(sandbox)).ms);
      const nodeBoot = execMedian(process.execPath, ['-e', '0'], 10);
      console.log(`shim exec-to-exit: pod without EIP p50 ${percentile(noEip, 50).toFixed(1)} ms (no agent call), with EIP p50 ${fmt(percentile(latencies, 50))}; \`node -e 0\` ${nodeBoot.toFixed(1)} ms`);

      const bound = pods + 5;
      if (rssBindings > bound) {
        await attachAll(node, await newPods(cluster, node, 'rss', rssBindings - bound, eip));
      }
      console.log(`agent RSS with ${Math.max(bound, rssBindings)} bindings: ${((await node.agent.rssBytes()) / 1024 / 1024).toFixed(1)} MiB`);
    }
    return {
      singleP50: percentile(single, 50), singleP99: percentile(single, 99), singleCalls,
      burstWall: wallMs, burstP50: percentile(latencies, 50), burstP99: percentile(latencies, 99), burstCalls: calls,
      refills: pool ? (allCalls.get('AllocateEipAddress') ?? 0) : 0,
    };
  } finally {
    await cluster.close();
    await rm(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  console.log(`bench/attach: ${pods} pods at once; cloud latency ${latencyMs} ms per call, association ${associationMs} ms, rate limits ${values['rate-limits']}, kubeClientQPS ${values['kube-qps']}`);
  const without = await phase(false, true);
  if (values['no-pool']) return;
  const withPool = await phase(true, false);
  const callsCell = (calls: Map<string, number>) => SEQUENTIAL.filter((a) => calls.has(a)).map((a) => `${a} ${calls.get(a)!.toFixed(2)}`).join(', ');
  console.log('');
  console.log(`| attach (${latencyMs} ms per call, ${associationMs} ms association) | single p50 | single p99 | burst of ${pods}: all bound | burst p50 | burst p99 | calls per single attach on its path |`);
  console.log('|---|---|---|---|---|---|---|');
  for (const [name, f] of [['without pool', without], ['with warm pool', withPool]] as const) {
    console.log(`| ${name} | ${fmt(f.singleP50)} | ${fmt(f.singleP99)} | ${fmt(f.burstWall)} | ${fmt(f.burstP50)} | ${fmt(f.burstP99)} | ${callsCell(f.singleCalls)} |`);
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
