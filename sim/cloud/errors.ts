import { PodeipError } from '../../lib/errors.js';

/**
 * An error the simulated OpenAPI returns to its caller: `code` and `status` are what the real
 * service puts in the error body and on the HTTP status line.
 */
export class CloudApiError extends PodeipError {
  constructor(
    code: string,
    readonly status: number,
    message: string,
    /** Extra response headers (Throttling carries x-acs-retry-after). */
    readonly headers: Record<string, string> = {},
  ) {
    super(code, message);
  }
}

/** A bad flag, topology, faults or rate-limit file given to the simulator itself. */
export class SimConfigError extends PodeipError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('SimConfigInvalid', message, options);
  }
}

export const missingParameter = (name: string): CloudApiError =>
  new CloudApiError(
    'MissingParameter',
    400,
    `The input parameter "${name}" that is mandatory for processing this request is not supplied.`,
  );

export const invalidParameter = (name: string, why: string, code = 'InvalidParameter'): CloudApiError =>
  new CloudApiError(code, 400, `The specified parameter "${name}" is not valid: ${why}`);

export const eipNotFound = (allocationId: string): CloudApiError =>
  new CloudApiError('InvalidAllocationId.NotFound', 404, `Specified allocation ID "${allocationId}" is not found.`);

export const incorrectEipStatus = (allocationId: string, status: string, action: string): CloudApiError =>
  new CloudApiError(
    'IncorrectEipStatus',
    400,
    `The EIP ${allocationId} is ${status}; ${action} is not allowed in this status.`,
  );

export const taskConflict = (allocationId: string): CloudApiError =>
  new CloudApiError('TaskConflict', 400, `The eip operate too frequent: ${allocationId} has an operation in progress.`);
