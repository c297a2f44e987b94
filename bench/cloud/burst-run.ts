/**
 * The burst behind the "Done when" figure: N pods at once, each allocate + associate (+ wait for
 * InUse) through the real client and SDK, against the simulator with a scaled-down budget.
 * Shared by bench/cloud/burst.ts (prints figures) and the fault tests (assert on them).
 */
import { Registry } from 'prom-client';
import { startCloudSim, type CloudSim } from '../../sim/cloud/index.js';
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
    instances: [{
      instanceId: 'i-burst',
      vSwitchId: 'vsw-burst',
      networkInterfaces: Array.from({ length: enis }, (_, k) => ({
        networkInterfaceId: `eni-burst${String(k).padStart(3, '0')}`,
        type: k === 0 ? 'Primary' : 'Secondary',
        macAddress: `00:16:3e:02:00:${k.toString(16).padStart(2, '0')}`,
        privateIpAddresses: Array.from({ length: 50 }, (_, j) => `10.2.${k}.${j + 1}`),
      })),
    }],
  };
}

export function budgetMs(pods: number, budget: Budget): number {
  return Math.floor((pods - 1) / budget.calls) * budget.windowMs;
}

async function counter(registry: Registry, name: string): Promise<number> {
  const metric = (await registry.getMetricsAsJSON()).find((m) => m.name === name);
  return (metric?.values ?? []).reduce((sum, v) => sum + v.value, 0);
}

export async function runBurst(options: BurstOptions): Promise<BurstFigures> {
  const { pods, budget } = options;
  const limits = {
    AllocateEipAddress: { limit: budget.calls, windowMs: budget.windowMs },
    AssociateEipAddress: { limit: budget.calls, windowMs: budget.windowMs },
    // Describe keeps its documented 5:1 ratio to Allocate.
    DescribeEipAddresses: { limit: budget.calls * 5, windowMs: budget.windowMs },
  };
  const sim: CloudSim = await startCloudSim({
    topology: burstTopology(pods), rateLimits: limits, eipQuota: pods * 2, associationDelayMs: options.associationDelayMs ?? 100,
  });
  const registry = new Registry();
  const client = createCloudClient({
    regionId: sim.regionId,
    vpcId: 'vpc-burst',
    endpoints: { vpcEndpoint: sim.endpoint, ecsEndpoint: sim.endpoint },
    protocol: 'http',
    credentials: { type: 'access_key', accessKeyId: sim.accessKeyId, accessKeySecret: sim.accessKeySecret },
    // One node owning the whole (scaled) account budget: the figure is against that budget.
    budgetShare: 1,
    budgets: {
      AllocateEipAddress: budget, AssociateEipAddress: budget,
      DescribeEipAddresses: { calls: budget.calls * 5, windowMs: budget.windowMs },
    },
    pollIntervalMs: options.pollIntervalMs ?? 200,
    timeouts: { connectMs: 15_000, readMs: 15_000, defaultDeadlineMs: 600_000 },
  }, { logger: silentLogger, registry });
  try {
    await client.preload();
    const eni = sim.topology.instances[0]!.networkInterfaces;
    const callerErrors: Record<string, number> = {};
    let lastAssociated = 0;
    const t0 = performance.now();
    await Promise.all(Array.from({ length: pods }, async (_, i) => {
      const nic = eni[Math.floor(i / 49)]!;
      try {
        const eip = await client.allocateEip({ clientToken: `burst-${i}`, tags: { 'podeip.io/bench': 'burst' } });
        const binding = { allocationId: eip.allocationId, networkInterfaceId: nic.networkInterfaceId, privateIpAddress: nic.privateIpAddresses[(i % 49) + 1]! };
        await client.associateEip(binding);
        lastAssociated = Math.max(lastAssociated, performance.now() - t0);
        if (options.waitInUse) await client.waitForEip(eip.allocationId, (e) => e?.status === 'InUse');
      } catch (err) {
        const code = err instanceof CloudError ? `${err.code}/${err.cloudCode}` : String(err);
        callerErrors[code] = (callerErrors[code] ?? 0) + 1;
      }
    }));
    const inUseMs = options.waitInUse ? performance.now() - t0 : 0;
    const snapshot = sim.state.snapshot();
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
    await sim.close();
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
