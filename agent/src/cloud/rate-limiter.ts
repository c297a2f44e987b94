/**
 * Per-action client-side limiter. A sliding-window log (at most `limit` calls in any window)
 * rather than a token bucket: a full bucket plus its refill lets 2x the budget through one
 * window, which a fixed- or sliding-window server answers with Throttling.
 *
 * The server counts a call when it arrives, which we cannot see: somewhere between our send and
 * its answer. So a call holds its place in the window while in flight and then stays for one
 * window counted from its answer; a later call can then never arrive within a window of it,
 * however the network or a busy event loop delays requests. A call the server refused with
 * Throttling was not counted there and gives its place back.
 *
 * Feedback: Throttling pauses the action until the server's retry-after and halves the current
 * limit (once per round of calls); every success adds one call back, up to the configured
 * limit. That is AIMD, so many nodes sharing one account converge instead of stampeding.
 *
 * Fleet plan (fleet-budget.ts): when the fleet's coordination gives this node a share of the
 * account budget, that share replaces the configured limit. A share under one call per window
 * becomes one call per longer window, and the first call of a stream waits for this node's phase
 * on a grid of that period, so nodes with equal small shares take turns instead of all calling at
 * once. A share of c > 1 calls keeps the budget's window with floor(c) calls, and the fraction
 * comes as one extra call per budget window / (c - floor(c)) at this node's phase on a grid of
 * that period: nodes take the extras in turn, so the fleet uses the whole plan without all of
 * them taking floor(c) + 1 in the same window.
 * While coordination works out a fresh share (a node just turned busy) the limiter holds calls.
 */
import { abortReason, type Clock } from '../../../lib/clock.js';
import type { Budget } from './budgets.js';

/** A granted place in the window. Settle it exactly once. */
export interface Slot {
  startedAt: number;
  /** The answer (or failure) arrived now. */
  finish(): void;
  /** The server did not count the call (Throttling), or it was never sent. */
  refund(): void;
}

interface Entry {
  at: number;
  inFlight: boolean;
  /** The fraction's extra call: not counted against floor(c). */
  extra: boolean;
}

interface Waiter {
  resolve: (slot: Slot) => void;
  reject: (err: unknown) => void;
  signal: AbortSignal | undefined;
  onAbort: (() => void) | undefined;
}

export interface ActionLimiterState {
  limit: number;
  currentLimit: number;
  /** The window calls are counted in: the budget's, or longer under a share below one call. */
  windowMs: number;
  inWindow: number;
  queued: number;
  pausedForMs: number;
  /** Under a fleet plan rather than the configured share. */
  planned: boolean;
}

/** This node's part of the account budget for one action, from the fleet plan. */
export interface PlannedShare {
  /** Calls per budget window; may be below 1. */
  calls: number;
  /** [0, 1): where on the grid of its period a share below one call takes its first call. */
  phase: number;
}

export class ActionLimiter {
  private readonly budgetWindowMs: number;
  private windowMs: number;
  private readonly configuredLimit: number;
  private limit: number;
  private currentLimit: number;
  private plan: PlannedShare | undefined;
  /** The grid point a share below one call waits for, fixed once chosen (timers fire late). */
  private turnAt: number | undefined;
  /** The fraction of a share c > 1: one extra call per this period, at the plan's phase. */
  private extraPeriodMs: number | undefined;
  /** The grid point whose extra call was taken (or that the plan started after). */
  private extraTakenAt = Number.NEGATIVE_INFINITY;
  /** When the latest call was answered: a stream of calls keeps its pace, only a fresh start waits for the grid. */
  private lastAnsweredAt = Number.NEGATIVE_INFINITY;
  private held = false;
  private readonly entries = new Set<Entry>();
  private readonly queue: Waiter[] = [];
  private pausedUntil = 0;
  private lastDecreaseAt = Number.NEGATIVE_INFINITY;
  private cancelTimer: (() => void) | undefined;
  private timerAt = 0;

