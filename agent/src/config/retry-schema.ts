/**
 * The config's `retry:` section: every named policy of retry/policies.ts, each field optional,
 * its default today's value. A bound that makes no sense (a cap below its start) is an error
 * naming the field.
 */
import { z } from 'zod';
import { DEFAULT_RETRY_POLICIES as D } from '../retry/policies.js';

const ms = (max: number) => z.number().int().min(1).max(max);
const HOUR = 3_600_000;

const backoff = (defaults: { baseMs: number; maxMs: number }) => ({
  baseMs: ms(HOUR).default(defaults.baseMs),
  maxMs: ms(HOUR).default(defaults.maxMs),
});
const capAboveStart = <T extends { baseMs: number; maxMs: number }>(p: T) => p.maxMs >= p.baseMs;

export const retrySchema = z
  .object({
    cloudCall: z
      .object({ ...backoff(D.cloudCall), deadlineMs: ms(HOUR).default(D.cloudCall.deadlineMs) })
      .strict()
      .refine(capAboveStart, { error: 'maxMs must not be below baseMs', path: ['maxMs'] })
      .default(D.cloudCall),
    associationWait: z
      .object({
        intervalMs: ms(60_000).default(D.associationWait.intervalMs),
        maxIntervalMs: ms(600_000).default(D.associationWait.maxIntervalMs),
      })
      .strict()
      .refine((p) => p.maxIntervalMs >= p.intervalMs, {
        error: 'maxIntervalMs must not be below intervalMs',
        path: ['maxIntervalMs'],
      })
      .default(D.associationWait),
    kubeWrite: z
      .object({
        throttledRetries: z.number().int().min(0).max(100).default(D.kubeWrite.throttledRetries),
        maxRetryAfterMs: ms(600_000).default(D.kubeWrite.maxRetryAfterMs),
        conflictRetries: z.number().int().min(1).max(100).default(D.kubeWrite.conflictRetries),
      })
      .strict()
      .default(D.kubeWrite),
    journalOpen: z
      .object({ retryMs: ms(HOUR).default(D.journalOpen.retryMs) })
      .strict()
      .default(D.journalOpen),
    informerRelist: z
      .object(backoff(D.informerRelist))
      .strict()
      .refine(capAboveStart, { error: 'maxMs must not be below baseMs', path: ['maxMs'] })
      .default(D.informerRelist),
    crdWait: z
      .object({ intervalMs: ms(HOUR).default(D.crdWait.intervalMs) })
      .strict()
      .default(D.crdWait),
    metadata: z
      .object({ ...backoff(D.metadata), deadlineMs: ms(HOUR).default(D.metadata.deadlineMs) })
      .strict()
      .refine(capAboveStart, { error: 'maxMs must not be below baseMs', path: ['maxMs'] })
      .default(D.metadata),
    reconcile: z
      .object({
        intervalMs: ms(HOUR).default(D.reconcile.intervalMs),
        deadlineMs: ms(24 * HOUR).default(D.reconcile.deadlineMs),
      })
      .strict()
      .default(D.reconcile),
  })
  .strict();
