/**
 * Runs the simulator's delayed state transitions. `flush` completes them at once (tests that
 * must observe a transitional state use a long delay, then flush); `close` cancels them.
 */
export class Scheduler {
  private readonly pending = new Map<NodeJS.Timeout, () => void>();

  after(delayMs: number, task: () => void): void {
    const timer = setTimeout(() => {
      this.pending.delete(timer);
      task();
    }, delayMs);
    this.pending.set(timer, task);
  }

  /** Completes every pending transition now, in the order they were scheduled. */
  flush(): void {
    const due = [...this.pending];
    this.pending.clear();
    for (const [timer, task] of due) {
      clearTimeout(timer);
      task();
    }
  }

  close(): void {
    for (const timer of this.pending.keys()) clearTimeout(timer);
    this.pending.clear();
  }
}
