/**
 * What the plugin needs from the agent. The gRPC implementation (agent-client.ts) is loaded
 * only when a command needs the agent, so pods without an EIP never pay for the gRPC client.
 */
import type {
  AttachRequest,
  AttachResponse,
  CheckRequest,
  CheckResponse,
  DetachRequest,
  DetachResponse,
  StatusRequest,
  StatusResponse,
} from '../../lib/agent-contract.js';

export interface AgentApi {
  attach(request: AttachRequest): Promise<AttachResponse>;
  detach(request: DetachRequest): Promise<DetachResponse>;
  check(request: CheckRequest): Promise<CheckResponse>;
  status(request: StatusRequest): Promise<StatusResponse>;
  close(): void;
}

export interface AgentTarget {
  socketPath: string;
  timeoutSeconds: number;
}

export type ConnectAgent = (target: AgentTarget) => Promise<AgentApi>;
