/**
 * One poller for every EIP someone waits on: each tick describes all of them at once (the
 * describe path coalesces them into DescribeEipAddresses calls of up to 50 ids) and settles the
 * waiters whose EIP has left its transitional state and satisfies their condition.
 */
import { abortReason, type Clock } from './clock.js';
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
  intervalMs: number;
  logger: Logger;
}

export class EipPoller {
  private readonly waiters = new Map<string, Set<Waiter>>();
  private cancelTick: (() => void) | undefined;
  private ticking = false;
  private closed = false;

  constructor(private readonly deps: PollerDeps) {}

  wait(allocationId: string, done: (eip: Eip | undefined) => boolean, signal?: AbortSignal): Promise<Eip | undefined> {
    if (signal?.aborted) return Promise.reject(abortReason(signal));
    if (this.closed) return Promise.reject(new Error('cloud client closed'));
    return new Promise((resolve, reject) => {
      let set = this.waiters.get(allocationId);
      if (!set) this.waiters.set(allocationId, (set = new Set()));
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
    if (set.size === 0) this.waiters.delete(allocationId);
  }

  private schedule(): void {
    if (this.closed || this.cancelTick || this.ticking || this.waiters.size === 0) return;
    this.cancelTick = this.deps.clock.setTimer(() => {
      this.cancelTick = undefined;
      void this.tick();
    }, this.deps.intervalMs);
  }

  private async tick(): Promise<void> {
    this.ticking = true;
    try {
      const ids = [...this.waiters.keys()];
      await Promise.all(ids.map(async (id) => {
        let eip: Eip | undefined;
        try {
          eip = await this.deps.describe(id);
        } catch (err) {
          if (err instanceof CloudError && !err.retryable) {
            for (const w of [...(this.waiters.get(id) ?? [])]) { this.remove(id, w); w.reject(err); }
          } else {
            this.deps.logger.debug('eip poll failed; next tick retries', { allocationId: id, error: err instanceof Error ? err.message : String(err) });
          }
          return;
        }
        if (eip && isTransitional(eip)) return;
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
      }));
    } finally {
      this.ticking = false;
      this.schedule();
    }
  }
}
