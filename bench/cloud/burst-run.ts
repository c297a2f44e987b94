/**
 * The burst behind the "Done when" figure: N pods at once, each allocate + associate (+ wait for
 * InUse) through the real client and SDK, against `bin/podeip-sim cloud` in its own process with
 * a scaled-down budget (its own process: the figure should measure our pacing, not the two
 * sharing one CPU). Shared by bench/cloud/burst.ts (prints figures) and the fault tests.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { Registry } from 'prom-client';
import { createCloudClient } from '../../agent/src/cloud/client.js';
import type { Budget } from '../../agent/src/cloud/budgets.js';
import { CloudError } from '../../agent/src/cloud/errors.js';
import { silentLogger } from '../../agent/src/log/logger.js';

export interface BurstOptions {
  pods: number;
  /** Per-account budget for AllocateEipAddress and AssociateEipAddress (the sim enforces it). */
  budget: Budget;
  /** Also wait until every EIP is InUse (exercises the batched poller). */
  waitInUse: boolean;
  associationDelayMs?: number;
  pollIntervalMs?: number;
}

export interface BurstFigures {
  pods: number;
  budget: Budget;
  /** From the first call to the last associate accepted. */
  associatedMs: number;
  /** From the first call to the last EIP InUse (0 when not waited for). */
  inUseMs: number;
  /** The least time the budget allows for `pods` calls of one action: floor((pods-1)/calls) windows. */
  budgetMs: number;
  ratio: number;
  /** Calls the simulator answered, by action and code. */
  simCalls: Record<string, Record<string, number>>;
  /** Throttling answers the client received (it retried them all). */
  throttlesSeen: number;
  retries: number;
  /** Errors that reached callers, by code. */
  callerErrors: Record<string, number>;
  eipsInCloud: number;
  eipsInUse: number;
}

/** One instance whose ENIs hold enough private IPs for `pods` EIPs (50 per ENI, the ENI maximum). */
function burstTopology(pods: number): unknown {
  const enis = Math.ceil(pods / 49) + 1;
  return {
    vpcs: [{ vpcId: 'vpc-burst', cidrBlock: '10.0.0.0/8' }],
    vswitches: [{ vSwitchId: 'vsw-burst', vpcId: 'vpc-burst', zoneId: 'cn-hangzhou-h', cidrBlock: '10.2.0.0/16' }],
    instances: [
      {
        instanceId: 'i-burst',
        vSwitchId: 'vsw-burst',
        networkInterfaces: Array.from({ length: enis }, (_, k) => ({
          networkInterfaceId: `eni-burst${String(k).padStart(3, '0')}`,
          type: k === 0 ? 'Primary' : 'Secondary',
          macAddress: `00:16:3e:02:00:${k.toString(16).padStart(2, '0')}`,
          privateIpAddresses: Array.from({ length: 50 }, (_, j) => `10.2.${k}.${j + 1}`),
        })),
      },
    ],
  };
}

export function budgetMs(pods: number, budget: Budget): number {
  return Math.floor((pods - 1) / budget.calls) * budget.windowMs;
}

async function counter(registry: Registry, name: string): Promise<number> {
  const metric = (await registry.getMetricsAsJSON()).find((m) => m.name === name);
  return (metric?.values ?? []).reduce((sum, v) => sum + v.value, 0);
}

export interface SimProcess {
  endpoint: string;
  inspectEndpoint: string;
  regionId: string;
  accessKeyId: string;
  child: ChildProcess;
}

