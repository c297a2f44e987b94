/**
 * The one classification of cloud failures. Everything the SDK, the transport or a credential
 * provider throws becomes a `CloudError` here, so callers branch on `code` and `retryable` only.
 */
import { PodeipError } from '../../../lib/errors.js';

/**
 * Podeip codes of cloud failures (stable: used in metrics, CNI errors and events).
 * - CloudThrottled: a Throttling* answer (retryable; the limiter backs off).
 * - CloudUnavailable: 5xx, ServiceUnavailable, network errors, timeouts (retryable).
 * - CloudBusy: the resource is busy with another task (TaskConflict, OperationConflict,
 *   SystemBusy, LastTokenProcessing, IncorrectEipStatus while the EIP transitions) (retryable).
 * - CloudCredentialsUnavailable: the credential source (metadata, STS, token file) failed (retryable).
 * - CloudDeadlineExceeded: the caller's AbortSignal fired before a retryable failure cleared.
 * - EipQuotaExceeded: the account's EIP quota is used up (permanent until raised).
 * - CloudAuthFailed: the key or token is not accepted (permanent).
 * - CloudPermissionDenied: RAM forbids the action (permanent).
 * - CloudNotFound: the named resource does not exist (permanent).
 * - CloudRejected: any other answer the cloud gave (permanent).
 */
export type CloudErrorCode =
  | 'CloudThrottled'
  | 'CloudUnavailable'
  | 'CloudBusy'
  | 'CloudCredentialsUnavailable'
  | 'CloudDeadlineExceeded'
  | 'EipQuotaExceeded'
  | 'CloudAuthFailed'
  | 'CloudPermissionDenied'
  | 'CloudNotFound'
  | 'CloudRejected';

export interface CloudErrorDetails {
  /** OpenAPI action, e.g. 'AllocateEipAddress'. */
  action: string;
  /** The cloud's own code ('Throttling.User', 'ECONNRESET', ...); '' when there is none. */
  cloudCode: string;
  /** 0 when no HTTP answer arrived. */
  httpStatus: number;
  /** '' when no answer arrived. */
  requestId: string;
  retryable: boolean;
  /** Server-requested wait before the next call (Throttling), in ms. */
  retryAfterMs?: number;
}

export class CloudError extends PodeipError {
  declare readonly code: CloudErrorCode;
  readonly action: string;
  readonly cloudCode: string;
  readonly httpStatus: number;
  readonly requestId: string;
  readonly retryable: boolean;
  readonly retryAfterMs: number | undefined;

  constructor(code: CloudErrorCode, message: string, details: CloudErrorDetails) {
    super(code, message);
    this.action = details.action;
    this.cloudCode = details.cloudCode;
    this.httpStatus = details.httpStatus;
    this.requestId = details.requestId;
    this.retryable = details.retryable;
    this.retryAfterMs = details.retryAfterMs;
  }
}

/** Bad client options; names the option and the fix. */
export class CloudConfigError extends PodeipError {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super('InvalidCloudConfig', `${field}: ${message}`);
  }
}

/** Thrown by our credential wrapper so a credential-source failure is told apart from the API. */
export class CredentialSourceError extends Error {
  constructor(
    readonly providerName: string,
    readonly detail: string,
  ) {
    super(`credentials from ${providerName} unavailable: ${detail}`);
    this.name = 'CredentialSourceError';
  }
}

const NETWORK_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
  'ENOTFOUND',
  'EADDRNOTAVAIL',
  'UND_ERR_SOCKET',
  'ERR_STREAM_PREMATURE_CLOSE',
]);

const BUSY_CODES = new Set(['TaskConflict', 'OperationConflict', 'SystemBusy', 'LastTokenProcessing', 'ServiceBusy']);
const AUTH_CODES = new Set([
  'InvalidAccessKeyId.NotFound',
  'InvalidAccessKeyId',
  'InvalidAccessKeyId.Inactive',
  'SignatureDoesNotMatch',
  'IncompleteSignature',
  'InvalidCredentials',
  'InvalidSecurityToken.Expired',
  'InvalidSecurityToken.Malformed',
  'InvalidSecurityToken.MismatchWithAccessKey',
  'SignatureNonceUsed',
  'InvalidTimeStamp.Expired',
]);

export function isThrottlingCode(cloudCode: string): boolean {
  return cloudCode.startsWith('Throttling');
}

function isPermissionCode(cloudCode: string): boolean {
  return (
    cloudCode === 'NoPermission' ||
    cloudCode.startsWith('Forbidden') ||
    cloudCode.startsWith('NoPermission') ||
    cloudCode === 'UnauthorizedOperation'
  );
}

export interface ClassifyContext {
  /** The EIP was found in a transitional state after an IncorrectEipStatus answer. */
  eipTransitioning?: boolean;
  /** Removes secrets and query strings from free text (transport messages can carry the URL). */
  redact?: (text: string) => string;
}

function field(err: unknown, name: string): unknown {
  return typeof err === 'object' && err !== null ? (err as Record<string, unknown>)[name] : undefined;
}

function stringField(err: unknown, name: string): string {
  const v = field(err, name);
  return typeof v === 'string' ? v : '';
}

