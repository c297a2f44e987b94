/**
 * A fleet burst: N in-process nodes, each with the agent's real parts (cloud client over the
 * official SDK with its limiter and fleet budget, kube gateway over client-node with its Lease
 * elector, SQLite journal, BindingService), against one `podeip-sim cloud` and one
 * `podeip-sim kube`, each in its own process. Every node's pods attach at once, retried the way
 * kubelet retries a CNI ADD. Time is scaled: the simulator's windows, latencies and association
 * delay, and the agents' budgets, intervals, backoffs and deadlines, are all divided by `scale`.
 * Shared by bench/fleet/main.ts (prints the table) and test/fleet (asserts the goals).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import {
  ApiextensionsV1Api,
  CoordinationV1Api,
  CoreV1Api,
  KubeConfig,
  type V1CustomResourceDefinition,
} from '@kubernetes/client-node';
import { Registry } from 'prom-client';
import { parse as parseYaml } from 'yaml';
import { createCloudClient, type ClosableCloudClient } from '../../agent/src/cloud/client.js';
import { CLOUD_ACTIONS, DOCUMENTED_BUDGETS, type Budget, type CloudAction } from '../../agent/src/cloud/budgets.js';
import { DEFAULT_RETRY_POLICIES } from '../../agent/src/retry/index.js';
import { createKubeGateway, type ClosableKubeGateway } from '../../agent/src/kube/index.js';
import type { LeaderElector } from '../../agent/src/kube/types.js';
import { PLAN_LEASE } from '../../agent/src/kube/demand-board.js';
import { createLogger, silentLogger } from '../../agent/src/log/logger.js';
import { Journal } from '../../agent/src/store/journal.js';
import { BindingService } from '../../agent/src/binding/service.js';
import { startSimProcess, simSnapshot, type SimProcess } from '../cloud/burst-run.js';

const CRD = fileURLToPath(new URL('../../../manifests/crd/podeips.alibabacloud.com.yaml', import.meta.url));
const SIM_BIN = fileURLToPath(new URL('../../../bin/podeip-sim', import.meta.url));
const MINUTE = 60_000;
/** The budgeted actions the bound is taken over (documented limits). */
const BOUND_ACTIONS: readonly CloudAction[] = ['AllocateEipAddress', 'AssociateEipAddress', 'DescribeEipAddresses'];
const TRY_AGAIN = new Set(['DeadlineExceeded', 'AgentNotReady']);

export interface FleetRunOptions {
  nodes: number;
  podsPerNode: number;
  /** Coordinated fleet budget, or today's fixed share with AIMD. */
  coordinated: boolean;
  /** Every duration is divided by this. */
  scale: number;
  /** Per OpenAPI call, unscaled. Default 80. */
  latencyMs?: number;
  /** Associating -> InUse, unscaled. Default 1500. */
  associationMs?: number;
  /** cloud.budgetCoordinationSeconds x 1000, unscaled. Default 5000. */
  intervalMs?: number;
  /** agent.attachTimeoutSeconds x 1000 (the CNI deadline), unscaled. Default 100000. */
  attachTimeoutMs?: number;
  accountReserve?: number;
  /** Idle time measured after the burst for the idle API figure, unscaled. Default one minute. */
  idleMs?: number;
  /** Runs alongside the burst, once every pod's first ADD is under way (tests break things here). */
  during?: (fleet: FleetHandle) => Promise<void>;
  /** Every this many real ms of the burst, a TimelineSample (bench:fleet --trace). */
  traceEveryMs?: number;
}

/** The burst over time: what the fleet did in one trace period. */
export interface TimelineSample {
  /** Real ms since the burst started. */
  atMs: number;
  /** Nodes whose limits come from the fleet plan (podeip_cloud_budget_coordinated = 1). */
  coordinated: number;
  bound: number;
  /** Calls answered in this period, by action: [successes, throttled]. */
  calls: Record<string, [number, number]>;
}

