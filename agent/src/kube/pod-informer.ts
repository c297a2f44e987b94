import type { CoreV1Api, Watch } from '@kubernetes/client-node';
import type { Logger } from '../log/logger.js';
import { sleep, type Clock } from '../../../lib/clock.js';
import { backoffDelay, DEFAULT_RETRY_POLICIES, type BackoffPolicy } from '../retry/index.js';
import { KubeApiError, KubeStoppedError } from './errors.js';
import type { KubeMetrics } from './metrics.js';
import { toPodInfo, type RawPod } from './pod-info.js';
import type { KubeRequester } from './requester.js';
import type { PodEvent, PodInfo, PodSource } from './types.js';

export interface PodInformerOptions {
  nodeName: string;
  /** Server-side watch timeout; the watch is re-opened from the last resourceVersion after it. */
  watchTimeoutSeconds?: number;
  /** After a failed list or watch; default retry.informerRelist. */
  backoff?: BackoffPolicy;
}

export interface PodInformerDeps {
  core: CoreV1Api;
  watch: Watch;
  requester: KubeRequester;
  clock: Clock;
  logger: Logger;
  metrics: KubeMetrics;
}

type WatchOutcome = { kind: 'closed' | 'expired'; events: number };

/**
 * The pods of one node (fieldSelector spec.nodeName), kept by list + watch. Each change reaches
 * subscribers exactly once and in order: watch events already reflected in the cache (same
 * resourceVersion) are dropped, and a re-list (after 410 Gone) is diffed against the cache so
 * only real changes are delivered, including deletions that happened while the watch was down.
 */
export class PodInformer implements PodSource {
  private readonly cache = new Map<string, PodInfo>();
  private readonly handlers = new Set<(event: PodEvent) => void>();
  private readonly stopping = new AbortController();
  private readonly fieldSelector: string;
  private readonly watchTimeoutSeconds: number;
  private readonly backoffPolicy: BackoffPolicy;
  private resourceVersion = '';
  private loop: Promise<void> | undefined;
  private activeWatch: AbortController | undefined;
  private readonly synced: { promise: Promise<void>; resolve: () => void; reject: (err: Error) => void; done: boolean };

  constructor(
    options: PodInformerOptions,
    private readonly deps: PodInformerDeps,
  ) {
    this.fieldSelector = `spec.nodeName=${options.nodeName}`;
    this.watchTimeoutSeconds = options.watchTimeoutSeconds ?? 300;
    this.backoffPolicy = options.backoff ?? DEFAULT_RETRY_POLICIES.informerRelist;
    let resolve!: () => void;
    let reject!: (err: Error) => void;
    const promise = new Promise<void>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    promise.catch(() => undefined);
    this.synced = { promise, resolve, reject, done: false };
  }

  start(): Promise<void> {
    this.loop ??= this.run();
    return this.synced.promise;
  }

  stop(): void {
    if (this.stopping.signal.aborted) return;
    this.stopping.abort(new KubeStoppedError('pod informer'));
    this.activeWatch?.abort();
    if (!this.synced.done) {
      this.synced.done = true;
      this.synced.reject(new KubeStoppedError('pod informer start'));
    }
  }

  /** Resolves when the list/watch loop has exited after stop(). */
  async stopped(): Promise<void> {
    await this.loop;
  }

  cached(namespace: string, name: string): PodInfo | undefined {
    return this.cache.get(`${namespace}/${name}`);
  }

  async get(namespace: string, name: string, signal?: AbortSignal): Promise<PodInfo | undefined> {
    const hit = this.cached(namespace, name);
    if (hit) return hit;
    try {
      const pod = await this.deps.requester.call('get', 'pods', { signal }, (config) =>
        this.deps.core.readNamespacedPodWithHttpInfo({ namespace, name }, config),
      );
      return toPodInfo(pod);
    } catch (err) {
      if (err instanceof KubeApiError && err.notFound) return undefined;
      throw err;
    }
  }

  list(): PodInfo[] {
    return [...this.cache.values()];
  }

  subscribe(handler: (event: PodEvent) => void): () => void {
    this.handlers.add(handler);
    return () => {
      this.handlers.delete(handler);
    };
  }

  private async run(): Promise<void> {
    let needList = true;
    let failures = 0;
    const signal = this.stopping.signal;
    while (!signal.aborted) {
      try {
        if (needList) {
          await this.relist();
          needList = false;
          if (!this.synced.done) {
            this.synced.done = true;
            this.synced.resolve();
          }
        }
        const started = this.deps.clock.now();
        const outcome = await this.watchOnce();
        if (signal.aborted) break; // eslint-disable-line @typescript-eslint/no-unnecessary-condition -- aborted may change across an await
        this.deps.metrics.watchRestarts.inc({ resource: 'pods', reason: outcome.kind });
        if (outcome.kind === 'expired') {
          this.deps.logger.info('pod watch expired (410 Gone); re-listing', { resourceVersion: this.resourceVersion });
          needList = true;
          failures = 0;
          continue;
        }
        // A watch that closes at once with nothing in it is a failure in disguise: back off.
        if (outcome.events === 0 && this.deps.clock.now() - started < 1000) failures += 1;
        else failures = 0;
      } catch (err) {
        if (signal.aborted) break; // eslint-disable-line @typescript-eslint/no-unnecessary-condition -- aborted may change across an await
        failures += 1;
        if (!needList) this.deps.metrics.watchRestarts.inc({ resource: 'pods', reason: 'error' });
        this.deps.logger.warn(needList ? 'pod list failed; retrying' : 'pod watch failed; reconnecting', {
          error: (err as Error).message,
          attempt: failures,
        });
      }
      if (failures > 0)
        await sleep(this.deps.clock, backoffDelay(failures, this.backoffPolicy, Math.random), signal).catch(
          () => undefined,
        );
    }
  }