/** Query strings can carry AccessKeyId, SecurityToken and Signature (v1 signing); drop them. */
export function stripQueryStrings(text: string): string {
  return text.replace(/\?[^\s"']*/g, '?<redacted>');
}

/** Maps a cloud code to the podeip code and whether retrying with the same ClientToken can help. */
export function classifyCloudCode(
  cloudCode: string,
  httpStatus: number,
  ctx: ClassifyContext = {},
): { code: CloudErrorCode; retryable: boolean } {
  if (isThrottlingCode(cloudCode)) return { code: 'CloudThrottled', retryable: true };
  if (
    cloudCode === 'ServiceUnavailable' ||
    cloudCode === 'InternalError' ||
    cloudCode.startsWith('InternalError.') ||
    cloudCode === 'UnknownError' ||
    httpStatus >= 500
  ) {
    return { code: 'CloudUnavailable', retryable: true };
  }
  if (BUSY_CODES.has(cloudCode) || cloudCode.startsWith('OperationConflict'))
    return { code: 'CloudBusy', retryable: true };
  if (cloudCode === 'IncorrectEipStatus' && ctx.eipTransitioning) return { code: 'CloudBusy', retryable: true };
  if (cloudCode.startsWith('QuotaExceeded')) return { code: 'EipQuotaExceeded', retryable: false };
  if (AUTH_CODES.has(cloudCode)) return { code: 'CloudAuthFailed', retryable: false };
  if (isPermissionCode(cloudCode) || httpStatus === 403) return { code: 'CloudPermissionDenied', retryable: false };
  if (cloudCode.endsWith('.NotFound')) return { code: 'CloudNotFound', retryable: false };
  return { code: 'CloudRejected', retryable: false };
}

/**
 * Turns whatever a call threw into a CloudError. The message is built from codes and the
 * cloud's Message only, never from request data, so no secret can ride along.
 */
export function classifyError(action: string, err: unknown, ctx: ClassifyContext = {}): CloudError {
  if (err instanceof CloudError) return err;
  const redact = (t: string) => stripQueryStrings(ctx.redact ? ctx.redact(t) : t);

  if (err instanceof CredentialSourceError) {
    return new CloudError('CloudCredentialsUnavailable', `${action}: ${redact(err.message)}`, {
      action,
      cloudCode: '',
      httpStatus: 0,
      requestId: '',
      retryable: true,
    });
  }

  const name = stringField(err, 'name');
  const sdkCode = stringField(err, 'code');
  const statusCode = field(err, 'statusCode');
  const isSdkError = ['ThrottlingError', 'ClientError', 'ServerError'].includes(name) || typeof statusCode === 'number';

  if (isSdkError && sdkCode) {
    const httpStatus = typeof statusCode === 'number' ? statusCode : 0;
    const requestId = stringField(err, 'requestId');
    const data = field(err, 'data');
    const cloudMessage = stringField(data, 'Message');
    const { code, retryable } = classifyCloudCode(sdkCode, httpStatus, ctx);
    const retryAfter = field(err, 'retryAfter');
    const message =
      `${action} failed: ${sdkCode}${httpStatus ? ` (HTTP ${httpStatus})` : ''}` +
      `${cloudMessage ? `: ${redact(cloudMessage)}` : ''}${requestId ? ` [RequestId ${requestId}]` : ''}`;
    return new CloudError(code, message, {
      action,
      cloudCode: sdkCode,
      httpStatus,
      requestId,
      retryable,
      ...(typeof retryAfter === 'number' && Number.isFinite(retryAfter) && retryAfter >= 0
        ? { retryAfterMs: retryAfter }
        : {}),
    });
  }

  const errno = sdkCode || stringField(err, 'errno');
  const rawMessage = err instanceof Error ? err.message : String(err);
  const isTimeout = name === 'RequestTimeoutError' || /timeout/i.test(name) || /Timeout/.test(rawMessage);
  const isNetwork = NETWORK_CODES.has(errno) || /socket hang up|ECONNRESET|EPIPE|other side closed/i.test(rawMessage);
  if (isTimeout || isNetwork) {
    const cloudCode = isTimeout ? 'RequestTimeout' : errno || 'ECONNRESET';
    return new CloudError('CloudUnavailable', `${action} failed: no answer (${cloudCode}: ${redact(rawMessage)})`, {
      action,
      cloudCode,
      httpStatus: 0,
      requestId: '',
      retryable: true,
    });
  }
  // A 502 HTML page or a truncated body surfaces as a SyntaxError from JSON parsing.
  if (err instanceof SyntaxError) {
    return new CloudError('CloudUnavailable', `${action} failed: unreadable answer (${redact(rawMessage)})`, {
      action,
      cloudCode: 'MalformedResponse',
      httpStatus: 0,
      requestId: '',
      retryable: true,
    });
  }
  return new CloudError('CloudRejected', `${action} failed: ${name || 'Error'}: ${redact(rawMessage)}`, {
    action,
    cloudCode: errno,
    httpStatus: 0,
    requestId: '',
    retryable: false,
  });
}
