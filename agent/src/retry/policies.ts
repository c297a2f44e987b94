/**
 * Every retry, backoff and deadline of the agent, by name, with today's bounds as defaults. The
 * config's `retry:` section (docs/configuration.md) overrides them field by field; the parts
 * take their policy from here through wiring.ts, never a literal of their own.
 */
import type { BackoffPolicy } from './backoff.js';

export interface RetryPolicies {
  /** One cloud OpenAPI call: a retryable failure backs off (equal jitter) until the caller's signal, or deadlineMs when it has none. */
  cloudCall: BackoffPolicy & { deadlineMs: number };
  /** Waiting for an EIP to reach its association state: a describe every intervalMs, longer (learned) up to maxIntervalMs. */
  associationWait: { intervalMs: number; maxIntervalMs: number };
  /**
   * A Kubernetes request answered 429 is retried throttledRetries times, each after its
   * Retry-After capped at maxRetryAfterMs; a pod condition write that conflicts is re-read and
   * retried up to conflictRetries attempts.
   */
  kubeWrite: { throttledRetries: number; maxRetryAfterMs: number; conflictRetries: number };
  /** A state dir or journal that cannot be written: opened again every retryMs, the agent live but not ready. */
  journalOpen: { retryMs: number };
  /** The pod informer's list and watch after a failure: backoff with equal jitter. */
  informerRelist: BackoffPolicy;
  /** Waiting for the PodEIP CRD to be served at start-up: a check every intervalMs. */
  crdWait: { intervalMs: number };
  /** The instance metadata service: a read with no answer or a 5xx is tried again with backoff, for deadlineMs in all. */
  metadata: BackoffPolicy & { deadlineMs: number };
  /** Unfinished bindings are resumed every intervalMs; one attach operation is stopped after deadlineMs. */
  reconcile: { intervalMs: number; deadlineMs: number };
}

export const DEFAULT_RETRY_POLICIES: RetryPolicies = {
  cloudCall: { baseMs: 200, maxMs: 10_000, deadlineMs: 60_000 },
  associationWait: { intervalMs: 500, maxIntervalMs: 2000 },
  kubeWrite: { throttledRetries: 5, maxRetryAfterMs: 10_000, conflictRetries: 5 },
  journalOpen: { retryMs: 10_000 },
  informerRelist: { baseMs: 250, maxMs: 30_000 },
  crdWait: { intervalMs: 2000 },
  metadata: { baseMs: 200, maxMs: 2000, deadlineMs: 30_000 },
  reconcile: { intervalMs: 30_000, deadlineMs: 600_000 },
};
