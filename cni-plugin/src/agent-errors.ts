/**
 * A failed agent call as a CNI error: the gRPC status and the `podeip-error-code` trailer
 * (proto/podeip/v1/agent.proto) pick the CNI code from the error table (lib/error-table.ts); the
 * agent's status message, written for `kubectl describe pod`, is the CNI `msg`, and the table's
 * "what to do" for the code ends the `details`.
 */
import { ERROR_CODE_TRAILER } from '../../lib/agent-contract.js';
import { agentErrorSpec, CniCode } from '../../lib/error-table.js';
import { CniError } from './cni-error.js';
import { GrpcStatus, type GrpcCallError } from './grpc-status.js';

/** Statuses after which the runtime should simply try again (the agent keeps working). */
const RETRYABLE = new Set<number>([
  GrpcStatus.UNAVAILABLE,
  GrpcStatus.DEADLINE_EXCEEDED,
  GrpcStatus.RESOURCE_EXHAUSTED,
  GrpcStatus.ABORTED,
  GrpcStatus.CANCELLED,
]);

/** When the trailer is missing or unknown to this plugin version (a newer agent). */
const CNI_CODE_BY_STATUS: Readonly<Record<number, number>> = {
  [GrpcStatus.INVALID_ARGUMENT]: 100,
  [GrpcStatus.FAILED_PRECONDITION]: 101,
  [GrpcStatus.PERMISSION_DENIED]: 102,
};
const CNI_CODE_OTHERWISE = 199;

export function cniErrorFromAgent(
  method: string,
  error: GrpcCallError,
  socketPath: string,
  timeoutSeconds: number,
): CniError {
  const statusName = (GrpcStatus[error.code] as string | undefined) ?? String(error.code);
  const trailer = error.trailers[ERROR_CODE_TRAILER] ?? '';
  const spec = agentErrorSpec(trailer);
  const details =
    `podeip-agent ${method}: grpc status ${statusName}${trailer === '' ? '' : `, podeip-error-code ${trailer}`}` +
    (spec ? `; what to do: ${spec.fix}` : '');
  if (RETRYABLE.has(error.code)) {
    const message =
      error.code === GrpcStatus.DEADLINE_EXCEEDED && trailer === ''
        ? `podeip-agent did not answer ${method} within ${timeoutSeconds}s (timeoutSeconds); its work goes on and the runtime's retry resumes it`
        : error.code === GrpcStatus.UNAVAILABLE && trailer === ''
          ? `podeip-agent is not reachable at ${socketPath} (socketPath): ${error.details.replace(/\s*Resolution note:\s*$/, '')}; try again once the podeip-agent pod on this node is running`
          : error.details;
    return new CniError(trailer || `Agent${statusName}`, CniCode.tryAgainLater, message, details, { cause: error });
  }
  const cniCode =
    (spec && !spec.retryable ? spec.cni : undefined) ?? CNI_CODE_BY_STATUS[error.code] ?? CNI_CODE_OTHERWISE;
  return new CniError(
    trailer || `Agent${statusName}`,
    cniCode,
    error.details || `podeip-agent ${method} failed with ${statusName}`,
    details,
    { cause: error },
  );
}
