/**
 * One poller for every EIP someone waits on: each tick describes the EIPs that are due at once
 * (the describe path coalesces them into DescribeEipAddresses calls of up to 50 ids) and settles
 * the waiters whose EIP has left its transitional state and satisfies their condition.
 *
 * Reads are budgeted fleet-wide, so the poller spends few: an EIP's first describe waits for the
 * transition time it has learned (an average of how long waits took), not one interval; each
 * describe that finds it still moving waits 1.5x longer, up to `maxIntervalMs`.
 */
import { abortReason, type Clock } from '../../../lib/clock.js';
import { CloudError } from './errors.js';
import type { Eip, EipStatus } from './types.js';
import type { Logger } from '../log/logger.js';

const TRANSITIONAL: ReadonlySet<EipStatus> = new Set(['Associating', 'Unassociating', 'Releasing']);

export function isTransitional(eip: Eip): boolean {
  return TRANSITIONAL.has(eip.status);
}

interface Waiter {
  done: (eip: Eip | undefined) => boolean;
  resolve: (eip: Eip | undefined) => void;
  reject: (err: unknown) => void;
  cleanup: () => void;
}

export interface PollerDeps {
  describe: (allocationId: string) => Promise<Eip | undefined>;
  clock: Clock;
  /** The shortest wait before a describe. */
  intervalMs: number;
  /** The longest wait between two describes of one EIP; default intervalMs (a fixed interval). */
  maxIntervalMs?: number;
  logger: Logger;
}

interface Due {
  since: number;
  at: number;
  polls: number;
}

/** Weight of the latest wait in the learned transition time. */
const LEARNING_RATE = 0.3;
/** A wait settled by its first describe took at most that long: pull the estimate down a little. */
const FIRST_HIT_SHRINK = 0.8;
const BACKOFF = 1.5;

export class EipPoller {
  private readonly waiters = new Map<string, Set<Waiter>>();
  private readonly due = new Map<string, Due>();
  /** The learned transition time (ms); 0 until a wait settled. */
  private estimateMs = 0;
  private cancelTick: (() => void) | undefined;
  private tickAt = 0;
  private ticking = false;
  private closed = false;

  constructor(private readonly deps: PollerDeps) {}

  wait(allocationId: string, done: (eip: Eip | undefined) => boolean, signal?: AbortSignal): Promise<Eip | undefined> {
    if (signal?.aborted) return Promise.reject(abortReason(signal));
    if (this.closed) return Promise.reject(new Error('cloud client closed'));
    return new Promise((resolve, reject) => {
      let set = this.waiters.get(allocationId);
      if (!set) {
        this.waiters.set(allocationId, (set = new Set()));
        const now = this.deps.clock.now();
        const first = Math.min(Math.max(this.deps.intervalMs, this.estimateMs), this.maxIntervalMs());
        this.due.set(allocationId, { since: now, at: now + first, polls: 0 });
      }
      const onAbort = () => {
        this.remove(allocationId, waiter);
        reject(abortReason(signal!));
      };
      const waiter: Waiter = {
        done,
        resolve,
        reject,
        cleanup: () => signal?.removeEventListener('abort', onAbort),
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      set.add(waiter);
      this.schedule();
    });
  }

  /** EIPs being waited on (for tests and figures). */
  get watching(): number {
    return this.waiters.size;
  }

  close(): void {
    this.closed = true;
    this.cancelTick?.();
    this.cancelTick = undefined;
    const err = new Error('cloud client closed');
    for (const [id, set] of this.waiters) for (const w of set) { this.remove(id, w); w.reject(err); }
  }

  private remove(allocationId: string, waiter: Waiter): void {
    waiter.cleanup();
    const set = this.waiters.get(allocationId);
    if (!set) return;
    set.delete(waiter);
    if (set.size === 0) {
      this.waiters.delete(allocationId);
      this.due.delete(allocationId);
    }
  }

  private maxIntervalMs(): number {
    return Math.max(this.deps.intervalMs, this.deps.maxIntervalMs ?? this.deps.intervalMs);
  }

  private schedule(): void {
    if (this.closed || this.ticking || this.waiters.size === 0) return;
    let next = Number.POSITIVE_INFINITY;
    for (const d of this.due.values()) next = Math.min(next, d.at);
    if (this.cancelTick) {
      if (this.tickAt <= next) return;
      this.cancelTick();
    }
    this.tickAt = next;
    this.cancelTick = this.deps.clock.setTimer(() => {
      this.cancelTick = undefined;
      void this.tick();
    }, next - this.deps.clock.now());
  }

  /** A describe found the EIP still on its way: the next one waits longer. */
  private notYet(id: string, now: number): void {
    const d = this.due.get(id);
    if (!d) return;
    d.polls++;
    d.at = now + Math.min(this.maxIntervalMs(), this.deps.intervalMs * BACKOFF ** d.polls);
  }

  private learn(d: Due, now: number): void {
    const took = d.polls === 0 ? (now - d.since) * FIRST_HIT_SHRINK : now - d.since;
    this.estimateMs = this.estimateMs === 0 ? took : this.estimateMs + LEARNING_RATE * (took - this.estimateMs);
  }

  private async tick(): Promise<void> {
    this.ticking = true;
    try {
      const now = this.deps.clock.now();
      const ids = [...this.due].filter(([, d]) => d.at <= now).map(([id]) => id);
      await Promise.all(ids.map(async (id) => {
        let eip: Eip | undefined;
        try {
          eip = await this.deps.describe(id);
        } catch (err) {
          if (err instanceof CloudError && !err.retryable) {
            for (const w of [...(this.waiters.get(id) ?? [])]) { this.remove(id, w); w.reject(err); }
          } else {
            this.deps.logger.debug('eip poll failed; next tick retries', { allocationId: id, error: err instanceof Error ? err.message : String(err) });
            this.notYet(id, this.deps.clock.now());
          }
          return;
        }
        const answeredAt = this.deps.clock.now();
        if (eip && isTransitional(eip)) return this.notYet(id, answeredAt);
        const due = this.due.get(id);
        for (const w of [...(this.waiters.get(id) ?? [])]) {
          let satisfied: boolean;
          try {
            satisfied = eip === undefined || w.done(eip);
          } catch (err) {
            this.remove(id, w);
            w.reject(err);
            continue;
          }
          if (satisfied) { this.remove(id, w); w.resolve(eip); }
        }
        if (this.waiters.has(id)) this.notYet(id, answeredAt);
        else if (due) this.learn(due, answeredAt);
      }));
    } finally {
      this.ticking = false;
      this.schedule();
    }
  }
}
