/**
 * The agent over gRPC on its unix socket, through the plugin's own unary client (grpc-unary.ts)
 * and the codec built from the embedded descriptor (agent-service.ts). Loaded by dynamic import
 * only when a command needs the agent. One deadline covers the whole invocation
 * (timeoutSeconds from the config).
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
import type { AgentApi, AgentTarget } from './agent-api.js';
import { cniErrorFromAgent } from './agent-errors.js';
import type { AgentServiceDefinition } from './agent-service.js';
import { GrpcCallError, GrpcStatus } from './grpc-status.js';
import { GrpcUnaryClient } from './grpc-unary.js';

export class GrpcAgentClient implements AgentApi {
  private readonly client: GrpcUnaryClient;

  constructor(
    private readonly target: AgentTarget,
    private readonly service: AgentServiceDefinition,
    now: number,
  ) {
    this.client = new GrpcUnaryClient(target.socketPath, now + target.timeoutSeconds * 1000);
  }

  attach(request: AttachRequest): Promise<AttachResponse> {
    return this.unary('Attach', request);
  }
  detach(request: DetachRequest): Promise<DetachResponse> {
    return this.unary('Detach', request);
  }
  check(request: CheckRequest): Promise<CheckResponse> {
    return this.unary('Check', request);
  }
  status(request: StatusRequest): Promise<StatusResponse> {
    return this.unary('Status', request);
  }

  close(): void {
    this.client.close();
  }

  private async unary<T>(method: string, request: object): Promise<T> {
    const definition = this.service[method]!;
    try {
      return (await this.client.call(
        {
          path: definition.path,
          serialize: definition.requestSerialize,
          deserialize: definition.responseDeserialize,
        },
        request,
      )) as T;
    } catch (error) {
      const failure =
        error instanceof GrpcCallError ? error : new GrpcCallError(GrpcStatus.INTERNAL, (error as Error).message);
      throw cniErrorFromAgent(method, failure, this.target.socketPath, this.target.timeoutSeconds);
    }
  }
}
