/**
 * Every error code the agent answers with, and what it means on each side of the contract: the
 * gRPC status the agent returns (with the code in the `podeip-error-code` trailer, see
 * proto/podeip/v1/agent.proto), the CNI error code the plugin prints, whether the runtime should
 * simply try again. docs/troubleshooting.md lists every code with its CNI code (a test checks
 * it against this table).
 */

/** gRPC status names (grpc/doc/statuscodes.md); both grpc-js's `status` and the plugin's GrpcStatus are keyed by them. */
export type GrpcStatusName =
  | 'INVALID_ARGUMENT'
  | 'FAILED_PRECONDITION'
  | 'PERMISSION_DENIED'
  | 'RESOURCE_EXHAUSTED'
  | 'UNAVAILABLE'
  | 'DEADLINE_EXCEEDED'
  | 'INTERNAL';

/** Well-known CNI error codes (CNI spec, "Error" section) the plugin returns; podeip's own are 100 and up. */
export const CniCode = {
  incompatibleVersion: 1,
  invalidEnvironment: 4,
  invalidNetworkConfig: 7,
  tryAgainLater: 11,
} as const;

export interface AgentErrorSpec {
  grpc: GrpcStatusName;
  /** The CNI code the plugin reports. */
  cni: number;
  /** The work goes on in the agent; the runtime's retry picks it up (CNI 11). */
  retryable: boolean;
}

const retry = (grpc: GrpcStatusName): AgentErrorSpec => ({ grpc, cni: CniCode.tryAgainLater, retryable: true });
const fail = (grpc: GrpcStatusName, cni: number): AgentErrorSpec => ({ grpc, cni, retryable: false });

export const AGENT_ERRORS = {
  AgentNotReady: retry('UNAVAILABLE'),
  CloudThrottled: retry('RESOURCE_EXHAUSTED'),
  EipQuotaExceeded: retry('RESOURCE_EXHAUSTED'),
  CloudUnavailable: retry('UNAVAILABLE'),
  DeadlineExceeded: retry('DEADLINE_EXCEEDED'),
  JournalUnwritable: retry('UNAVAILABLE'),
  InvalidAnnotation: fail('INVALID_ARGUMENT', 100),
  InvalidRequest: fail('INVALID_ARGUMENT', CniCode.invalidEnvironment),
  EipInUseElsewhere: fail('FAILED_PRECONDITION', 101),
  CloudPermissionDenied: fail('PERMISSION_DENIED', 102),
  NotStatefulPod: fail('FAILED_PRECONDITION', 103),
  ForeignController: fail('FAILED_PRECONDITION', 104),
  IncompatibleClient: fail('FAILED_PRECONDITION', 105),
  EipNotFound: fail('FAILED_PRECONDITION', 106),
  EipNotBound: fail('FAILED_PRECONDITION', 107),
  PodNotFound: fail('FAILED_PRECONDITION', 108),
  EniNotFound: fail('FAILED_PRECONDITION', 109),
  EipNotGranted: fail('FAILED_PRECONDITION', 110),
  UntrustedPodEip: fail('FAILED_PRECONDITION', 111),
  Internal: fail('INTERNAL', 199),
} as const satisfies Record<string, AgentErrorSpec>;

export type AgentErrorCode = keyof typeof AGENT_ERRORS;

/** The spec of a code from a trailer, or undefined for a code this version does not know (a newer agent). */
export function agentErrorSpec(code: string): AgentErrorSpec | undefined {
  return Object.hasOwn(AGENT_ERRORS, code) ? AGENT_ERRORS[code as AgentErrorCode] : undefined;
}