export interface FleetHandle {
  readonly nodeNames: string[];
  /** The simulated API server's kubeconfig. */
  readonly kubeconfig: string;
  /** Milliseconds since the burst started (real). */
  elapsed(): number;
  /** A real duration for an unscaled one. */
  scaled(ms: number): number;
  /** Index of a node that does not lead (holds no plan). */
  follower(): number;
  /** The node stops dead: no withdraw, no release; its pods leave the figures. */
  kill(index: number): void;
  /** The API server goes down for `downMs` (real) and comes back with its state. */
  restartKube(downMs: number): Promise<void>;
  /** Whether node `index` takes its limits from the fleet plan now. */
  coordinated(index: number): Promise<boolean>;
}

export interface NodeFigures {
  name: string;
  /** Real ms from the burst start to its last pod bound. */
  doneMs: number;
  pods: number;
}

export interface FleetFigures {
  scheme: 'fleet' | 'baseline';
  nodes: number;
  pods: number;
  scale: number;
  /** Real ms until every pod of the live nodes was bound. */
  allBoundMs: number;
  /** Real ms the simulator's limiter needs for the calls made, plus one association. */
  budgetBoundMs: number;
  ratio: number;
  throttled: number;
  cloudCalls: number;
  /** Pods that saw a CNI error other than "try again later". */
  podsWithErrors: number;
  errorCodes: Record<string, number>;
  tryAgain: number;
  neverBound: number;
  jain: number;
  slowestOverMedian: number;
  p50Ms: number;
  p99Ms: number;
  /** Successful-or-not calls per attach, by action. */
  callsPerAttach: Record<string, number>;
  /** API server requests per node per (scaled) minute. */
  apiPerNodeMinuteBurst: number;
  apiPerNodeMinuteIdle: number;
  perNode: NodeFigures[];
  timeline: TimelineSample[];
}

interface FleetNode {
  name: string;
  instanceId: string;
  ips: string[];
  kube: ClosableKubeGateway;
  cloud: ClosableCloudClient;
  registry: Registry;
  elector: LeaderElector;
  journal: Journal;
  service: BindingService;
  dead: boolean;
}

interface KubeProcess {
  url: string;
  kubeconfig: string;
  child: ChildProcess;
}

async function startKubeProcess(dir: string): Promise<KubeProcess> {
  const kubeconfig = join(dir, 'kubeconfig');
  const child = spawn(process.execPath, [SIM_BIN, 'kube', '--listen', '127.0.0.1:0', '--kubeconfig-out', kubeconfig], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const first = await new Promise<string>((resolve, reject) => {
    const lines = createInterface({ input: child.stdout });
    lines.once('line', (line) => {
      lines.close();
      resolve(line);
    });
    child.once('exit', (code) => reject(new Error(`podeip-sim kube exited with ${code} before listening`)));
  });
  const { url } = JSON.parse(first) as { url: string };
  return { url, kubeconfig, child };
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}

async function kubeRequests(kube: KubeProcess): Promise<number> {
  const stats = (await (await fetch(`${kube.url}/_sim/stats`)).json()) as { requests: Record<string, number> };
  return Object.values(stats.requests).reduce((a, b) => a + b, 0);
}

/** N instances, each with ENIs of 50 private IPs (the first is the node's own). */
function fleetTopology(nodes: number, podsPerNode: number): { topology: unknown; ips: string[][] } {
  const enis = Math.ceil((podsPerNode + 1) / 50);
  const ips: string[][] = [];
  const instances = Array.from({ length: nodes }, (_, i) => {
    const nodeIps: string[] = [];
    const networkInterfaces = Array.from({ length: enis }, (_, e) => {
      const privateIpAddresses = Array.from(
        { length: 50 },
        (_, j) => `10.${1 + e + 8 * Math.floor(i / 250)}.${i % 250}.${j + 1}`,
      );
      nodeIps.push(...privateIpAddresses);
      return {
        networkInterfaceId: `eni-fleet${i}x${e}`,
        type: e === 0 ? 'Primary' : 'Secondary',
        macAddress: `00:16:3e:${(i >> 8).toString(16).padStart(2, '0')}:${(i & 255).toString(16).padStart(2, '0')}:${e.toString(16).padStart(2, '0')}`,
        privateIpAddresses,
      };
    });
    ips.push(nodeIps);
    return { instanceId: `i-fleet${String(i).padStart(5, '0')}`, vSwitchId: 'vsw-fleet', networkInterfaces };
  });
  return {
    topology: {
      vpcs: [{ vpcId: 'vpc-fleet', cidrBlock: '10.0.0.0/8' }],
      vswitches: [{ vSwitchId: 'vsw-fleet', vpcId: 'vpc-fleet', zoneId: 'cn-hangzhou-h', cidrBlock: '10.0.0.0/8' }],
      instances,
    },
    ips,
  };
}

/** The documented account budgets with time scaled, for the simulator and the agents alike. */
export function scaledBudgets(scale: number): Record<CloudAction, Budget> {
  const out = {} as Record<CloudAction, Budget>;
  for (const action of CLOUD_ACTIONS)
    out[action] = { calls: DOCUMENTED_BUDGETS[action].calls, windowMs: DOCUMENTED_BUDGETS[action].windowMs / scale };
  return out;
}

async function pool<T>(items: T[], width: number, run: (item: T, index: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(width, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        await run(items[i]!, i);
      }
    }),
  );
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function percentile(samples: number[], p: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? NaN;
}