  private async relist(): Promise<void> {
    const list = await this.deps.requester.call('list', 'pods', { signal: this.stopping.signal }, (config) =>
      this.deps.core.listPodForAllNamespacesWithHttpInfo({ fieldSelector: this.fieldSelector }, config),
    );
    const listed = new Map<string, PodInfo>();
    for (const item of list.items) {
      const pod = toPodInfo(item);
      listed.set(keyOf(pod), pod);
    }
    for (const [key, old] of this.cache) {
      if (!listed.has(key)) {
        this.cache.delete(key);
        this.emit({ type: 'deleted', pod: old });
      }
    }
    for (const [key, pod] of listed) this.upsert(key, pod);
    this.resourceVersion = list.metadata?.resourceVersion ?? '';
  }

  private watchOnce(): Promise<WatchOutcome> {
    return new Promise<WatchOutcome>((resolve, reject) => {
      let settled = false;
      let events = 0;
      let controller: AbortController | undefined;
      const watchdog = new AbortController();
      const finish = (outcome: WatchOutcome | Error) => {
        if (settled) return;
        settled = true;
        watchdog.abort();
        controller?.abort();
        this.activeWatch = undefined;
        if (outcome instanceof Error) reject(outcome);
        else resolve(outcome);
      };
      // A half-open connection delivers nothing forever; the server-side timeout plus a margin bounds it.
      const armWatchdog = () => {
        sleep(this.deps.clock, (this.watchTimeoutSeconds + 30) * 1000, watchdog.signal).then(
          () => finish(new Error('pod watch went silent past its timeout')),
          () => undefined,
        );
      };
      armWatchdog();
      const onEvent = (type: string, object: unknown) => {
        if (settled) return;
        events += 1;
        switch (type) {
          case 'ADDED':
          case 'MODIFIED':
          case 'DELETED':
            this.apply(type, object as RawPod);
            return;
          case 'BOOKMARK': {
            const rv = (object as RawPod).metadata?.resourceVersion;
            if (rv) this.resourceVersion = rv;
            return;
          }
          case 'ERROR': {
            const status = object as { code?: number; reason?: string; message?: string };
            if (status.code === 410) finish({ kind: 'expired', events });
            else
              finish(
                new KubeApiError(
                  'watch',
                  'pods',
                  status.code ?? 0,
                  status.reason ?? '',
                  `pod watch error: ${status.message ?? JSON.stringify(object)}`,
                ),
              );
            return;
          }
          default:
            this.deps.logger.warn('pod watch: unknown event type', { type });
        }
      };
      const onDone = (err: unknown) => {
        if (this.stopping.signal.aborted) {
          finish({ kind: 'closed', events });
          return;
        }
        if (!err) {
          finish({ kind: 'closed', events });
          return;
        }
        if ((err as { statusCode?: number }).statusCode === 410) {
          finish({ kind: 'expired', events });
          return;
        }
        finish(err instanceof Error ? err : new Error(typeof err === 'string' ? err : JSON.stringify(err)));
      };
      const params: Record<string, string | number | boolean> = {
        fieldSelector: this.fieldSelector,
        allowWatchBookmarks: true,
        timeoutSeconds: this.watchTimeoutSeconds,
      };
      if (this.resourceVersion) params.resourceVersion = this.resourceVersion;
      this.deps.watch.watch('/api/v1/pods', params, onEvent, onDone).then((c) => {
        controller = c;
        if (settled || this.stopping.signal.aborted) c.abort();
        else this.activeWatch = c;
      }, onDone);
    });
  }

  private apply(type: 'ADDED' | 'MODIFIED' | 'DELETED', raw: RawPod): void {
    const pod = toPodInfo(raw);
    if (pod.resourceVersion) this.resourceVersion = pod.resourceVersion;
    const key = keyOf(pod);
    if (type === 'DELETED') {
      if (!this.cache.has(key)) return;
      this.cache.delete(key);
      this.emit({ type: 'deleted', pod });
      return;
    }
    this.upsert(key, pod);
  }

  private upsert(key: string, pod: PodInfo): void {
    const old = this.cache.get(key);
    if (old && old.uid === pod.uid && old.resourceVersion === pod.resourceVersion) return;
    this.cache.set(key, pod);
    if (old && old.uid !== pod.uid) {
      this.emit({ type: 'deleted', pod: old });
      this.emit({ type: 'added', pod });
    } else {
      this.emit({ type: old ? 'updated' : 'added', pod });
    }
  }

  private emit(event: PodEvent): void {
    for (const handler of this.handlers) {
      try {
        handler(event);
      } catch (err) {
        this.deps.logger.error('pod event handler threw', {
          error: (err as Error).message,
          pod: `${event.pod.namespace}/${event.pod.name}`,
        });
      }
    }
  }
}

function keyOf(pod: PodInfo): string {
  return `${pod.namespace}/${pod.name}`;
}
