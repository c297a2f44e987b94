/**
 * The one place the agent config becomes the parts' options: main.ts builds the parts from what
 * this returns and reads no config key itself. Pure (no I/O), so a test sees what a config turns into.
 */
import type { AgentConfig } from './config/load.js';
import type { BindingConfig } from './binding/context.js';
import type { CloudClientOptions } from './cloud/index.js';
import { credentialsFromConfig } from './cloud/index.js';
import type { ElectorOptions, KubeGatewayOptions } from './kube/gateway.js';
import type { WarmPoolConfig } from './pool/warm-pool.js';
import type { StaticEipPolicy } from './domain/grants.js';
import type { RetryPolicies } from './retry/index.js';

/** The Lease of the cluster duties; the Role in manifests/base/role-leases.yaml names it. */
export const GC_LEASE_NAME = 'podeip-gc';

export interface Components {
  retry: RetryPolicies;
  kube: KubeGatewayOptions;
  /** The fleet's coordination (a DemandBoard and the elector) is added by main.ts when fleetIntervalMs > 0. */
  cloud: Omit<CloudClientOptions, 'fleet'>;
  fleet: { intervalMs: number; accountReserve: number; leaseNamespace: string };
  elector: ElectorOptions;
  /** instanceId comes from the instance metadata at start-up. */
  binding: Omit<BindingConfig, 'instanceId'>;
  reconcileIntervalMs: number;
  /** Absent when warmPool.enabled is false. */
  pool?: WarmPoolConfig;
  duties: { clusterId: string; staticEipPolicy: StaticEipPolicy; periodMs: number; orphanGraceMs: number };
}

export function componentsFromConfig(
  config: AgentConfig,
  node: { nodeName: string; env: NodeJS.ProcessEnv },
): Components {
  const { retry, warmPool } = config;
  const { nodeName } = node;
  return {
    retry,
    kube: { nodeName, qps: config.kubeClientQPS, burst: config.kubeClientBurst, retry },
    cloud: {
      regionId: config.regionID,
      vpcId: config.vpcID,
      endpoints: { vpcEndpoint: config.cloud.vpcEndpoint, ecsEndpoint: config.cloud.ecsEndpoint },
      protocol: config.cloud.protocol,
      credentials: credentialsFromConfig(config, node.env),
      ...(config.cloud.rateLimitShare === undefined ? {} : { budgetShare: config.cloud.rateLimitShare }),
      timeouts: { defaultDeadlineMs: retry.cloudCall.deadlineMs },
      backoff: { baseMs: retry.cloudCall.baseMs, maxMs: retry.cloudCall.maxMs },
      pollIntervalMs: retry.associationWait.intervalMs,
      pollMaxIntervalMs: retry.associationWait.maxIntervalMs,
    },
    fleet: {
      intervalMs: config.cloud.budgetCoordinationSeconds * 1000,
      accountReserve: config.cloud.accountReserve,
      leaseNamespace: config.agent.leaseNamespace,
    },
    elector: {
      name: GC_LEASE_NAME,
      namespace: config.agent.leaseNamespace,
      ...leaseTimings(config.agent.leaseDurationSeconds),
    },
    binding: {
      clusterId: config.clusterID,
      regionId: config.regionID,
      vpcId: config.vpcID,
      nodeName,
      maxConcurrentReconciles: config.networkController.eipController.maxConcurrentReconciles,
      customStatefulWorkloadKinds: config.customStatefulWorkloadKinds,
      allowEipRob: config.allowEipRob,
      staticEipPolicy: config.staticEipPolicy,
      attachTimeoutMs: config.agent.attachTimeoutSeconds * 1000,
      operationTimeoutMs: retry.reconcile.deadlineMs,
    },
    reconcileIntervalMs: retry.reconcile.intervalMs,
    ...(warmPool.enabled
      ? {
          pool: {
            clusterId: config.clusterID,
            nodeName,
            minIdle: warmPool.minIdle,
            maxIdle: warmPool.maxIdle,
            maxTotal: warmPool.maxTotal,
            quotaReserve: warmPool.quotaReserve,
            recycle: warmPool.recycle,
            profile: warmPool.profile,
          },
        }
      : {}),
    duties: {
      clusterId: config.clusterID,
      staticEipPolicy: config.staticEipPolicy,
      periodMs: config.networkController.eipController.garbageCollectionPeriodInMinutes * 60_000,
      orphanGraceMs: config.agent.orphanGracePeriodMinutes * 60_000,
    },
  };
}

/** client-go's proportions (15/10/2 s): renew well before the lease lapses, retry well before the renew deadline. */
function leaseTimings(leaseDurationSeconds: number): {
  leaseDurationSeconds: number;
  renewDeadlineSeconds: number;
  retryPeriodSeconds: number;
} {
  const retryPeriodSeconds = Math.max(1, Math.floor(leaseDurationSeconds / 7));
  const renewDeadlineSeconds = Math.max(retryPeriodSeconds + 1, Math.floor((leaseDurationSeconds * 2) / 3));
  return { leaseDurationSeconds, renewDeadlineSeconds, retryPeriodSeconds };
}
