import { randomBytes } from 'node:crypto';
import type { Logger } from '../log/logger.js';
import type { Clock } from '../../../lib/clock.js';
import type { KubeMetrics } from './metrics.js';
import { TokenBucket } from './token-bucket.js';
import type { EventType, ObjectRef } from './types.js';

/** A core/v1 Event as we write it. */
export interface EventRecord {
  namespace: string;
  name: string;
  involvedObject: { apiVersion: string; kind: string; namespace: string; name: string; uid: string };
  type: EventType;
  reason: string;
  message: string;
  count: number;
  firstTimestamp: Date;
  lastTimestamp: Date;
  source: { component: string; host: string };
}

/** Where events go (the API server in production). */
export interface EventSink {
  create(event: EventRecord): Promise<void>;
  /** Bumps count and lastTimestamp; false when the Event no longer exists (expired by its TTL). */
  update(namespace: string, name: string, count: number, lastTimestamp: Date): Promise<boolean>;
}

export interface EventRecorderOptions {
  component: string;
  host: string;
  /** API writes per second for events, separate from (and below) the client's QPS. */
  qps?: number;
  burst?: number;
  /** Distinct events waiting to be written; beyond it new ones are dropped and counted. */
  maxPending?: number;
  /** Series remembered for aggregation. */
  maxSeries?: number;
  /** A repeat within this window bumps the existing Event; later, a new Event starts. */
  aggregationWindowMs?: number;
  /** How long close() keeps writing what is queued. */
  flushTimeoutMs?: number;
}

const API_VERSIONS: Record<ObjectRef['kind'], string> = { Pod: 'v1', PodEIP: 'alibabacloud.com/v1beta1' };
const MAX_MESSAGE = 1024;

interface Series {
  key: string;
  ref: ObjectRef;
  type: EventType;
  reason: string;
  message: string;
  count: number;
  first: number;
  last: number;
  eventName?: string;
  queued: boolean;
}

/**
 * Aggregating, rate-limited event recorder. A repeat of (object, type, reason, message) adds to
 * its series' count; while a series waits for the writer it is written once with the sum, so an
 * error storm turns into a few count updates instead of a flood of Events. Writes pass a token
 * bucket of their own; distinct series beyond `maxPending` are dropped. record() never throws.
 */
export class EventRecorder {
  private readonly series = new Map<string, Series>();
  private readonly queue: Series[] = [];
  private readonly bucket: TokenBucket;
  private readonly stopping = new AbortController();
  private readonly maxPending: number;
  private readonly maxSeries: number;
  private readonly windowMs: number;
  private readonly flushTimeoutMs: number;
  private worker: Promise<void> | undefined;
  private closed = false;
  private sequence = 0;

  constructor(
    private readonly options: EventRecorderOptions,
    private readonly deps: { sink: EventSink; clock: Clock; logger: Logger; metrics: KubeMetrics },
  ) {
    this.bucket = new TokenBucket(options.qps ?? 2, options.burst ?? 10, deps.clock, 'events');
    this.maxPending = options.maxPending ?? 256;
    this.maxSeries = options.maxSeries ?? 4096;
    this.windowMs = options.aggregationWindowMs ?? 10 * 60_000;
    this.flushTimeoutMs = options.flushTimeoutMs ?? 2000;
  }

  record(ref: ObjectRef, type: EventType, reason: string, message: string): void {
    try {
      if (this.closed) return;
      const now = this.deps.clock.now();
      const text = message.length > MAX_MESSAGE ? `${message.slice(0, MAX_MESSAGE - 3)}...` : message;
      const key = `${ref.kind}\u0000${ref.namespace}\u0000${ref.name}\u0000${ref.uid}\u0000${type}\u0000${reason}\u0000${text}`;
      let series = this.series.get(key);
      if (series && !series.queued && now - series.last > this.windowMs) {
        this.series.delete(key);
        series = undefined;
      }
      if (!series) {
        if (this.queue.length >= this.maxPending) {
          this.deps.metrics.eventsDropped.inc({ reason: 'queue_full' });
          return;
        }
        series = { key, ref, type, reason, message: text, count: 0, first: now, last: now, queued: false };
        this.remember(series);
      }
      series.count += 1;
      series.last = now;
      if (!series.queued) {
        // Full: the occurrence stays in the series' count and is written with its next repeat.
        if (this.queue.length >= this.maxPending) {
          this.deps.metrics.eventsDropped.inc({ reason: 'queue_full' });
          return;
        }
        series.queued = true;
        this.queue.push(series);
        this.worker ??= this.drain().finally(() => {
          this.worker = undefined;
        });
      }
    } catch (err) {
      this.deps.logger.warn('recording an event failed', { error: (err as Error).message, reason });
    }
  }

  /** Writes what is queued (up to flushTimeoutMs), then stops. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const timer = setTimeout(() => this.stopping.abort(), this.flushTimeoutMs);
    try {
      await this.worker;
    } finally {
      clearTimeout(timer);
      this.stopping.abort();
    }
    if (this.queue.length > 0) this.deps.metrics.eventsDropped.inc({ reason: 'shutdown' }, this.queue.length);
  }

  private remember(series: Series): void {
    if (this.series.size >= this.maxSeries) {
      for (const [key, old] of this.series) {
        if (!old.queued) {
          this.series.delete(key);
          break;
        }
      }
    }
    this.series.set(series.key, series);
  }

  private async drain(): Promise<void> {
    while (this.queue.length > 0) {
      try {
        await this.bucket.take(this.stopping.signal);
      } catch {
        return;
      }
      const series = this.queue.shift()!;
      series.queued = false;
      await this.write(series);
    }
  }

  private async write(series: Series): Promise<void> {
    const { sink, logger, metrics } = this.deps;
    try {
      if (
        series.eventName &&
        (await sink.update(series.ref.namespace, series.eventName, series.count, new Date(series.last)))
      )
        return;
      series.eventName = this.eventName(series.ref.name);
      await sink.create({
        namespace: series.ref.namespace,
        name: series.eventName,
        involvedObject: {
          apiVersion: API_VERSIONS[series.ref.kind],
          kind: series.ref.kind,
          namespace: series.ref.namespace,
          name: series.ref.name,
          uid: series.ref.uid,
        },
        type: series.type,
        reason: series.reason,
        message: series.message,
        count: series.count,
        firstTimestamp: new Date(series.first),
        lastTimestamp: new Date(series.last),
        source: { component: this.options.component, host: this.options.host },
      });
    } catch (err) {
      metrics.eventsDropped.inc({ reason: 'api_error' });
      logger.debug('writing an event failed', {
        error: (err as Error).message,
        reason: series.reason,
        object: `${series.ref.namespace}/${series.ref.name}`,
      });
    }
  }

  /** Like kubelet's: the object name, then a unique hex suffix. */
  private eventName(objectName: string): string {
    this.sequence = (this.sequence + 1) % 0x10000;
    // The random part keeps two agents writing for the same object in the same millisecond apart.
    const suffix = `${this.deps.clock.now().toString(16)}${this.sequence.toString(16).padStart(4, '0')}${randomBytes(2).toString('hex')}`;
    return `${objectName.slice(0, 200)}.${suffix}`;
  }
}
