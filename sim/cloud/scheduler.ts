/** Runs the simulator's delayed state transitions; `close` cancels whatever is still pending. */
export class Scheduler {
  private readonly pending = new Set<NodeJS.Timeout>();

  after(delayMs: number, task: () => void): void {
    const timer = setTimeout(() => {
      this.pending.delete(timer);
      task();
    }, delayMs);
    this.pending.add(timer);
  }

  close(): void {
    for (const timer of this.pending) clearTimeout(timer);
    this.pending.clear();
  }
}
