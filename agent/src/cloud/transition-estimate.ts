/**
 * How long after a wait begins a describe sees its EIP's transition over, learned from past waits
 * as a bracket: a describe sent `lo` ms after its wait began found the EIP still moving, one sent
 * `hi` ms after found it settled. A wait's first describe goes in the middle while the bracket is
 * wide and at `hi` once it is narrow, so a pod learns of its EIP within a fraction of the
 * bracket of the moment it settles, usually with one describe.
 *
 * The bracket only narrows from what waits show, so `lo` drifts down with every wait its first
 * describe settles, twice as far each time in a row: should transitions get faster, later waits
 * find out within a few.
 */

/** The bracket counts as narrow below this fraction of `hi`. */
const NARROW = 0.02;
/** How far `lo` drifts down after a wait settled by its first describe, as a fraction of `hi` (doubling in a row). */
const DRIFT = 0.02;

export class TransitionEstimate {
  private lo = 0;
  /** 0 until a wait settled. */
  private hi = 0;
  /** Waits settled by their first describe in a row. */
  private firstHits = 0;

  /** When a wait's first describe goes (ms after the wait began); undefined until a wait settled. */
  firstDescribeAfter(): number | undefined {
    if (this.hi === 0) return undefined;
    return this.hi - this.lo > this.hi * NARROW ? (this.lo + this.hi) / 2 : this.hi;
  }

  /** By when (ms after a wait began) the transition is known to have been over in a past wait. */
  endsBy(): number | undefined {
    return this.hi === 0 ? undefined : this.hi;
  }

  /**
   * A wait settled: the describe that saw it settled went `settledAfter` ms after the wait began,
   * the last one that found it still moving `missedAfter` (undefined: the first describe settled it).
   */
  settled(missedAfter: number | undefined, settledAfter: number): void {
    if (missedAfter !== undefined) {
      this.firstHits = 0;
      this.lo = missedAfter;
    } else {
      this.lo = Math.max(0, Math.min(this.lo, settledAfter) - settledAfter * DRIFT * 2 ** this.firstHits);
      this.firstHits++;
    }
    this.hi = settledAfter;
  }
}
