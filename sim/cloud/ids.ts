import { createHash, randomUUID } from 'node:crypto';

/**
 * Resource ids that look like Alibaba's (`eip-bp1…`) and repeat on every start: the n-th id of a
 * prefix is derived from (prefix, n) alone.
 */
export class IdFactory {
  private readonly counters = new Map<string, number>();

  next(prefix: string): string {
    const n = (this.counters.get(prefix) ?? 0) + 1;
    this.counters.set(prefix, n);
    const digest = BigInt(`0x${createHash('sha256').update(`${prefix}:${n}`).digest('hex').slice(0, 24)}`);
    return `${prefix}-bp1${digest.toString(36).padStart(17, '0').slice(0, 17)}`;
  }

  /** RequestIds are upper-case UUIDs, unique per call. */
  requestId(): string {
    return randomUUID().toUpperCase();
  }
}

export const isoSeconds = (epochMs: number): string => new Date(epochMs).toISOString().replace(/\.\d{3}Z$/, 'Z');
