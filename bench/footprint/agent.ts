/**
 * The agent's footprint, as a real process against both simulators (no cloud latency, no rate
 * limits: the figures are the agent's own): start to ready, RSS and CPU idle, RSS with N
 * bindings, start to ready over N journal rows, RSS across attach/detach cycles and its slope.
 * The cycles go through the plugin's own client in this process, so they measure the agent, not
 * 20,000 plugin process starts.
 */
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import type { AttachRequest, DetachRequest } from '../../lib/agent-contract.js';
import { GrpcAgentClient } from '../../cni-plugin/src/agent-client.js';
import { agentServiceFromDescriptor } from '../../cni-plugin/src/agent-service.js';
import { PLUGIN_VERSION } from '../../cni-plugin/src/plugin-version.js';
import { SimulatedCluster, type SimNode } from '../../sim/stack/cluster.js';
import type { SandboxRef } from '../../sim/stack/cni-runtime.js';
import { benchTopology } from '../attach/topology.js';
import { median } from './table.js';

export interface AgentFigures {
  nodeBootMs: number;
  bareNodeRssMiB: number;
  startToReadyMs: number;
  startCpuMs: number;
  idleRssMiB: number;
  idleCpuPercent: number;
  bindings: number;
  boundRssMiB: number;
  restartToReadyMs: number;
  cycles: number;
  cyclesRssMiB: number;
  slopeMiBPer1kCycles: number;
}

export interface AgentFootprintOptions {
  dir: string;
  bindings: number;
  cycles: number;
  progress(line: string): void;
}

const EIP = { 'k8s.aliyun.com/pod-with-eip': 'true' };
const CYCLE_PODS = 16;
const CLOCK_TICKS_PER_SECOND = 100; // USER_HZ on Linux
/** /proc counts CPU in 10 ms ticks: a window this long resolves 0.05 % of a core. */
const IDLE_WINDOW_MS = 20_000;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function rssMiB(pid: number): Promise<number> {
  const kb = /VmRSS:\s+(\d+) kB/.exec(await readFile(`/proc/${pid}/status`, 'utf8'))?.[1];
  return Number(kb) / 1024;
}

/** utime + stime of a process, in ms. */
async function cpuMs(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS_PER_SECOND;
}

async function bareNodeRssMiB(): Promise<number> {
  const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1e6)'], { stdio: 'ignore' });
  await sleep(1000);
  const rss = await rssMiB(child.pid!);
  child.kill();
  return rss;
}

function nodeBootMs(): number {
  const samples: number[] = [];
  for (let i = 0; i < 11; i++) {
    const started = performance.now();
    spawnSync(process.execPath, ['-e', '0'], { env: {} });
    samples.push(performance.now() - started);
  }
  return median(samples);
}

/** Least-squares slope of y over x. */
function slope(points: Array<[number, number]>): number {
  const n = points.length;
  const mx = points.reduce((sum, [x]) => sum + x, 0) / n;
  const my = points.reduce((sum, [, y]) => sum + y, 0) / n;
  const sxy = points.reduce((sum, [x, y]) => sum + (x - mx) * (y - my), 0);
  const sxx = points.reduce((sum, [x]) => sum + (x - mx) ** 2, 0);
  return sxx === 0 ? 0 : sxy / sxx;
}

async function attachAll(node: SimNode, sandboxes: SandboxRef[], parallel: number): Promise<void> {
  const queue = [...sandboxes];
  await Promise.all(
    Array.from({ length: parallel }, async () => {
      for (let sandbox = queue.shift(); sandbox; sandbox = queue.shift()) {
        const outcome = await node.runtime.add(sandbox);
        if (outcome.exitCode !== 0) throw new Error(`ADD ${sandbox.name} failed: ${outcome.stdout}`);
      }
    }),
  );
}

