/**
 * One poller for every EIP someone waits on: each tick describes the EIPs that are due at once
 * (the describe path coalesces them into DescribeEipAddresses calls of up to 50 ids) and settles
 * the waiters whose EIP has left its transitional state and satisfies their condition.
 *
 * Reads are budgeted fleet-wide, and a waiting pod learns of its EIP only when a describe sees it,
 * so the poller aims each wait's first describe at the moment the transition ends: it learns
 * that moment from past waits (transition-estimate.ts). A describe that finds the EIP still
 * moving after that moment is followed at once by another, twice at most; after that each waits
 * 1.5x longer, from `intervalMs` up to `maxIntervalMs`. Until one wait has settled (the first
 * after the agent starts) it describes every `intervalMs`.
 */
import { abortReason, type Clock } from '../../../lib/clock.js';
import { CloudError } from './errors.js';
import type { Eip, EipStatus } from './types.js';
import type { Logger } from '../log/logger.js';
import { TransitionEstimate } from './transition-estimate.js';

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
  /** The first wait before a describe until a transition time is learned, and the base of the back-off. */
  intervalMs: number;
  /** The longest wait between two describes of one EIP; default intervalMs (a fixed interval). */
  maxIntervalMs?: number;
  logger: Logger;
}

interface Due {
  since: number;
  at: number;
  /** Describes that found the EIP still on its way. */
  polls: number;
  /** When the latest describe was sent, and the latest that found the EIP still moving (ms since `since`). */
  sentAfter: number;
  missedAfter: number | undefined;
}

const BACKOFF = 1.5;
/** Describes sent right after an answer that found the EIP still moving past the learned time. */
const QUICK_RETRIES = 2;

export class EipPoller {
  private readonly waiters = new Map<string, Set<Waiter>>();
  private readonly due = new Map<string, Due>();
  private readonly transition = new TransitionEstimate();
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
        const first = Math.min(this.transition.firstDescribeAfter() ?? this.deps.intervalMs, this.maxIntervalMs());
        this.due.set(allocationId, { since: now, at: now + first, polls: 0, sentAfter: 0, missedAfter: undefined });
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
    for (const [id, set] of this.waiters)
      for (const w of set) {
        this.remove(id, w);
        w.reject(err);
      }
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

  /**
   * A describe found the EIP still on its way (`missed`), or failed. Past the time the transition
   * is known to end by, the next describe goes at once; otherwise, and after QUICK_RETRIES, it waits longer.
   */
  private notYet(id: string, now: number, missed: boolean): void {
    const d = this.due.get(id);
    if (!d) return;
    d.polls++;
    if (missed) d.missedAfter = d.sentAfter;
    const endsBy = this.transition.endsBy();
    if (endsBy !== undefined && d.polls <= QUICK_RETRIES) {
      // Between the miss and the known end while that is still ahead; at once when it is past.
      const next = d.missedAfter !== undefined && d.missedAfter < endsBy ? (d.missedAfter + endsBy) / 2 : endsBy;
      d.at = Math.max(now, d.since + next);
      return;
    }
    // Until a wait has settled (once per agent start) every interval, to learn the transition time
    // closely; after the quick ones the back-off starts over from one interval: the transition is late, not far off.
    const slow = endsBy === undefined ? 0 : d.polls - QUICK_RETRIES - 1;
    d.at = now + Math.min(this.maxIntervalMs(), this.deps.intervalMs * BACKOFF ** slow);
  }

  private async tick(): Promise<void> {
    this.ticking = true;
    try {
      const now = this.deps.clock.now();
      const ids = [...this.due].filter(([, d]) => d.at <= now).map(([id]) => id);
      await Promise.all(
        ids.map(async (id) => {
          let eip: Eip | undefined;
          const d = this.due.get(id);
          if (d) d.sentAfter = now - d.since;
          try {
            eip = await this.deps.describe(id);
          } catch (err) {
            if (err instanceof CloudError && !err.retryable) {
              for (const w of [...(this.waiters.get(id) ?? [])]) {
                this.remove(id, w);
                w.reject(err);
              }
            } else {
              this.deps.logger.debug('eip poll failed; next tick retries', {
                allocationId: id,
                error: err instanceof Error ? err.message : String(err),
              });
              this.notYet(id, this.deps.clock.now(), false);
            }
            return;
          }
          const answeredAt = this.deps.clock.now();
          if (eip && isTransitional(eip)) return this.notYet(id, answeredAt, true);
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
            if (satisfied) {
              this.remove(id, w);
              w.resolve(eip);
            }
          }
          if (this.waiters.has(id)) this.notYet(id, answeredAt, true);
          else if (due) this.transition.settled(due.missedAfter, due.sentAfter);
        }),
      );
    } finally {
      this.ticking = false;
      this.schedule();
    }
  }
}
