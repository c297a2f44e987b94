/**
 * gRPC status codes (grpc/doc/statuscodes.md) and a failed call, without grpc-js: the plugin's
 * own unary client (grpc-unary.ts) produces them, the error mapping (agent-errors.ts) reads them.
 */
export enum GrpcStatus {
  OK = 0,
  CANCELLED = 1,
  UNKNOWN = 2,
  INVALID_ARGUMENT = 3,
  DEADLINE_EXCEEDED = 4,
  NOT_FOUND = 5,
  ALREADY_EXISTS = 6,
  PERMISSION_DENIED = 7,
  RESOURCE_EXHAUSTED = 8,
  FAILED_PRECONDITION = 9,
  ABORTED = 10,
  OUT_OF_RANGE = 11,
  UNIMPLEMENTED = 12,
  INTERNAL = 13,
  UNAVAILABLE = 14,
  DATA_LOSS = 15,
  UNAUTHENTICATED = 16,
}

/** A call that ended with a status other than OK; `trailers` holds the response's custom trailers. */
export class GrpcCallError extends Error {
  constructor(
    readonly code: GrpcStatus,
    readonly details: string,
    readonly trailers: Readonly<Record<string, string>> = {},
  ) {
    super(`${(GrpcStatus[code] as string | undefined) ?? code}: ${details}`);
    this.name = 'GrpcCallError';
  }
}