  constructor(
    budget: Budget,
    private readonly clock: Clock,
    private readonly onQueued: () => void = () => {},
  ) {
    this.configuredLimit = budget.calls;
    this.limit = budget.calls;
    this.currentLimit = budget.calls;
    // No slack needed: counting from the answer already leaves the server's arrival behind us.
    this.budgetWindowMs = budget.windowMs;
    this.windowMs = budget.windowMs;
  }

  /**
   * A fleet share replaces the configured limit; undefined goes back to it, keeping the current
   * AIMD limit (today's behaviour, from where the plan left it). A share of c >= 1 calls keeps
   * the budget window with floor(c) calls: a longer window would let nodes whose windows line up
   * put more than the budget into one of the server's windows.
   */
  setPlan(plan: PlannedShare | undefined): void {
    if (plan && !(plan.calls > 0)) throw new RangeError(`planned calls must be positive, got ${plan.calls}`);
    const now = this.clock.now();
    const throttledLately = now - this.lastDecreaseAt < this.windowMs;
    const samePlan =
      plan !== undefined && this.plan !== undefined && plan.calls === this.plan.calls && plan.phase === this.plan.phase;
    this.plan = plan;
    this.turnAt = undefined;
    if (!plan) {
      this.extraPeriodMs = undefined;
      this.limit = this.configuredLimit;
      this.windowMs = this.budgetWindowMs;
      this.currentLimit = Math.min(this.currentLimit, this.limit);
    } else {
      this.limit = plan.calls >= 1 ? Math.floor(plan.calls) : 1;
      this.windowMs = plan.calls >= 1 ? this.budgetWindowMs : this.budgetWindowMs / plan.calls;
      const fraction = plan.calls - Math.floor(plan.calls);
      // A fraction under 1% of a call is not worth a timer.
      this.extraPeriodMs = plan.calls > 1 && fraction >= 0.01 ? this.budgetWindowMs / fraction : undefined;
      // The first extra call comes at the next grid point: a plan that starts on every node at
      // once must not let all of them take an extra call now.
      if (!samePlan && this.extraPeriodMs !== undefined)
        this.extraTakenAt = this.gridPointBefore(now, this.extraPeriodMs, plan.phase);
      // A fresh plan is what the fleet can take; Throttling seen lately still says someone else is busy.
      this.currentLimit = throttledLately ? Math.min(this.currentLimit, this.limit) : this.limit;
    }
    this.pump();
  }

  /** Holds every call until released (coordination is working out this node's share). */
  hold(held: boolean): void {
    this.held = held;
    if (!held) this.pump();
  }

  /** Calls waiting or in flight: this node's demand on the action. */
  demand(): number {
    let inFlight = 0;
    for (const e of this.entries) if (e.inFlight) inFlight++;
    return this.queue.length + inFlight;
  }
  /** Resolves with a slot once a call may go out; FIFO. */
  acquire(signal?: AbortSignal): Promise<Slot> {
    if (signal?.aborted) return Promise.reject(abortReason(signal));
    return new Promise<Slot>((resolve, reject) => {
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
      this.onQueued();
      this.pump();
    });
  }

  /** A call started at `startedAt` was answered with Throttling. */
  onThrottled(startedAt: number, retryAfterMs: number | undefined): void {
    const now = this.clock.now();
    const pause = retryAfterMs !== undefined ? retryAfterMs : Math.min(this.windowMs, 1000);
    this.pausedUntil = Math.max(this.pausedUntil, now + pause);
    // Every refused node hears the same retry-after: under a share below one call, start again at
    // this node's own turn after it rather than all at once.
    this.lastAnsweredAt = Number.NEGATIVE_INFINITY;
    this.turnAt = undefined;
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
      windowMs: this.windowMs,
      inWindow: this.entries.size,
      queued: this.queue.length,
      pausedForMs: Math.max(0, this.pausedUntil - now),
      planned: this.plan !== undefined,
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
    for (const e of this.entries) if (!e.inFlight && e.at <= now - this.windowMs) this.entries.delete(e);
  }

