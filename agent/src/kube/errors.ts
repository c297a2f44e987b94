import { PodeipError } from '../../../lib/errors.js';

/** The kube config could not be found or read; the message says which source was tried. */
export class KubeConfigError extends PodeipError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('KUBE_CONFIG', message, options);
  }
}

/** The API server answered a request with an error status (or could not be reached: status 0). */
export class KubeApiError extends PodeipError {
  /** From a 429's Retry-After header. */
  retryAfterSeconds?: number;

  constructor(
    readonly verb: string,
    readonly resource: string,
    readonly status: number,
    readonly reason: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(status === 0 ? 'KUBE_UNREACHABLE' : 'KUBE_API', message, options);
  }

  get notFound(): boolean {
    return this.status === 404;
  }
  get conflict(): boolean {
    return this.status === 409;
  }
  get alreadyExists(): boolean {
    return this.status === 409 && this.reason === 'AlreadyExists';
  }
}

/** The component was stopped (or closed) while the call was waiting. */
export class KubeStoppedError extends PodeipError {
  constructor(what: string) {
    super('KUBE_STOPPED', `${what}: the Kubernetes gateway was stopped`);
  }
}

/** Bad options given to the gateway; names the option and the fix. */
export class KubeOptionError extends PodeipError {
  constructor(message: string) {
    super('KUBE_OPTION', message);
  }
}

/** An optimistic-concurrency write kept losing to concurrent writers. */
export class KubeConflictError extends PodeipError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('KUBE_CONFLICT', message, options);
  }
}