/** Jain's fairness index: 1 when every value is equal, 1/n when one takes everything. */
export function jainIndex(values: number[]): number {
  const sum = values.reduce((a, b) => a + b, 0);
  const squares = values.reduce((a, b) => a + b * b, 0);
  return squares === 0 ? 1 : (sum * sum) / (values.length * squares);
}

/** floor((n - 1) / L) x W for n calls of an action with L calls per sliding window W. */
export function admitTimeMs(calls: number, budget: Budget): number {
  return calls <= 0 ? 0 : Math.floor((calls - 1) / budget.calls) * budget.windowMs;
}

export async function runFleet(options: FleetRunOptions): Promise<FleetFigures> {
  const { nodes: nodeCount, podsPerNode, scale } = options;
  const s = (ms: number) => ms / scale;
  const latencyMs = options.latencyMs ?? 80;
  const associationMs = options.associationMs ?? 1500;
  const intervalMs = options.intervalMs ?? 5000;
  const attachTimeoutMs = options.attachTimeoutMs ?? 100_000;
  const budgets = scaledBudgets(scale);
  const dir = await mkdtemp(join(tmpdir(), 'podeip-fleet-'));
  const children: ChildProcess[] = [];
  const fleet: FleetNode[] = [];
  try {
    const { topology, ips } = fleetTopology(nodeCount, podsPerNode);
    const limits = Object.fromEntries(
      CLOUD_ACTIONS.map((a) => [a, { limit: budgets[a].calls, windowMs: Math.round(budgets[a].windowMs) }]),
    );
    await writeFile(join(dir, 'topology.json'), JSON.stringify(topology));
    await writeFile(join(dir, 'rate-limits.json'), JSON.stringify(limits));
    const secret = randomBytes(12).toString('hex');
    const cloudSim: SimProcess = await startSimProcess([
      '--access-key-id',
      'podeip-fleet',
      '--access-key-secret',
      secret,
      '--topology',
      join(dir, 'topology.json'),
      '--rate-limits',
      join(dir, 'rate-limits.json'),
      '--eip-quota',
      String(nodeCount * podsPerNode * 2),
      '--association-delay-ms',
      String(Math.round(s(associationMs))),
      '--latency-ms',
      String(Math.round(s(latencyMs))),
    ]);
    children.push(cloudSim.child);
    const kubeSim = await startKubeProcess(dir);
    children.push(kubeSim.child);

    const kc = new KubeConfig();
    kc.loadFromFile(kubeSim.kubeconfig);
    const core = kc.makeApiClient(CoreV1Api);
    await kc
      .makeApiClient(ApiextensionsV1Api)
      .createCustomResourceDefinition({ body: parseYaml(await readFile(CRD, 'utf8')) as V1CustomResourceDefinition });

    const instances = (topology as { instances: { instanceId: string }[] }).instances;
    await pool(instances, 8, async (instance, i) => {
      const name = `fleet-node-${i + 1}`;
      await core.createNode({
        body: { metadata: { name }, spec: { providerID: `${cloudSim.regionId}.${instance.instanceId}` } },
      });
      const registry = new Registry();
      // PODEIP_FLEET_LOG=1: the first node (the usual leader) logs at debug on stderr; =all: every node.
      const logger =
        (i === 0 || process.env['PODEIP_FLEET_LOG'] === 'all') && process.env['PODEIP_FLEET_LOG']
          ? createLogger({ level: 'debug', stream: process.stderr })
          : silentLogger;
      const kube = createKubeGateway(
        { nodeName: name, kubeconfig: kubeSim.kubeconfig, qps: 20 * scale, burst: 40 * scale },
        { logger, registry },
      );
      const elector = kube.createLeaderElector({
        name: 'podeip-gc',
        namespace: 'kube-system',
        leaseDurationSeconds: 15,
        renewDeadlineSeconds: 10,
        retryPeriodSeconds: 2,
      });
      const cloud = createCloudClient(
        {
          regionId: cloudSim.regionId,
          vpcId: 'vpc-fleet',
          protocol: 'http',
          endpoints: { vpcEndpoint: cloudSim.endpoint, ecsEndpoint: cloudSim.endpoint },
          credentials: { type: 'access_key', accessKeyId: cloudSim.accessKeyId, accessKeySecret: secret },
          budgets,
          pollIntervalMs: s(500),
          backoff: {
            baseMs: s(DEFAULT_RETRY_POLICIES.cloudCall.baseMs),
            maxMs: s(DEFAULT_RETRY_POLICIES.cloudCall.maxMs),
          },
          timeouts: { connectMs: 30_000, readMs: 30_000, defaultDeadlineMs: s(60_000) },
          ...(options.coordinated
            ? {
                fleet: {
                  board: kube.createDemandBoard('kube-system', s(intervalMs)),
                  isLeader: () => elector.isLeader(),
                  nodeName: name,
                  intervalMs: s(intervalMs),
                  ...(options.accountReserve === undefined ? {} : { accountReserve: options.accountReserve }),
                },
              }
            : {}),
        },
        { logger, registry },
      );
      await cloud.preload();
      const stateDir = join(dir, name);
      await mkdir(stateDir, { recursive: true });
      const journal = Journal.open(stateDir);
      const service = new BindingService({
        journal,
        cloud,
        kube,
        logger,
        registry,
        config: {
          clusterId: 'c-fleet',
          regionId: cloudSim.regionId,
          vpcId: 'vpc-fleet',
          nodeName: name,
          instanceId: instance.instanceId,
          maxConcurrentReconciles: 4,
          customStatefulWorkloadKinds: [],
          allowEipRob: false,
          staticEipPolicy: 'Granted',
          operationTimeoutMs: s(600_000),
        },
        retryIntervalMs: s(30_000),
      });
      await kube.pods.start();
      await service.start();
      elector.run({ onStartedLeading: () => {}, onStoppedLeading: () => {} });
      fleet[i] = {
        name,
        instanceId: instance.instanceId,
        ips: ips[i]!,
        kube,
        cloud,
        registry,
        elector,
        journal,
        service,
        dead: false,
      };
    });

    // The pods, scheduled and seen by their node's informer before the burst.
    const pods: { node: number; name: string; uid: string; ip: string }[] = [];
    for (let n = 0; n < nodeCount; n++)
      for (let j = 0; j < podsPerNode; j++) pods.push({ node: n, name: `p-${n}-${j}`, uid: '', ip: ips[n]![j + 1]! });
    await pool(pods, 16, async (pod) => {
      const created = await core.createNamespacedPod({
        namespace: 'default',
        body: {
          metadata: { name: pod.name, namespace: 'default', annotations: { 'k8s.aliyun.com/pod-with-eip': 'true' } },
          spec: { nodeName: fleet[pod.node]!.name, containers: [{ name: 'app', image: 'app' }] },
        },
      });
      pod.uid = created.metadata!.uid!;
    });
    for (const pod of pods) {
      while (fleet[pod.node]!.kube.pods.cached('default', pod.name)?.uid !== pod.uid) await sleep(20);
    }
    // Let the electors settle and the idle fleet be idle; with coordination, the leader's idle
    // plan counts every node (a cluster whose nodes all joined long ago).
    await sleep(Math.max(s(intervalMs) * 2, 500));
    if (options.coordinated) {
      const coordination = kc.makeApiClient(CoordinationV1Api);
      const fleetInPlan = async (): Promise<number> => {
        const lease = await coordination
          .readNamespacedLease({ namespace: 'kube-system', name: PLAN_LEASE })
          .catch(() => undefined);
        const raw = lease?.metadata?.annotations?.['podeip.io/budget-plan'];
        return raw ? (JSON.parse(raw) as { fleet: number }).fleet : 0;
      };
      while ((await fleetInPlan()) !== nodeCount) await sleep(200);
    }

    const apiBefore = await kubeRequests(kubeSim);
    const t0 = performance.now();
    const doneAt = new Map<string, number>();
    const errorPods = new Set<string>();
    const errorCodes: Record<string, number> = {};
    let tryAgain = 0;
    const giveUpAt = t0 + s(30 * MINUTE) + 60_000;
    const attachAll = Promise.all(
      pods.map(async (pod) => {
        const node = fleet[pod.node]!;
        const containerId = randomBytes(32).toString('hex');
        while (!node.dead && performance.now() < giveUpAt) {
          try {
            await node.service.attach(
              {
                clientVersion: '0.1.0',
                pod: { namespace: 'default', name: pod.name, uid: pod.uid },
                sandbox: { containerId, netns: `/var/run/netns/${containerId}`, ifname: 'eth0' },
                podIpv4: pod.ip,
                podAnnotations: { 'k8s.aliyun.com/pod-with-eip': 'true' },
                podAnnotationsKnown: true,
              },
              AbortSignal.timeout(s(attachTimeoutMs)),
            );
            doneAt.set(pod.name, performance.now() - t0);
            return;
          } catch (err) {
            if (node.dead) return;
            const code = (err as { code?: string }).code ?? String(err);
            if (TRY_AGAIN.has(code)) {
              tryAgain++;
              continue;
            }
            errorPods.add(pod.name);
            errorCodes[code] = (errorCodes[code] ?? 0) + 1;
            await sleep(s(1000));
          }
        }
      }),
    );

    const handle: FleetHandle = {
      nodeNames: fleet.map((n) => n.name),
      kubeconfig: kubeSim.kubeconfig,
      elapsed: () => performance.now() - t0,
      scaled: s,
      follower: () => fleet.findIndex((n) => !n.elector.isLeader() && !n.dead),
      kill(index) {
        const node = fleet[index]!;
        node.dead = true;
        node.cloud.close();
      },
      async restartKube(downMs) {
        await fetch(`${kubeSim.url}/_sim/restart?keepState=true&downMs=${Math.round(downMs)}`, { method: 'POST' });
      },
      async coordinated(index) {
        const metric = (await fleet[index]!.registry.getMetricsAsJSON()).find(
          (m) => m.name === 'podeip_cloud_budget_coordinated',
        );
        return metric?.values[0]?.value === 1;
      },
    };
    const timeline: TimelineSample[] = [];
    let tracing = options.traceEveryMs !== undefined;
    const trace = async (): Promise<void> => {
      let before: Record<string, Record<string, number>> = {};
      while (tracing) {
        await sleep(options.traceEveryMs!);
        // A snapshot the busy simulator drops is skipped: the next period counts its calls.
        const [calls, coordinated] = await Promise.all([
          simSnapshot(cloudSim).then(
            (snap) => snap.calls,
            () => undefined,
          ),
          Promise.all(fleet.map((_, i) => handle.coordinated(i))).then((all) => all.filter(Boolean).length),
        ]);
        if (!calls) continue;
        const period: Record<string, [number, number]> = {};
        for (const [action, byCode] of Object.entries(calls)) {
          let ok = 0;
          let throttledNow = 0;
          for (const [code, n] of Object.entries(byCode)) {
            const d = n - (before[action]?.[code] ?? 0);
            if (code === 'Success') ok += d;
            else if (code.startsWith('Throttling')) throttledNow += d;
          }
          if (ok || throttledNow) period[action] = [ok, throttledNow];
        }
        before = calls;
        timeline.push({ atMs: Math.round(handle.elapsed()), coordinated, bound: doneAt.size, calls: period });
      }
    };
    const tracer = trace();
    await Promise.all([attachAll, options.during?.(handle)]);
    tracing = false;
    await tracer;
    const allBoundMs = Math.max(0, ...doneAt.values());
    const apiAfterBurst = await kubeRequests(kubeSim);
    const burstMs = performance.now() - t0;
    // Idle: past the last withdraws, measure a quiet stretch.
    await sleep(s(intervalMs) * 2);
    const apiIdleStart = await kubeRequests(kubeSim);
    const idleMs = s(options.idleMs ?? MINUTE);
    await sleep(idleMs);
    const apiIdleEnd = await kubeRequests(kubeSim);

    const snapshot = await simSnapshot(cloudSim);
    const live = fleet.filter((n) => !n.dead);
    const livePods = pods.filter((p) => !fleet[p.node]!.dead);
    let cloudCalls = 0;
    let throttled = 0;
    const callsPerAttach: Record<string, number> = {};
    for (const [action, byCode] of Object.entries(snapshot.calls)) {
      let n = 0;
      for (const [code, count] of Object.entries(byCode)) {
        n += count;
        if (code.startsWith('Throttling')) throttled += count;
      }
      cloudCalls += n;
      callsPerAttach[action] = Number((n / Math.max(1, livePods.length)).toFixed(2));
    }
    let boundMs = 0;
    for (const action of BOUND_ACTIONS) {
      const ok = snapshot.calls[action]?.['Success'] ?? 0;
      boundMs = Math.max(boundMs, admitTimeMs(ok, budgets[action]));
    }
    const budgetBoundMs = boundMs + s(associationMs);
    const perNode = live.map((n) => {
      const mine = livePods.filter((p) => fleet[p.node] === n);
      return {
        name: n.name,
        pods: mine.length,
        doneMs: Math.max(0, ...mine.map((p) => doneAt.get(p.name) ?? Number.POSITIVE_INFINITY)),
      };
    });
    const nodeTimes = perNode.map((n) => n.doneMs).filter(Number.isFinite);
    const latencies = livePods.map((p) => doneAt.get(p.name)).filter((v): v is number => v !== undefined);
    const minutes = (ms: number) => (ms * scale) / MINUTE;
    return {
      scheme: options.coordinated ? 'fleet' : 'baseline',
      nodes: nodeCount,
      pods: livePods.length,
      scale,
      allBoundMs: Math.round(allBoundMs),
      budgetBoundMs: Math.round(budgetBoundMs),
      ratio: Number((allBoundMs / budgetBoundMs).toFixed(3)),
      throttled,
      cloudCalls,
      podsWithErrors: [...errorPods].filter((p) => livePods.some((q) => q.name === p)).length,
      errorCodes,
      tryAgain,
      neverBound: livePods.length - latencies.length,
      jain: Number(jainIndex(nodeTimes).toFixed(3)),
      slowestOverMedian: Number((Math.max(...nodeTimes) / percentile(nodeTimes, 50)).toFixed(3)),
      p50Ms: Math.round(percentile(latencies, 50)),
      p99Ms: Math.round(percentile(latencies, 99)),
      callsPerAttach,
      apiPerNodeMinuteBurst: Number(((apiAfterBurst - apiBefore) / nodeCount / minutes(burstMs)).toFixed(1)),
      apiPerNodeMinuteIdle: Number(((apiIdleEnd - apiIdleStart) / nodeCount / minutes(idleMs)).toFixed(1)),
      perNode,
      timeline,
    };
  } finally {
    await Promise.all(
      fleet.filter(Boolean).map(async (n) => {
        await n.service.stop().catch(() => {});
        n.cloud.close();
        await n.kube.close().catch(() => {});
        n.journal.close();
      }),
    );
    for (const child of children.reverse()) await stopChild(child);
    await rm(dir, { recursive: true, force: true });
  }
}
