/**
 * Every cloud call goes through `CallRunner.run`: wait on the action's limiter, send, record
 * latency and answer code, log the RequestId, classify failures, and retry retryable ones with
 * jittered backoff until the caller's signal fires. Retries resend the same request object, so
 * the same ClientToken (the SDK's own retryOptions stay off).
 */
import { backoffDelay, type BackoffPolicy } from '../retry/index.js';
import type { CloudAction } from './budgets.js';
import { sleep, untilAborted, type Clock } from '../../../lib/clock.js';
import { CloudError, classifyError, type ClassifyContext } from './errors.js';
import type { CloudMetrics } from './metrics.js';
import type { RateLimiter, Slot } from './rate-limiter.js';
import type { Logger } from '../log/logger.js';
import { recordCall } from '../log/call-trace.js';
import { failpoint } from '../../../lib/failpoint.js';

export interface RunOptions {
  signal?: AbortSignal | undefined;
  /** The limiter slot for the first attempt, already taken (a coalesced batch waited for it). */
  firstSlot?: Slot;
}

export interface RunnerDeps {
  limiter: RateLimiter<CloudAction>;
  metrics: CloudMetrics;
  logger: Logger;
  clock: Clock;
  random: () => number;
  backoff: BackoffPolicy;
  /** Deadline for calls whose caller gave no AbortSignal. */
  defaultDeadlineMs: number;
  redact: (text: string) => string;
}

interface SdkAnswer {
  statusCode?: number;
  body?: { requestId?: string };
}

export class CallRunner {
  /** The latest failure per action, until its next success: explains deadlines of shared calls. */
  private readonly lastFailure = new Map<CloudAction, CloudError>();

  constructor(private readonly deps: RunnerDeps) {}

  async run<T extends SdkAnswer>(action: CloudAction, send: () => Promise<T>, options: RunOptions = {}): Promise<T> {
    const { signal, cancel } = this.deadline(options.signal);
    const ctx: ClassifyContext = { redact: this.deps.redact };
    let last: CloudError | undefined;
    try {
      for (let attempt = 1; ; attempt++) {
        const slot = attempt === 1 && options.firstSlot ? options.firstSlot : await this.acquire(action, signal);
        const t0 = this.deps.clock.now();
        failpoint(`cloud:${action}:send`);
        const sending = send();
        // Settle the slot when the call itself ends, even if the caller stopped waiting for it.
        sending.then(
          () => slot.finish(),
          (err) => {
            const e = classifyError(action, err, ctx);
            if (e.code !== 'CloudThrottled') return slot.finish();
            // Pause first, so the refunded place is not handed straight to the next call.
            this.deps.limiter.for(action).onThrottled(slot.startedAt, e.retryAfterMs);
            slot.refund();
          },
        );
        try {
          const answer = await untilAborted(sending, signal);
          failpoint(`cloud:${action}:answer`);
          this.lastFailure.delete(action);
          this.observe(action, 'Success', t0);
          this.deps.limiter.for(action).onSuccess();
          this.deps.logger.debug('cloud call', {
            action,
            requestId: answer.body?.requestId ?? '',
            code: 'Success',
            attempt,
            durationMs: this.deps.clock.now() - t0,
          });
          recordCall({
            action,
            requestId: answer.body?.requestId ?? '',
            code: 'Success',
            durationMs: this.deps.clock.now() - t0,
          });
          return answer;
        } catch (err) {
          if (signal.aborted && !(err instanceof CloudError) && err === signal.reason) throw err;
          const e = classifyError(action, err, ctx);
          failpoint(`cloud:${action}:failed`);
          last = e;
          this.lastFailure.set(action, e);
          this.observe(action, e.cloudCode || e.code, t0);
          this.deps.logger.debug('cloud call', {
            action,
            requestId: e.requestId,
            code: e.cloudCode || e.code,
            attempt,
            retryable: e.retryable,
            durationMs: this.deps.clock.now() - t0,
          });
          recordCall({
            action,
            requestId: e.requestId,
            code: e.cloudCode || e.code,
            durationMs: this.deps.clock.now() - t0,
          });
          if (e.code === 'CloudThrottled') this.deps.metrics.throttled.inc({ action });
          if (!e.retryable) throw e;
          this.deps.metrics.retries.inc({ action });
          // After Throttling the limiter itself holds the next attempt until retry-after.
          if (e.code !== 'CloudThrottled') {
            await sleep(this.deps.clock, backoffDelay(attempt, this.deps.backoff, this.deps.random), signal);
          }
        }
      }
    } catch (err) {
      if (err instanceof CloudError) throw err;
      if (signal.aborted) throw this.deadlineError(action, last);
      throw classifyError(action, err, ctx);
    } finally {
      cancel();
    }
  }

  private async acquire(action: CloudAction, signal: AbortSignal): Promise<Slot> {
    const t0 = this.deps.clock.now();
    const slot = await this.deps.limiter.for(action).acquire(signal);
    this.deps.metrics.limiterWait.observe({ action }, (slot.startedAt - t0) / 1000);
    return slot;
  }

  private observe(action: CloudAction, code: string, t0: number): void {
    this.deps.metrics.requests.inc({ action, code });
    this.deps.metrics.duration.observe({ action }, (this.deps.clock.now() - t0) / 1000);
  }

  /** The caller's signal, or one that fires after the default deadline. */
  private deadline(callerSignal: AbortSignal | undefined): { signal: AbortSignal; cancel: () => void } {
    if (callerSignal) return { signal: callerSignal, cancel: () => {} };
    const ac = new AbortController();
    const cancel = this.deps.clock.setTimer(
      () => ac.abort(new Error('default cloud deadline passed')),
      this.deps.defaultDeadlineMs,
    );
    return { signal: ac.signal, cancel };
  }

  /** The caller's deadline passed; `last` defaults to the action's latest failure, if any. */
  deadlineError(action: CloudAction, last: CloudError | undefined = this.lastFailure.get(action)): CloudError {
    const why = last
      ? `; last failure: ${last.message}`
      : ' (no failure seen: waiting for the rate limiter or a shared call)';
    return new CloudError('CloudDeadlineExceeded', `${action}: deadline passed before the call succeeded${why}`, {
      action,
      cloudCode: last?.cloudCode ?? '',
      httpStatus: last?.httpStatus ?? 0,
      requestId: last?.requestId ?? '',
      retryable: true,
    });
  }
}
