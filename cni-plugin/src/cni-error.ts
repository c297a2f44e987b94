/**
 * A failure the plugin reports to the runtime as a CNI error object. `cniCode` is the CNI
 * spec's numeric code (1-99 well-known, 100+ podeip's); `code` is podeip's stable name.
 */
import { clamp } from '../../lib/bounded-text.js';
import { CniCode } from '../../lib/error-table.js';
import { PodeipError } from '../../lib/errors.js';

export class CniError extends PodeipError {
  constructor(
    code: string,
    readonly cniCode: number,
    message: string,
    readonly details = '',
    options?: { cause?: unknown },
  ) {
    super(code, message, options);
  }
}

export class IncompatibleVersionError extends CniError {
  constructor(message: string) {
    super('IncompatibleCniVersion', CniCode.incompatibleVersion, message);
  }
}

export class InvalidEnvironmentError extends CniError {
  constructor(message: string) {
    super('InvalidCniEnvironment', CniCode.invalidEnvironment, message);
  }
}

export class InvalidNetworkConfigError extends CniError {
  constructor(message: string) {
    super('InvalidNetworkConfig', CniCode.invalidNetworkConfig, message);
  }
}

/** The CNI error object printed on stdout. */
export interface CniErrorObject {
  cniVersion: string;
  code: number;
  msg: string;
  details?: string;
}

export function toCniErrorObject(error: CniError, cniVersion: string): CniErrorObject {
  const object: CniErrorObject = { cniVersion, code: error.cniCode, msg: clamp(error.message) };
  if (error.details !== '') object.details = clamp(error.details);
  return object;
}
