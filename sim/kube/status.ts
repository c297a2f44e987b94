/**
 * Kubernetes `Status` bodies and the error type every handler throws. The router turns a
 * KubeApiError into the HTTP code plus the same Status JSON a real kube-apiserver sends, so
 * clients (client-node, kubectl) classify errors exactly as they would against a real cluster.
 */
import { PodeipError } from '../../lib/errors.js';

export interface StatusCause {
  reason: string;
  message: string;
  field?: string;
}

export interface StatusDetails {
  name?: string;
  group?: string;
  kind?: string;
  uid?: string;
  causes?: StatusCause[];
  retryAfterSeconds?: number;
}

export interface StatusBody {
  kind: 'Status';
  apiVersion: 'v1';
  metadata: Record<string, unknown>;
  status: 'Success' | 'Failure';
  message?: string;
  reason?: string;
  details?: StatusDetails;
  code: number;
}

export class KubeApiError extends PodeipError {
  constructor(
    readonly httpCode: number,
    readonly reason: string,
    message: string,
    readonly details?: StatusDetails,
    readonly headers: Record<string, string> = {},
  ) {
    super(`KUBE_SIM_${reason.toUpperCase()}`, message);
  }

  toStatus(): StatusBody {
    return failureStatus(this.httpCode, this.reason, this.message, this.details);
  }
}

export function failureStatus(code: number, reason: string, message: string, details?: StatusDetails): StatusBody {
  const body: StatusBody = { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code };
  if (details) body.details = details;
  return body;
}

/** `pods` for the core group, `podeips.alibabacloud.com` otherwise: how a real server names a resource in messages. */
export function qualifiedResource(group: string, plural: string): string {
  return group ? `${plural}.${group}` : plural;
}

export function notFound(group: string, plural: string, name: string): KubeApiError {
  return new KubeApiError(
    404,
    'NotFound',
    `${qualifiedResource(group, plural)} "${name}" not found`,
    detailsOf(group, plural, name),
  );
}

export function alreadyExists(group: string, plural: string, name: string): KubeApiError {
  return new KubeApiError(
    409,
    'AlreadyExists',
    `${qualifiedResource(group, plural)} "${name}" already exists`,
    detailsOf(group, plural, name),
  );
}

export function conflict(group: string, plural: string, name: string, why: string): KubeApiError {
  return new KubeApiError(
    409,
    'Conflict',
    `Operation cannot be fulfilled on ${qualifiedResource(group, plural)} "${name}": ${why}`,
    detailsOf(group, plural, name),
  );
}

export const STALE_OBJECT =
  'the object has been modified; please apply your changes to the latest version and try again';

/** 422 with one cause per field, message formatted as `Kind.group "name" is invalid: [causes]`. */
export function invalid(group: string, kind: string, name: string, causes: StatusCause[]): KubeApiError {
  const what = group ? `${kind}.${group}` : kind;
  const parts = causes.map((c) => (c.field ? `${c.field}: ${c.message}` : c.message));
  const joined = parts.length === 1 ? parts[0] : `[${parts.join(', ')}]`;
  const details: StatusDetails = { name, kind, causes };
  if (group) details.group = group;
  return new KubeApiError(422, 'Invalid', `${what} "${name}" is invalid: ${joined}`, details);
}

export function forbidden(group: string, plural: string, name: string, why: string): KubeApiError {
  return new KubeApiError(
    403,
    'Forbidden',
    `${qualifiedResource(group, plural)} "${name}" is forbidden: ${why}`,
    detailsOf(group, plural, name),
  );
}

export function badRequest(message: string): KubeApiError {
  return new KubeApiError(400, 'BadRequest', message);
}

export function methodNotAllowed(message: string): KubeApiError {
  return new KubeApiError(405, 'MethodNotAllowed', message);
}

export function unsupportedMediaType(accepted: string[]): KubeApiError {
  return new KubeApiError(
    415,
    'UnsupportedMediaType',
    `the body of the request was in an unknown format - accepted media types include: ${accepted.join(', ')}`,
  );
}

/** What the watch cache says for a resourceVersion older than its window (sent as HTTP 410 or a watch ERROR event). */
export function tooOldResourceVersion(requested: number, oldest: number): KubeApiError {
  return new KubeApiError(410, 'Expired', `too old resource version: ${requested} (${oldest})`);
}

export function expiredContinue(): KubeApiError {
  return new KubeApiError(
    410,
    'Expired',
    'The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter.',
  );
}

export function tooManyRequests(retryAfterSeconds: number): KubeApiError {
  return new KubeApiError(
    429,
    'TooManyRequests',
    'the server has received too many requests and has asked us to try again later',
    { retryAfterSeconds },
    { 'Retry-After': String(retryAfterSeconds) },
  );
}

export function internalError(message: string): KubeApiError {
  return new KubeApiError(500, 'InternalError', `Internal error occurred: ${message}`, {
    causes: [{ reason: '', message }],
  });
}

export function unauthorized(): KubeApiError {
  return new KubeApiError(401, 'Unauthorized', 'Unauthorized');
}

function detailsOf(group: string, plural: string, name: string): StatusDetails {
  const details: StatusDetails = { name, kind: plural };
  if (group) details.group = group;
  return details;
}