export async function agentFootprint(options: AgentFootprintOptions): Promise<AgentFigures> {
  const pods = options.bindings + CYCLE_PODS;
  const cluster = await SimulatedCluster.start({
    dir: options.dir,
    cloud: {
      topology: benchTopology(Math.ceil((pods + 60) / 50)),
      latencyMs: 0,
      associationDelayMs: 0,
      eipQuota: pods + 10,
      rateLimits: 'off',
    },
    agentConfig: { networkController: { eipController: { maxConcurrentReconciles: 16 } }, agent: { logLevel: 'info' } },
  });
  const node = cluster.nodes[0]!;
  try {
    const figures: Partial<AgentFigures> = { bindings: options.bindings, cycles: options.cycles };
    figures.nodeBootMs = nodeBootMs();
    figures.bareNodeRssMiB = await bareNodeRssMiB();

    let started = performance.now();
    await node.agent.start();
    figures.startToReadyMs = performance.now() - started;
    const pid = node.agent.pid!;
    figures.startCpuMs = await cpuMs(pid);
    await sleep(5000);
    figures.idleRssMiB = await rssMiB(pid);
    const idleCpuBefore = await cpuMs(pid);
    await sleep(IDLE_WINDOW_MS);
    figures.idleCpuPercent = (((await cpuMs(pid)) - idleCpuBefore) / IDLE_WINDOW_MS) * 100;
    options.progress(
      `agent ready in ${figures.startToReadyMs.toFixed(0)} ms, idle RSS ${figures.idleRssMiB.toFixed(1)} MiB`,
    );

    const sandboxes: SandboxRef[] = [];
    for (let i = 0; i < options.bindings; i++)
      sandboxes.push(await cluster.createPod(node, { name: `bound-${i}`, annotations: EIP }));
    await attachAll(node, sandboxes, 8);
    await sleep(3000);
    figures.boundRssMiB = await rssMiB(pid);
    options.progress(`${options.bindings} bindings: RSS ${figures.boundRssMiB.toFixed(1)} MiB`);

    await node.agent.stop();
    started = performance.now();
    await node.agent.start();
    figures.restartToReadyMs = performance.now() - started;

    figures.cyclesRssMiB = await rssMiB(node.agent.pid!);
    figures.slopeMiBPer1kCycles = 0;
    if (options.cycles > 0) Object.assign(figures, await cycle(cluster, node, options));
    return figures as AgentFigures;
  } finally {
    await cluster.close();
  }
}

/** Attach then detach (a new sandbox each time) on a pool of pods, RSS sampled 20 times. */
async function cycle(
  cluster: SimulatedCluster,
  node: SimNode,
  options: AgentFootprintOptions,
): Promise<Pick<AgentFigures, 'cyclesRssMiB' | 'slopeMiBPer1kCycles'>> {
  const descriptor = JSON.parse(
    readFileSync(new URL('../../cni-plugin/exe/agent-descriptor.json', import.meta.url), 'utf8'),
  ) as Parameters<typeof agentServiceFromDescriptor>[0];
  const service = agentServiceFromDescriptor(descriptor);
  const { socketPath } = node.agent.options.config.agent as { socketPath: string };
  const pool: SandboxRef[] = [];
  for (let i = 0; i < CYCLE_PODS; i++)
    pool.push(await cluster.createPod(node, { name: `cycle-${i}`, annotations: EIP }));
  // The cycles run without the Kubernetes client's limit: at the default 20 QPS the limiter paced
  // them (under one cycle a second), and they are here for the agent's memory, not its QPS.
  await node.agent.stop();
  Object.assign(node.agent.options.config, { kubeClientQPS: 1000, kubeClientBurst: 1000 });
  await node.agent.start();
  const pid = node.agent.pid!;
  const samples: Array<[number, number]> = [];
  const sampleEvery = Math.max(1, Math.floor(options.cycles / 20));
  let done = 0;
  await Promise.all(
    pool.map(async (pod, index) => {
      for (let n = index; n < options.cycles; n += CYCLE_PODS) {
        const client = new GrpcAgentClient({ socketPath, timeoutSeconds: 60 }, service, Date.now());
        try {
          const sandbox = {
            containerId: randomBytes(32).toString('hex'),
            netns: '/var/run/netns/bench',
            ifname: 'eth0',
          };
          const ref = { namespace: pod.namespace, name: pod.name, uid: pod.uid };
          const attach: AttachRequest = {
            clientVersion: PLUGIN_VERSION,
            pod: ref,
            sandbox,
            podIpv4: pod.ipv4,
            podAnnotations: EIP,
            podAnnotationsKnown: true,
          };
          await client.attach(attach);
          const detach: DetachRequest = { clientVersion: PLUGIN_VERSION, pod: ref, sandbox, podIpv4: pod.ipv4 };
          await client.detach(detach);
        } finally {
          client.close();
        }
        done += 1;
        if (done % sampleEvery === 0) {
          samples.push([done, await rssMiB(pid)]);
          if (samples.length % 5 === 0)
            options.progress(`${done}/${options.cycles} cycles: RSS ${samples.at(-1)![1].toFixed(1)} MiB`);
        }
      }
    }),
  );
  await sleep(3000);
  const steady = samples.filter(([x]) => x > options.cycles / 10);
  return { cyclesRssMiB: await rssMiB(pid), slopeMiBPer1kCycles: slope(steady) * 1000 };
}
