/**
 * podeip error codes -> gRPC status codes, from the one error table (lib/error-table.ts). The
 * plugin turns these into CNI error codes; "try again later" (CNI 11) follows from UNAVAILABLE,
 * RESOURCE_EXHAUSTED and DEADLINE_EXCEEDED.
 */
import { status } from '@grpc/grpc-js';
import { agentErrorSpec } from '../../../lib/error-table.js';

export function grpcStatusFor(code: string): status {
  return status[agentErrorSpec(code)?.grpc ?? 'INTERNAL'];
}
