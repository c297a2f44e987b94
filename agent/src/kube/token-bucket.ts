import { sleep, type Clock } from '../../../lib/clock.js';
import { KubeOptionError } from './errors.js';

/**
 * Client-side rate limit (the spec's kubeClientQPS / kubeClientBurst): `burst` tokens, refilled at
 * `qps` per second. Waiters are served first come, first served so a busy caller cannot starve
 * others.
 */
export class TokenBucket {
  private tokens: number;
  private last: number;
  private tail: Promise<void> = Promise.resolve();

  constructor(
    private readonly qps: number,
    private readonly burst: number,
    private readonly clock: Clock,
    what = 'kubeClient',
  ) {
    if (!(qps > 0) || !Number.isFinite(qps))
      throw new KubeOptionError(`${what}QPS must be a positive number, got ${qps}`);
    if (!Number.isInteger(burst) || burst < 1)
      throw new KubeOptionError(`${what}Burst must be an integer >= 1, got ${burst}`);
    this.tokens = burst;
    this.last = clock.now();
  }

  /** Takes a token now if one is there; never waits. */
  tryTake(): boolean {
    this.refill();
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return true;
    }
    return false;
  }

  /** Waits for a token in arrival order. Rejects with the signal's reason if aborted while waiting. */
  take(signal?: AbortSignal): Promise<void> {
    const turn = this.tail.then(() => this.waitForToken(signal));
    this.tail = turn.catch(() => undefined);
    return turn;
  }

  private async waitForToken(signal?: AbortSignal): Promise<void> {
    for (;;) {
      if (signal?.aborted) throw signal.reason;
      if (this.tryTake()) return;
      const missing = 1 - this.tokens;
      await sleep(this.clock, Math.ceil((missing / this.qps) * 1000), signal);
    }
  }

  private refill(): void {
    const now = this.clock.now();
    const elapsed = Math.max(0, now - this.last) / 1000;
    this.last = now;
    this.tokens = Math.min(this.burst, this.tokens + elapsed * this.qps);
  }
}
