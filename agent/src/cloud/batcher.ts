/**
 * Coalesces concurrent requests for different keys into batched calls. A batch stays open
 * while it waits for its turn (`gate`, normally the action's rate limiter) and closes when the
 * turn comes, taking up to `maxBatch` keys; so the busier the limiter, the fuller each call.
 * Only one batch waits at the gate at a time; callers asking for the same key share one slot.
 */
import { abortReason } from '../../../lib/clock.js';

interface Pending<V> {
  resolve: (v: V | undefined) => void;
  reject: (e: unknown) => void;
}

/** Thrown by `exec` when only some keys failed: each caller gets its own outcome. */
export class BatchPartialFailure<K, V> extends Error {
  constructor(
    readonly succeeded: Map<K, V>,
    readonly failures: Map<K, unknown>,
  ) {
    super(`${failures.size} of ${failures.size + succeeded.size} keys of the batch failed`);
  }
}

export interface BatcherOptions<K, V, T> {
  maxBatch: number;
  /** Resolves with a ticket (a limiter slot) when the next batch may go out. */
  gate: () => Promise<T>;
  /** Runs one batch with the ticket; keys missing from the result resolve to undefined. */
  exec: (keys: K[], ticket: T) => Promise<Map<K, V>>;
  /** Gives back a ticket no batch used (every caller left while it waited). */
  unused: (ticket: T) => void;
}

export class KeyedBatcher<K, V, T = unknown> {
  private readonly pending = new Map<K, Pending<V>[]>();
  private gateOpen = false;

  constructor(private readonly options: BatcherOptions<K, V, T>) {}

  get(key: K, signal?: AbortSignal): Promise<V | undefined> {
    if (signal?.aborted) return Promise.reject(abortReason(signal));
    return new Promise<V | undefined>((resolve, reject) => {
      const entry: Pending<V> = { resolve, reject };
      let list = this.pending.get(key);
      if (!list) this.pending.set(key, (list = []));
      list.push(entry);
      if (signal) {
        const onAbort = () => {
          const l = this.pending.get(key);
          const i = l ? l.indexOf(entry) : -1;
          if (l && i >= 0) {
            l.splice(i, 1);
            if (l.length === 0) this.pending.delete(key);
          }
          reject(abortReason(signal));
        };
        signal.addEventListener('abort', onAbort, { once: true });
        entry.resolve = (v) => {
          signal.removeEventListener('abort', onAbort);
          resolve(v);
        };
        entry.reject = (e) => {
          signal.removeEventListener('abort', onAbort);
          reject(e);
        };
      }
      this.openGate();
    });
  }

  /** Keys waiting for a batch (for tests and figures). */
  get queuedKeys(): number {
    return this.pending.size;
  }

  private openGate(): void {
    if (this.gateOpen || this.pending.size === 0) return;
    this.gateOpen = true;
    // Let callers of the same turn of the event loop join before asking for the slot.
    new Promise<void>((r) => setImmediate(r))
      .then(() => this.options.gate())
      .then(
        (ticket) => {
          this.gateOpen = false;
          const batch = this.take();
          this.openGate();
          if (batch.size > 0) void this.run(batch, ticket);
          else this.options.unused(ticket);
        },
        (err) => {
          this.gateOpen = false;
          const batch = this.take();
          for (const list of batch.values()) for (const p of list) p.reject(err);
          this.openGate();
        },
      );
  }

  private take(): Map<K, Pending<V>[]> {
    const batch = new Map<K, Pending<V>[]>();
    for (const [key, list] of this.pending) {
      if (batch.size >= this.options.maxBatch) break;
      batch.set(key, list);
    }
    for (const key of batch.keys()) this.pending.delete(key);
    return batch;
  }

  private async run(batch: Map<K, Pending<V>[]>, ticket: T): Promise<void> {
    try {
      const result = await this.options.exec([...batch.keys()], ticket);
      for (const [key, list] of batch) for (const p of list) p.resolve(result.get(key));
    } catch (err) {
      for (const [key, list] of batch) {
        for (const p of list) {
          if (!(err instanceof BatchPartialFailure)) p.reject(err);
          else if (err.failures.has(key)) p.reject(err.failures.get(key));
          else p.resolve(err.succeeded.get(key) as V | undefined);
        }
      }
    }
  }
}
