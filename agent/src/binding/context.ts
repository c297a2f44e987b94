/** What every step of the state machine works with, passed down from the BindingService. */
import type { CloudClient, Eip, EniBinding } from '../cloud/types.js';
import type { EventType, KubeGateway, ObjectRef } from '../kube/types.js';
import type { Logger } from '../log/logger.js';
import type { WarmPool } from '../pool/warm-pool.js';
import type { EipQuota } from '../quota/eip-quota.js';
import type { BindingRow, Journal } from '../store/journal.js';
import type { StaticEipPolicy } from '../domain/grants.js';

export interface BindingConfig {
  clusterId: string;
  regionId: string;
  vpcId: string;
  nodeName: string;
  /** This node's ECS instance id. */
  instanceId: string;
  maxConcurrentReconciles: number;
  customStatefulWorkloadKinds: string[];
  allowEipRob: boolean;
  /** Who may use an EIP podeip did not allocate (grants.ts). */
  staticEipPolicy: StaticEipPolicy;
  /**
   * How long an ADD waits for an EIP of ours (auto, fixed, or a static one recorded by a PodEIP of
   * the same pod name) to be let go by a previous holder before taking it over. Default 60000.
   */
  takeoverAfterMs?: number;
  /**
   * How long an Attach call waits for its binding before answering DeadlineExceeded ("try again
   * later"); the work goes on and the retry joins it. agent.attachTimeoutSeconds; default 100000.
   */
  attachTimeoutMs?: number;
  /** Upper bound of one background attach, even when nobody waits for it any more. Default 600000. */
  operationTimeoutMs?: number;
}

export interface BindingContext {
  journal: Journal;
  cloud: CloudClient;
  kube: KubeGateway;
  logger: Logger;
  config: BindingConfig;
  now: () => number;
  /** The account's EIP quota as this node knows it; fresh allocations past it are refused up front. */
  quota?: EipQuota;
  /** The warm pool, when warmPool.enabled. */
  pool?: WarmPool;
}

/** What one drive of a row (driver.ts) has learned on the way, so a later step need not ask again. */
export interface DriveNotes {
  /** The PodEIP was created or found before the association: true when it records this row's EIP. */
  podEipRecorded?: boolean;
  /** This drive allocated the row's auto EIP (or took it from the pool and tagged it) a moment ago. */
  freshAuto?: boolean;
  /** The EIP as the association wait last saw it: publishing needs no describe of its own. */
  seen?: Eip;
}

export function podRef(row: Pick<BindingRow, 'namespace' | 'podName' | 'podUid'>): ObjectRef {
  return { kind: 'Pod', namespace: row.namespace, name: row.podName, uid: row.podUid };
}

export function event(ctx: BindingContext, row: BindingRow, type: EventType, reason: string, message: string): void {
  ctx.kube.recordEvent(podRef(row), type, reason, message);
}

/** Where the row wants its EIP to forward to. */
export function target(row: BindingRow): EniBinding {
  return { allocationId: row.allocationId, networkInterfaceId: row.eniId, privateIpAddress: row.privateIp };
}
