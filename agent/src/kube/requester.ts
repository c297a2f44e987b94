import {
  ApiException,
  Observable,
  type ConfigurationOptions,
  type HttpInfo,
  type RequestContext,
  type ResponseContext,
} from '@kubernetes/client-node';
import { sleep, type Clock } from '../../../lib/clock.js';
import { KubeApiError } from './errors.js';
import type { KubeMetrics } from './metrics.js';
import type { TokenBucket } from './token-bucket.js';
import type { Logger } from '../log/logger.js';
import { failpoint } from '../../../lib/failpoint.js';
import { DEFAULT_RETRY_POLICIES, type RetryPolicies } from '../retry/index.js';

export interface CallOptions {
  signal?: AbortSignal;
  /**
   * Content-Type for PATCH. client-node 1.4.0 picks the first media type the OpenAPI spec lists
   * (application/json-patch+json) and has no parameter for it: a per-call middleware overwrites
   * the header after the request is built (see `callOptions`), as its setHeaderOptions does.
   */
  contentType?: string;
}

/**
 * Every non-watch API request goes through `call`: wait for the client-side rate limit, run,
 * record count and latency, wait out a 429's Retry-After, and turn client-node's ApiException
 * into a typed KubeApiError.
 */
export class KubeRequester {
  constructor(
    private readonly bucket: TokenBucket,
    private readonly metrics: KubeMetrics,
    private readonly clock: Clock,
    private readonly logger?: Logger,
    /** 429s (API priority and fairness) are retried as client-go does: a few times, each after its Retry-After. */
    private readonly policy: RetryPolicies['kubeWrite'] = DEFAULT_RETRY_POLICIES.kubeWrite,
  ) {}

  /** `run` calls a client-node `...WithHttpInfo` method, so the real status code (200, 201...) is recorded. */
  async call<T>(
    verb: string,
    resource: string,
    options: CallOptions,
    run: (config: ConfigurationOptions) => Promise<HttpInfo<T>>,
  ): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      await this.bucket.take(options.signal);
      const started = this.clock.now();
      failpoint(`kube:${verb}:${resource}:send`);
      try {
        const response = await run(callOptions(options));
        this.record(verb, resource, response.httpStatusCode, started);
        this.logger?.debug('kube call', {
          verb,
          resource,
          code: response.httpStatusCode,
          attempt,
          durationMs: this.clock.now() - started,
        });
        return response.data;
      } catch (err) {
        if (options.signal?.aborted) {
          this.record(verb, resource, 0, started);
          throw options.signal.reason;
        }
        const error = toKubeApiError(verb, resource, err);
        this.record(verb, resource, error.status, started);
        this.logger?.debug('kube call', {
          verb,
          resource,
          code: error.status,
          attempt,
          durationMs: this.clock.now() - started,
          error: error.message,
        });
        if (error.status !== 429 || attempt > this.policy.throttledRetries) throw error;
        await sleep(
          this.clock,
          Math.min(this.policy.maxRetryAfterMs, Math.max(1, error.retryAfterSeconds ?? 1) * 1000),
          options.signal,
        );
      }
    }
  }

  private record(verb: string, resource: string, code: number, started: number): void {
    this.metrics.requests.inc({ verb, resource, code: String(code) });
    this.metrics.requestDuration.observe({ verb, resource }, (this.clock.now() - started) / 1000);
  }
}

/**
 * Per-call client-node options: the PATCH content type and the caller's AbortSignal. The object
 * APIs (CoreV1Api & co.) run call-time middleware on their Observable layer, so `pre` returns
 * client-node's own Observable (what its `setHeaderOptions` helper does); a Promise-returning
 * middleware fails there with "toPromise is not a function".
 */
export function callOptions(options: CallOptions): ConfigurationOptions {
  const { contentType, signal } = options;
  if (!contentType && !signal) return {};
  return {
    middleware: [
      {
        pre: (context: RequestContext) => {
          if (contentType) context.setHeaderParam('Content-Type', contentType);
          if (signal) context.setSignal(signal);
          return new Observable(Promise.resolve(context));
        },
        post: (response: ResponseContext) => new Observable(Promise.resolve(response)),
      },
    ],
    // Append keeps client-node's own middleware; it also makes client-node build a fresh array
    // (it reverses the merged middleware array in place on every response).
    middlewareMergeStrategy: 'append',
  };
}

export function toKubeApiError(verb: string, resource: string, err: unknown): KubeApiError {
  if (err instanceof KubeApiError) return err;
  if (err instanceof ApiException) {
    const status = parseStatus(err.body);
    const reason = status?.reason ?? '';
    const detail = status?.message ?? (typeof err.body === 'string' ? err.body.slice(0, 300) : '');
    const error = new KubeApiError(
      verb,
      resource,
      err.code,
      reason,
      `${verb} ${resource}: the API server answered ${err.code}${reason ? ` ${reason}` : ''}${detail ? `: ${detail}` : ''}`,
      { cause: err },
    );
    const retryAfter = Number(err.headers['retry-after']);
    if (Number.isFinite(retryAfter)) error.retryAfterSeconds = retryAfter;
    return error;
  }
  const message = err instanceof Error ? err.message : String(err);
  return new KubeApiError(
    verb,
    resource,
    0,
    '',
    `${verb} ${resource}: no answer from the API server (${message}); check KUBECONFIG / the API server address`,
    { cause: err },
  );
}

function parseStatus(body: unknown): { reason?: string; message?: string } | undefined {
  let value = body;
  if (typeof body === 'string') {
    try {
      value = JSON.parse(body);
    } catch {
      return undefined;
    }
  }
  if (value && typeof value === 'object') {
    const status = value as { reason?: unknown; message?: unknown };
    return {
      reason: typeof status.reason === 'string' ? status.reason : undefined,
      message: typeof status.message === 'string' ? status.message : undefined,
    };
  }
  return undefined;
}
