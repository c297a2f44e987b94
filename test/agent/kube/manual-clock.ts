import type { Clock } from '../../../lib/clock.js';

/** A clock tests move by hand; timers (sleepers) fire in deadline order as time passes them. */
export class ManualClock implements Clock {
  private time: number;
  private sleepers: Array<{ at: number; fire: () => void }> = [];

  constructor(start = 1_700_000_000_000) {
    this.time = start;
  }

  now(): number {
    return this.time;
  }

  setTimer(fire: () => void, ms: number): () => void {
    const sleeper = { at: this.time + Math.max(0, ms), fire };
    this.sleepers.push(sleeper);
    return () => {
      this.sleepers = this.sleepers.filter((s) => s !== sleeper);
    };
  }

  get pendingSleepers(): number {
    return this.sleepers.length;
  }

  /** Moves time forward, waking each sleeper at its deadline and letting its continuation run. */
  async advance(ms: number): Promise<void> {
    const end = this.time + ms;
    for (;;) {
      await settle();
      this.sleepers.sort((a, b) => a.at - b.at);
      const next = this.sleepers[0];
      if (!next || next.at > end) break;
      this.sleepers.shift();
      this.time = Math.max(this.time, next.at);
      next.fire();
    }
    this.time = end;
    await settle();
  }
}

/** Lets pending promise continuations run. */
export async function settle(): Promise<void> {
  for (let i = 0; i < 20; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}
