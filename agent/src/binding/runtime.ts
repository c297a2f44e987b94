/**
 * What the request side (requests.ts) and the reconciler (reconciler.ts) share: the context
 * every step works with, the per-pod locks, the attaches in flight (keyed by sandbox), the
 * agent's lifetime and the background work it waits for when stopping.
 */
import type { Binding, Sandbox } from '../../../lib/agent-proto.js';
import { TERMINAL_STATES, type BindingRow } from '../store/journal.js';
import type { BindingContext } from './context.js';
import type { BindingMetrics } from './metrics.js';
import { KeyedMutex } from './pod-lock.js';

export interface AttachOp {
  podUid: string;
  mode: string;
  controller: AbortController;
  promise: Promise<BindingRow>;
}

export class BindingRuntime {
  readonly locks = new KeyedMutex();
  /** Attaches in flight by sandbox: a retried ADD joins its sandbox's, a DEL or a deleted pod aborts it. */
  readonly attaches = new Map<string, AttachOp>();
  readonly lifetime = new AbortController();
  private readonly background = new Set<Promise<unknown>>();

  constructor(
    readonly ctx: BindingContext,
    readonly metrics: BindingMetrics,
  ) {}

  /** Keeps `promise` until it settles (stop() waits for it) and observes its failure, so callers may drop the result. */
  track<T>(promise: Promise<T>): Promise<T> {
    const tracked = promise
      .then(
        () => {},
        () => {},
      )
      .finally(() => this.background.delete(tracked));
    this.background.add(tracked);
    return promise;
  }

  /** Aborts every operation with `reason` and waits for the background work to wind down. */
  async stop(reason: Error): Promise<void> {
    this.lifetime.abort(reason);
    while (this.background.size > 0) await Promise.allSettled([...this.background]);
  }
}

export function isTerminal(row: BindingRow): boolean {
  return TERMINAL_STATES.includes(row.state);
}

export function podKey(namespace: string, name: string): string {
  return `${namespace}/${name}`;
}

export function sandboxKey(sandbox: Sandbox): string {
  return `${sandbox.containerId}/${sandbox.ifname}`;
}

/** What every binding log line says, so `grep <pod>` or `grep <eip>` finds it. */
export function rowFields(row: BindingRow): Record<string, unknown> {
  return {
    pod: `${row.namespace}/${row.podName}`,
    podUid: row.podUid,
    mode: row.mode,
    state: row.state,
    allocationId: row.allocationId,
    eipAddress: row.address,
    eni: row.eniId,
    privateIp: row.privateIp,
    sandbox: row.containerId.slice(0, 12),
  };
}

export function toBinding(row: BindingRow): Binding {
  return {
    pod: { namespace: row.namespace, name: row.podName, uid: row.podUid },
    containerId: row.containerId,
    mode: row.mode,
    releaseStrategy: row.releaseStrategy,
    releaseAfter: row.releaseAfter,
    state: row.state,
    allocationId: row.allocationId,
    eipAddress: row.address,
    networkInterfaceId: row.eniId,
    privateIp: row.privateIp,
    lastError: row.lastError,
    updatedAt: row.updatedAt,
    attempts: row.attempts,
  };
}
