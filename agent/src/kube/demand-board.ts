/**
 * The fleet budget's records as coordination.k8s.io Leases (agent/src/cloud/fleet-budget.ts):
 * one per busy node, `podeip-demand-<node>`, holding its demand per action, and one plan,
 * `podeip-budget-plan`, written by the leader. A node's write replaces its own Lease without a
 * resourceVersion: it is the only writer, so one request per round, never a read-modify-write.
 */
import { V1MicroTime, type CoordinationV1Api, type V1Lease } from '@kubernetes/client-node';
import type { DemandBoard, DemandRecord } from '../cloud/fleet-budget.js';
import type { Demand, FleetPlan } from '../cloud/fleet-share.js';
import { KubeApiError } from './errors.js';
import type { NodeReader } from './nodes.js';
import type { KubeRequester } from './requester.js';

export const DEMAND_LABEL = 'podeip.io/budget';
const DEMAND_ANNOTATION = 'podeip.io/demand';
const PLAN_ANNOTATION = 'podeip.io/budget-plan';
export const PLAN_LEASE = 'podeip-budget-plan';

export function demandLeaseName(nodeName: string): string {
  return `podeip-demand-${nodeName}`;
}

export interface LeaseDemandBoardOptions {
  namespace: string;
  nodeName: string;
  /** leaseDurationSeconds written on the records (informational: expiry is judged by change). */
  intervalMs: number;
}

export class LeaseDemandBoard implements DemandBoard {
  constructor(
    private readonly options: LeaseDemandBoardOptions,
    private readonly deps: { coordination: CoordinationV1Api; requester: KubeRequester; nodes: NodeReader },
  ) {}

  async publish(demand: Demand, signal: AbortSignal): Promise<void> {
    await this.put(
      demandLeaseName(this.options.nodeName),
      { [DEMAND_LABEL]: 'demand' },
      DEMAND_ANNOTATION,
      demand,
      signal,
    );
  }

  async withdraw(signal: AbortSignal): Promise<void> {
    const name = demandLeaseName(this.options.nodeName);
    try {
      await this.deps.requester.call('delete', 'leases', { signal }, (config) =>
        this.deps.coordination.deleteNamespacedLeaseWithHttpInfo({ namespace: this.options.namespace, name }, config),
      );
    } catch (err) {
      if (!(err instanceof KubeApiError && err.notFound)) throw err;
    }
  }

  async readPlan(signal: AbortSignal): Promise<FleetPlan | undefined> {
    let lease: V1Lease;
    try {
      lease = await this.deps.requester.call('get', 'leases', { signal }, (config) =>
        this.deps.coordination.readNamespacedLeaseWithHttpInfo(
          { namespace: this.options.namespace, name: PLAN_LEASE },
          config,
        ),
      );
    } catch (err) {
      if (err instanceof KubeApiError && err.notFound) return undefined;
      throw err;
    }
    const raw = lease.metadata?.annotations?.[PLAN_ANNOTATION];
    return raw ? parsePlan(raw) : undefined;
  }

  async listDemand(signal: AbortSignal): Promise<DemandRecord[]> {
    const list = await this.deps.requester.call('list', 'leases', { signal }, (config) =>
      this.deps.coordination.listNamespacedLeaseWithHttpInfo(
        { namespace: this.options.namespace, labelSelector: `${DEMAND_LABEL}=demand` },
        config,
      ),
    );
    const out: DemandRecord[] = [];
    for (const lease of list.items) {
      const node = lease.spec?.holderIdentity;
      const raw = lease.metadata?.annotations?.[DEMAND_ANNOTATION];
      if (!node || !raw) continue;
      const demand = parseDemand(raw);
      if (demand)
        out.push({ node, demand, version: String(lease.spec?.renewTime ?? lease.metadata?.resourceVersion ?? '') });
    }
    return out;
  }

  async writePlan(plan: FleetPlan, signal: AbortSignal): Promise<void> {
    await this.put(PLAN_LEASE, {}, PLAN_ANNOTATION, plan, signal);
  }

  async fleetSize(signal: AbortSignal): Promise<number> {
    return (await this.deps.nodes.names(signal)).size;
  }

  /** Replaces the Lease unconditionally (we are its only writer), creating it the first time. */
  private async put(
    name: string,
    labels: Record<string, string>,
    annotation: string,
    value: unknown,
    signal: AbortSignal,
  ): Promise<void> {
    const { namespace } = this.options;
    const body: V1Lease = {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: { name, namespace, labels, annotations: { [annotation]: JSON.stringify(value) } },
      spec: {
        holderIdentity: this.options.nodeName,
        leaseDurationSeconds: Math.max(1, Math.ceil(this.options.intervalMs / 1000)),
        renewTime: new V1MicroTime(Date.now()),
      },
    };
    try {
      await this.deps.requester.call('replace', 'leases', { signal }, (config) =>
        this.deps.coordination.replaceNamespacedLeaseWithHttpInfo({ namespace, name, body }, config),
      );
    } catch (err) {
      if (!(err instanceof KubeApiError && err.notFound)) throw err;
      await this.deps.requester.call('create', 'leases', { signal }, (config) =>
        this.deps.coordination.createNamespacedLeaseWithHttpInfo({ namespace, body }, config),
      );
    }
  }
}

function parseDemand(raw: string): Demand | undefined {
  try {
    const value = JSON.parse(raw) as unknown;
    if (!value || typeof value !== 'object' || Array.isArray(value)) return undefined;
    const out: Demand = {};
    for (const [action, n] of Object.entries(value))
      if (typeof n === 'number' && n >= 0) (out as Record<string, number>)[action] = n;
    return out;
  } catch {
    return undefined;
  }
}

function parsePlan(raw: string): FleetPlan | undefined {
  try {
    const value = JSON.parse(raw) as Partial<FleetPlan>;
    if (
      typeof value.seq !== 'number' ||
      typeof value.fleet !== 'number' ||
      !value.demand ||
      typeof value.demand !== 'object'
    )
      return undefined;
    return { seq: value.seq, fleet: value.fleet, demand: value.demand };
  } catch {
    return undefined;
  }
}
