/** How many calls each action received, by outcome code ("Success" for a 2xx). */
export class CallCounter {
  private readonly counts = new Map<string, Map<string, number>>();

  record(action: string, code: string): void {
    let byCode = this.counts.get(action);
    if (!byCode) this.counts.set(action, (byCode = new Map()));
    byCode.set(code, (byCode.get(code) ?? 0) + 1);
  }

  count(action: string, code?: string): number {
    const byCode = this.counts.get(action);
    if (!byCode) return 0;
    if (code !== undefined) return byCode.get(code) ?? 0;
    let total = 0;
    for (const n of byCode.values()) total += n;
    return total;
  }

  snapshot(): Record<string, Record<string, number>> {
    return Object.fromEntries([...this.counts].map(([action, byCode]) => [action, Object.fromEntries(byCode)]));
  }
}
