/**
 * The agent over gRPC on its unix socket. Loaded by dynamic import only when a command needs
 * the agent. One deadline covers the whole invocation (timeoutSeconds from the config).
 */
import * as grpc from '@grpc/grpc-js';
import { AGENT_SERVICE_NAME } from '../../lib/agent-contract.js';
import type {
  AttachRequest, AttachResponse, CheckRequest, CheckResponse, DetachRequest, DetachResponse,
  StatusRequest, StatusResponse,
} from '../../lib/agent-contract.js';
import type { AgentApi, AgentTarget } from './agent-api.js';
import { cniErrorFromAgent } from './agent-errors.js';

type UnaryMethod = (
  request: object, metadata: grpc.Metadata, options: grpc.CallOptions,
  callback: (error: grpc.ServiceError | null, response: unknown) => void,
) => grpc.ClientUnaryCall;

export class GrpcAgentClient implements AgentApi {
  private readonly client: grpc.Client;
  private readonly deadline: Date;

  constructor(private readonly target: AgentTarget, service: grpc.ServiceDefinition, now: number) {
    const AgentClient = grpc.makeClientConstructor(service, AGENT_SERVICE_NAME);
    this.client = new AgentClient(`unix:${target.socketPath}`, grpc.credentials.createInsecure());
    this.deadline = new Date(now + target.timeoutSeconds * 1000);
  }

  attach(request: AttachRequest): Promise<AttachResponse> { return this.unary('Attach', request); }
  detach(request: DetachRequest): Promise<DetachResponse> { return this.unary('Detach', request); }
  check(request: CheckRequest): Promise<CheckResponse> { return this.unary('Check', request); }
  status(request: StatusRequest): Promise<StatusResponse> { return this.unary('Status', request); }

  close(): void { this.client.close(); }

  private unary<T>(method: string, request: object): Promise<T> {
    const call = (this.client as unknown as Record<string, UnaryMethod>)[method]!.bind(this.client);
    return new Promise((resolve, reject) => {
      call(request, new grpc.Metadata(), { deadline: this.deadline }, (error, response) => {
        if (error) reject(cniErrorFromAgent(method, error, this.target.socketPath, this.target.timeoutSeconds));
        else resolve(response as T);
      });
    });
  }
}
