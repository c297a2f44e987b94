/**
 * podeip error codes -> gRPC status codes, as documented in proto/podeip/v1/agent.proto.
 * The plugin turns these into CNI error codes; "try again later" (CNI 11) follows from
 * UNAVAILABLE, RESOURCE_EXHAUSTED and DEADLINE_EXCEEDED.
 */
import { status } from '@grpc/grpc-js';

const STATUS_BY_CODE: Record<string, status> = {
  InvalidAnnotation: status.INVALID_ARGUMENT,
  InvalidRequest: status.INVALID_ARGUMENT,
  IncompatibleClient: status.FAILED_PRECONDITION,
  ForeignController: status.FAILED_PRECONDITION,
  NotStatefulPod: status.FAILED_PRECONDITION,
  EipInUseElsewhere: status.FAILED_PRECONDITION,
  EipNotGranted: status.FAILED_PRECONDITION,
  UntrustedPodEip: status.FAILED_PRECONDITION,
  EipNotFound: status.FAILED_PRECONDITION,
  EipNotBound: status.FAILED_PRECONDITION,
  PodNotFound: status.FAILED_PRECONDITION,
  EniNotFound: status.FAILED_PRECONDITION,
  EipQuotaExceeded: status.RESOURCE_EXHAUSTED,
  CloudThrottled: status.RESOURCE_EXHAUSTED,
  CloudPermissionDenied: status.PERMISSION_DENIED,
  CloudUnavailable: status.UNAVAILABLE,
  AgentNotReady: status.UNAVAILABLE,
  JournalUnwritable: status.UNAVAILABLE,
  DeadlineExceeded: status.DEADLINE_EXCEEDED,
};

export function grpcStatusFor(code: string): status {
  return STATUS_BY_CODE[code] ?? status.INTERNAL;
}
