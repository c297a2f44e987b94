/**
 * Per-action client-side limiter. A sliding-window log (at most `limit` call starts in any
 * window) rather than a token bucket: a full bucket plus its refill lets 2x the budget through
 * one window, which a fixed- or sliding-window server answers with Throttling.
 *
 * Feedback: Throttling pauses the action until the server's retry-after and halves the current
 * limit (once per round of calls); every success adds one call back, up to the configured
 * limit. That is AIMD, so many nodes sharing one account converge instead of stampeding.
 */
import { abortReason, type Clock } from './clock.js';
import type { Budget } from './budgets.js';

interface Waiter {
  resolve: (startedAt: number) => void;
  reject: (err: unknown) => void;
  signal: AbortSignal | undefined;
  onAbort: (() => void) | undefined;
}

export interface ActionLimiterState {
  limit: number;
  currentLimit: number;
  inWindow: number;
  queued: number;
  pausedForMs: number;
}

/** Half a second or 2% of the window: slack for request-arrival jitter at the server. */
function windowMargin(windowMs: number): number {
  return Math.min(500, Math.ceil(windowMs * 0.02));
}

export class ActionLimiter {
  private readonly windowMs: number;
  private readonly limit: number;
  private currentLimit: number;
  private readonly starts: number[] = [];
  private readonly queue: Waiter[] = [];
  private pausedUntil = 0;
  private lastDecreaseAt = Number.NEGATIVE_INFINITY;
  private cancelTimer: (() => void) | undefined;
  private timerAt = 0;

  constructor(budget: Budget, private readonly clock: Clock) {
    this.limit = budget.calls;
    this.currentLimit = budget.calls;
    this.windowMs = budget.windowMs + windowMargin(budget.windowMs);
  }

  /** Resolves with the start time once a call may go out; FIFO. */
  acquire(signal?: AbortSignal): Promise<number> {
    if (signal?.aborted) return Promise.reject(abortReason(signal));
    return new Promise<number>((resolve, reject) => {
      const waiter: Waiter = { resolve, reject, signal, onAbort: undefined };
      if (signal) {
        waiter.onAbort = () => {
          const i = this.queue.indexOf(waiter);
          if (i >= 0) this.queue.splice(i, 1);
          reject(abortReason(signal));
          this.pump();
        };
        signal.addEventListener('abort', waiter.onAbort, { once: true });
      }
      this.queue.push(waiter);
      this.pump();
    });
  }

  /** A call started at `startedAt` was answered with Throttling. */
  onThrottled(startedAt: number, retryAfterMs: number | undefined): void {
    const now = this.clock.now();
    const pause = retryAfterMs !== undefined ? retryAfterMs : Math.min(this.windowMs, 1000);
    this.pausedUntil = Math.max(this.pausedUntil, now + pause);
    // Calls already in flight when we last cut were sent at the old rate: count one cut per round.
    if (startedAt > this.lastDecreaseAt) {
      this.currentLimit = Math.max(1, Math.floor(this.currentLimit / 2));
      this.lastDecreaseAt = now;
    }
    this.pump();
  }

  onSuccess(): void {
    if (this.currentLimit < this.limit) {
      this.currentLimit += 1;
      this.pump();
    }
  }

  state(): ActionLimiterState {
    const now = this.clock.now();
    this.prune(now);
    return {
      limit: this.limit,
      currentLimit: this.currentLimit,
      inWindow: this.starts.length,
      queued: this.queue.length,
      pausedForMs: Math.max(0, this.pausedUntil - now),
    };
  }

  close(): void {
    this.cancelTimer?.();
    this.cancelTimer = undefined;
    const err = new Error('cloud client closed');
    for (const w of this.queue.splice(0)) {
      if (w.onAbort) w.signal?.removeEventListener('abort', w.onAbort);
      w.reject(err);
    }
  }

  private prune(now: number): void {
    while (this.starts.length > 0 && this.starts[0]! <= now - this.windowMs) this.starts.shift();
  }

  private pump(): void {
    const now = this.clock.now();
    this.prune(now);
    while (this.queue.length > 0) {
      if (now < this.pausedUntil) return this.wakeAt(this.pausedUntil);
      if (this.starts.length >= this.currentLimit) {
        return this.wakeAt(this.starts[this.starts.length - this.currentLimit]! + this.windowMs);
      }
      const w = this.queue.shift()!;
      if (w.onAbort) w.signal?.removeEventListener('abort', w.onAbort);
      this.starts.push(now);
      w.resolve(now);
    }
  }

  private wakeAt(at: number): void {
    if (this.cancelTimer && this.timerAt <= at) return;
    this.cancelTimer?.();
    this.timerAt = at;
    this.cancelTimer = this.clock.setTimer(() => {
      this.cancelTimer = undefined;
      this.pump();
    }, at - this.clock.now());
  }
}

/** One ActionLimiter per action. */
export class RateLimiter<A extends string> {
  private readonly limiters = new Map<A, ActionLimiter>();

  constructor(budgets: Record<A, Budget>, clock: Clock) {
    for (const [action, budget] of Object.entries(budgets) as [A, Budget][]) {
      this.limiters.set(action, new ActionLimiter(budget, clock));
    }
  }

  for(action: A): ActionLimiter {
    const l = this.limiters.get(action);
    if (!l) throw new Error(`no rate limit configured for ${action}`);
    return l;
  }

  close(): void {
    for (const l of this.limiters.values()) l.close();
  }
}
