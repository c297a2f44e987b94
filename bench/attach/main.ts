/**
 * bench/attach: N pods (default 100) attach at once through the real plugin binary, against the
 * cloud simulator with realistic latencies and the documented rate limits. Prints figures; never
 * passes or fails on time.
 *
 *   node dist/bench/attach/main.js [--pods 100] [--latency-ms 80] [--association-ms 1500]
 *                                  [--rate-limits documented|off] [--rss-bindings 256] [--kube-qps 20]
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
import { DEFAULT_BUDGET_SHARE } from '../../agent/src/cloud/index.js';

const { values } = parseArgs({
  options: {
    pods: { type: 'string', default: '100' },
    'latency-ms': { type: 'string', default: '80' },
    'association-ms': { type: 'string', default: '1500' },
    'rate-limits': { type: 'string', default: 'documented' },
    'rss-bindings': { type: 'string', default: '256' },
    'kube-qps': { type: 'string', default: '20' },
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

/** Every request the agent sent the API server so far (podeip_kube_requests_total). */
async function kubeRequests(node: SimNode): Promise<number> {
  return sumMetric(await node.agent.metrics(), 'podeip_kube_requests_total');
}

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

async function main(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'podeip-bench-attach-'));
  const total = pods + 5 + rssBindings;
  const cluster = await SimulatedCluster.start({
    dir,
    cloud: {
      topology: benchTopology(Math.ceil((total + 40) / 50)),
      latencyMs, associationDelayMs: associationMs, eipQuota: total + 10,
      rateLimits: values['rate-limits'] === 'off' ? 'off' : 'documented',
    },
    agentConfig: {
      networkController: { eipController: { maxConcurrentReconciles: 16 } },
      kubeClientQPS: Number(values['kube-qps']), kubeClientBurst: 2 * Number(values['kube-qps']),
    },
  });
  const node = cluster.nodes[0]!;
  try {
    await cluster.startAgents();
    const eip = { 'k8s.aliyun.com/pod-with-eip': 'true' };
    console.log(`bench/attach: ${pods} pods at once; cloud latency ${latencyMs} ms per call, association ${associationMs} ms, rate limits ${values['rate-limits']}, kubeClientQPS ${values['kube-qps']}`);

    const single: number[] = [];
    const soloPods = await newPods(cluster, node, 'solo', 5, eip);
    const beforeSingle = callCounts(cluster);
    const kubeBefore = await kubeRequests(node);
    for (const sandbox of soloPods) single.push(...await attachAll(node, [sandbox]));
    const singleCalls = diff(callCounts(cluster), beforeSingle);
    const kubePerAttach = ((await kubeRequests(node)) - kubeBefore) / 5;
    const sequentialCalls = (singleCalls.get('AllocateEipAddress') ?? 0) + (singleCalls.get('AssociateEipAddress') ?? 0) + (singleCalls.get('DescribeEipAddresses') ?? 0) + (singleCalls.get('DescribeNetworkInterfaces') ?? 0);
    const criticalPathMs = (sequentialCalls / 5) * latencyMs + associationMs;
    console.log(`one pod alone (5 runs): attach p50 ${fmt(percentile(single, 50))}; cloud critical path ~${fmt(criticalPathMs)} (${(sequentialCalls / 5).toFixed(1)} calls x ${latencyMs} ms + association ${associationMs} ms); overhead p50 ${Math.round(percentile(single, 50) - criticalPathMs)} ms`);
    console.log(`  per attach (one pod alone): cloud calls ${[...singleCalls].map(([action, n]) => `${action} ${(n / 5).toFixed(1)}`).join(', ')}; Kubernetes requests ${kubePerAttach.toFixed(1)}`);

    const sandboxes = await newPods(cluster, node, 'burst', pods, eip);
    const before = callCounts(cluster);
    const started = performance.now();
    const latencies = await attachAll(node, sandboxes);
    const wallMs = performance.now() - started;
    const calls = diff(callCounts(cluster), before);
    console.log(`${pods} pods at once: all bound in ${fmt(wallMs)}; attach p50 ${fmt(percentile(latencies, 50))}, p99 ${fmt(percentile(latencies, 99))}`);
    // The agent spends its share (cloud.rateLimitShare, default 0.5) of the account's 120 Allocate/min.
    const allocatePerMinute = 120 * DEFAULT_BUDGET_SHARE;
    const allocateBudgetMs = ((pods - 1) / allocatePerMinute) * 60_000;
    console.log(`  this node's Allocate budget (${allocatePerMinute}/min, share ${DEFAULT_BUDGET_SHARE} of the account's 120) alone needs ${fmt(allocateBudgetMs)} for ${pods} EIPs: wall time is ${(wallMs / allocateBudgetMs).toFixed(2)}x that`);
    console.log(`  cloud calls per attach: ${[...calls].map(([action, n]) => `${action} ${(n / pods).toFixed(2)}`).join(', ')}`);
    const metrics = await node.agent.metrics();
    const throttled = [...metrics.matchAll(/^podeip_cloud_throttled_total\{action="([^"]+)"\} (\S+)$/gm)].map((m) => `${m[1]} ${m[2]}`);
    console.log(`  throttling answers absorbed by the agent: ${throttled.length ? throttled.join(', ') : 'none'}`);

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
  } finally {
    await cluster.close();
    await rm(dir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