  private grant(now: number, extra = false): Slot {
    const entry: Entry = { at: now, inFlight: true, extra };
    this.entries.add(entry);
    let settled = false;
    return {
      startedAt: now,
      finish: () => {
        if (settled) return;
        settled = true;
        entry.inFlight = false;
        entry.at = this.clock.now();
        this.lastAnsweredAt = entry.at;
        this.pump();
      },
      refund: () => {
        if (settled) return;
        settled = true;
        this.entries.delete(entry);
        this.pump();
      },
    };
  }

  private pump(): void {
    const now = this.clock.now();
    this.prune(now);
    while (this.queue.length > 0) {
      if (this.held) return;
      if (now < this.pausedUntil) return this.wakeAt(this.pausedUntil);
      const turn = this.phaseTurn(now);
      if (turn > now) return this.wakeAt(turn);
      const counted = [...this.entries].filter((e) => !e.extra);
      let extra = false;
      if (counted.length >= this.currentLimit) {
        const extraAt = this.extraTurn(now);
        if (extraAt > now) {
          // Wait for enough answered calls to leave the window (in-flight ones wake us when
          // answered), or for this node's next extra call, whichever comes first.
          const leaving = counted.length - this.currentLimit + 1;
          const answered = counted
            .filter((e) => !e.inFlight)
            .map((e) => e.at)
            .sort((a, b) => a - b);
          const freeAt = answered.length >= leaving ? answered[leaving - 1]! + this.windowMs : Number.POSITIVE_INFINITY;
          const at = Math.min(freeAt, extraAt);
          if (Number.isFinite(at)) this.wakeAt(at);
          return;
        }
        extra = true;
        this.extraTakenAt = this.gridPointBefore(now, this.extraPeriodMs!, this.plan!.phase);
      }
      const w = this.queue.shift()!;
      if (w.onAbort) w.signal?.removeEventListener('abort', w.onAbort);
      w.resolve(this.grant(now, extra));
    }
  }

  /**
   * When this node may take the fraction's extra call: now if a grid point passed since the last
   * one it took, else the next grid point; never while AIMD holds the limit below the plan.
   */
  private extraTurn(now: number): number {
    if (this.extraPeriodMs === undefined || this.currentLimit < this.limit) return Number.POSITIVE_INFINITY;
    const last = this.gridPointBefore(now, this.extraPeriodMs, this.plan!.phase);
    return last > this.extraTakenAt ? now : last + this.extraPeriodMs;
  }

  /** The latest point at or before `now` of the grid phase x period + k x period. */
  private gridPointBefore(now: number, periodMs: number, phase: number): number {
    const offset = phase * periodMs;
    return offset + Math.floor((now - offset) / periodMs) * periodMs;
  }

  /** Under a share below one call, starting after a pause: the next point of this node's grid. */
  private phaseTurn(now: number): number {
    if (
      !this.plan ||
      this.plan.calls >= 1 ||
      this.entries.size > 0 ||
      now - this.lastAnsweredAt <= 1.5 * this.windowMs
    ) {
      this.turnAt = undefined;
      return now;
    }
    if (this.turnAt === undefined) {
      const offset = this.plan.phase * this.windowMs;
      this.turnAt = now + ((((offset - now) % this.windowMs) + this.windowMs) % this.windowMs);
    }
    return this.turnAt;
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

  /** `onQueued` hears of every call that starts waiting (the fleet coordination wakes on it). */
  constructor(budgets: Record<A, Budget>, clock: Clock, onQueued: () => void = () => {}) {
    for (const [action, budget] of Object.entries(budgets) as [A, Budget][]) {
      this.limiters.set(action, new ActionLimiter(budget, clock, onQueued));
    }
  }

  actions(): A[] {
    return [...this.limiters.keys()];
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