/** Starts `bin/podeip-sim cloud` on free loopback ports and reads the endpoints it prints. */
export async function startSimProcess(args: string[]): Promise<SimProcess> {
  const bin = fileURLToPath(new URL('../../../bin/podeip-sim', import.meta.url));
  const child = spawn(
    process.execPath,
    [bin, 'cloud', '--listen', '127.0.0.1:0', '--inspect-listen', '127.0.0.1:0', ...args],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const first = await new Promise<string>((resolve, reject) => {
    const lines = createInterface({ input: child.stdout });
    lines.once('line', (line) => {
      lines.close();
      resolve(line);
    });
    child.once('exit', (code) =>
      reject(new Error(`podeip-sim cloud exited with ${code} before printing its endpoints`)),
    );
  });
  return { ...(JSON.parse(first) as Omit<SimProcess, 'child'>), child };
}

export async function simSnapshot(
  sim: SimProcess,
): Promise<{ calls: Record<string, Record<string, number>>; eips: { status: string }[] }> {
  const res = await fetch(`http://${sim.inspectEndpoint}/state`);
  return (await res.json()) as never;
}

export async function runBurst(options: BurstOptions): Promise<BurstFigures> {
  const { pods, budget } = options;
  const limits = {
    AllocateEipAddress: { limit: budget.calls, windowMs: budget.windowMs },
    AssociateEipAddress: { limit: budget.calls, windowMs: budget.windowMs },
    // Describe keeps its documented 5:1 ratio to Allocate.
    DescribeEipAddresses: { limit: budget.calls * 5, windowMs: budget.windowMs },
  };
  const dir = await mkdtemp(join(tmpdir(), 'podeip-burst-'));
  await writeFile(join(dir, 'topology.json'), JSON.stringify(burstTopology(pods)));
  await writeFile(join(dir, 'rate-limits.json'), JSON.stringify(limits));
  const accessKeySecret = randomBytes(12).toString('hex');
  const sim = await startSimProcess([
    '--access-key-id',
    'podeip-burst',
    '--access-key-secret',
    accessKeySecret,
    '--topology',
    join(dir, 'topology.json'),
    '--rate-limits',
    join(dir, 'rate-limits.json'),
    '--eip-quota',
    String(pods * 2),
    '--association-delay-ms',
    String(options.associationDelayMs ?? 100),
  ]);
  const registry = new Registry();
  const client = createCloudClient(
    {
      regionId: sim.regionId,
      vpcId: 'vpc-burst',
      endpoints: { vpcEndpoint: sim.endpoint, ecsEndpoint: sim.endpoint },
      protocol: 'http',
      credentials: { type: 'access_key', accessKeyId: sim.accessKeyId, accessKeySecret },
      // One node owning the whole (scaled) account budget: the figure is against that budget.
      budgetShare: 1,
      budgets: {
        AllocateEipAddress: budget,
        AssociateEipAddress: budget,
        DescribeEipAddresses: { calls: budget.calls * 5, windowMs: budget.windowMs },
      },
      pollIntervalMs: options.pollIntervalMs ?? 200,
      timeouts: { connectMs: 15_000, readMs: 15_000, defaultDeadlineMs: 600_000 },
    },
    { logger: silentLogger, registry },
  );
  try {
    await client.preload();
    const eni = (
      burstTopology(pods) as {
        instances: { networkInterfaces: { networkInterfaceId: string; privateIpAddresses: string[] }[] }[];
      }
    ).instances[0]!.networkInterfaces;
    const callerErrors: Record<string, number> = {};
    let lastAssociated = 0;
    const t0 = performance.now();
    await Promise.all(
      Array.from({ length: pods }, async (_, i) => {
        const nic = eni[Math.floor(i / 49)]!;
        try {
          const eip = await client.allocateEip({ clientToken: `burst-${i}`, tags: { 'podeip.io/bench': 'burst' } });
          const binding = {
            allocationId: eip.allocationId,
            networkInterfaceId: nic.networkInterfaceId,
            privateIpAddress: nic.privateIpAddresses[(i % 49) + 1]!,
          };
          await client.associateEip(binding);
          lastAssociated = Math.max(lastAssociated, performance.now() - t0);
          if (options.waitInUse) await client.waitForEip(eip.allocationId, (e) => e?.status === 'InUse');
        } catch (err) {
          const code = err instanceof CloudError ? `${err.code}/${err.cloudCode}` : String(err);
          callerErrors[code] = (callerErrors[code] ?? 0) + 1;
        }
      }),
    );
    const inUseMs = options.waitInUse ? performance.now() - t0 : 0;
    const snapshot = await simSnapshot(sim);
    const ideal = budgetMs(pods, budget);
    return {
      pods,
      budget,
      associatedMs: Math.round(lastAssociated),
      inUseMs: Math.round(inUseMs),
      budgetMs: ideal,
      ratio: Number((lastAssociated / ideal).toFixed(3)),
      simCalls: snapshot.calls,
      throttlesSeen: await counter(registry, 'podeip_cloud_throttled_total'),
      retries: await counter(registry, 'podeip_cloud_retries_total'),
      callerErrors,
      eipsInCloud: snapshot.eips.length,
      eipsInUse: snapshot.eips.filter((e) => e.status === 'InUse').length,
    };
  } finally {
    client.close();
    const exited = new Promise((resolve) => sim.child.once('exit', resolve));
    sim.child.kill('SIGTERM');
    await exited;
    await rm(dir, { recursive: true, force: true });
  }
}

export function formatFigures(f: BurstFigures): string[] {
  const calls = Object.entries(f.simCalls).map(([action, byCode]) => `${action} ${JSON.stringify(byCode)}`);
  return [
    `burst: ${f.pods} pods (allocate + associate${f.inUseMs ? ' + wait InUse' : ''}), budget ${f.budget.calls} calls / ${f.budget.windowMs} ms per action`,
    `time to all associated: ${f.associatedMs} ms; budget allows ${f.budgetMs} ms; ratio ${f.ratio}`,
    ...(f.inUseMs ? [`time to all InUse: ${f.inUseMs} ms`] : []),
    `throttles seen by the client: ${f.throttlesSeen}; retries: ${f.retries}; errors reaching callers: ${JSON.stringify(f.callerErrors)}`,
    `EIPs in the cloud: ${f.eipsInCloud}, InUse: ${f.eipsInUse}`,
    ...calls.map((c) => `calls ${c}`),
  ];
}
