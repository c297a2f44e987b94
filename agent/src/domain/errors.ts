/**
 * Errors the binding service throws. Every one is a PodeipError whose `code` is in
 * BINDING_ERROR_CODES, a part of the agent's error table (lib/error-table.ts), which gives each
 * its gRPC status and CNI code.
 */
import { quoted } from '../../../lib/bounded-text.js';
import type { AgentErrorCode } from '../../../lib/error-table.js';
import { PodeipError } from '../../../lib/errors.js';

export const BINDING_ERROR_CODES = [
  'InvalidAnnotation',
  'InvalidRequest',
  'ForeignController',
  'NotStatefulPod',
  'EipInUseElsewhere',
  'EipNotGranted',
  'UntrustedPodEip',
  'EipNotFound',
  'EipNotBound',
  'EipQuotaExceeded',
  'CloudPermissionDenied',
  'CloudUnavailable',
  'CloudThrottled',
  'PodNotFound',
  'EniNotFound',
  'DeadlineExceeded',
  'JournalUnwritable',
  'Internal',
] as const satisfies readonly AgentErrorCode[];

export type BindingErrorCode = (typeof BINDING_ERROR_CODES)[number];

export class BindingError extends PodeipError {
  declare readonly code: BindingErrorCode;
  constructor(code: BindingErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
  }
}

/** One problem with one annotation: which key, what value, how to fix it. */
export interface AnnotationProblem {
  annotation: string;
  value: string;
  problem: string;
}

/** Problems listed in the message; the rest are counted (every one is in `problems`). */
const LISTED_PROBLEMS = 10;

export class InvalidAnnotationError extends BindingError {
  constructor(readonly problems: AnnotationProblem[]) {
    const listed = problems
      .slice(0, LISTED_PROBLEMS)
      .map((p) => `annotation ${p.annotation}=${quoted(p.value)}: ${p.problem}`);
    if (problems.length > LISTED_PROBLEMS) listed.push(`and ${problems.length - LISTED_PROBLEMS} more problems`);
    super('InvalidAnnotation', listed.join('; '));
  }
}

const CLOUD_CODE_MAP: Record<string, BindingErrorCode> = {
  CloudThrottled: 'CloudThrottled',
  CloudUnavailable: 'CloudUnavailable',
  CloudBusy: 'CloudUnavailable',
  CloudCredentialsUnavailable: 'CloudUnavailable',
  CloudDeadlineExceeded: 'DeadlineExceeded',
  EipQuotaExceeded: 'EipQuotaExceeded',
  CloudAuthFailed: 'CloudPermissionDenied',
  CloudPermissionDenied: 'CloudPermissionDenied',
  CloudNotFound: 'EipNotFound',
};

function isBindingCode(code: string): code is BindingErrorCode {
  return (BINDING_ERROR_CODES as readonly string[]).includes(code);
}

/**
 * Any failure as a BindingError: ours pass through, cloud errors keep their meaning (quota,
 * permission, throttling), everything else is Internal with the original as cause.
 */
export function toBindingError(err: unknown): BindingError {
  if (err instanceof BindingError) return err;
  if (err instanceof PodeipError) {
    const mapped = CLOUD_CODE_MAP[err.code] ?? (isBindingCode(err.code) ? err.code : 'Internal');
    return new BindingError(mapped, err.message, { cause: err });
  }
  const message = err instanceof Error ? err.message : String(err);
  return new BindingError('Internal', message, { cause: err });
}
