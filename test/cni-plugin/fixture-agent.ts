/**
 * A real gRPC server for agent.proto on a unix socket that records what the plugin sent and
 * answers as each test scripts it. It stands in for the agent only in the plugin's own tests.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { ERROR_CODE_TRAILER, loadAgentService } from '../../lib/agent-proto.js';

export type AgentMethod = 'Attach' | 'Detach' | 'Check' | 'Status';

export interface RecordedCall {
  method: AgentMethod;
  request: Record<string, unknown>;
}

export type ScriptedReply =
  | { response: object; delayMs?: number }
  | { error: { code: grpc.status; details: string; trailer?: string }; delayMs?: number };

const DEFAULT_REPLIES: Record<AgentMethod, ScriptedReply> = {
  Attach: { response: { eipRequested: true, binding: { eipAddress: '47.0.0.1', state: 'bound' } } },
  Detach: { response: { detached: true } },
  Check: { response: { eipRequested: true } },
  Status: { response: { agentVersion: '0.1.0', nodeName: 'node-a', ready: true, bindings: [] } },
};

export class FixtureAgent {
  readonly calls: RecordedCall[] = [];
  private readonly replies = new Map<AgentMethod, ScriptedReply>();

  private constructor(
    private readonly server: grpc.Server,
    readonly socketPath: string,
  ) {}

  static async start(
    socketPath = join(mkdtempSync(join(tmpdir(), 'podeip-fixture-')), 'agent.sock'),
  ): Promise<FixtureAgent> {
    const server = new grpc.Server();
    const agent = new FixtureAgent(server, socketPath);
    const handler =
      (method: AgentMethod): grpc.handleUnaryCall<Record<string, unknown>, object> =>
      (call, callback) => {
        agent.calls.push({ method, request: call.request });
        const reply = agent.replies.get(method) ?? DEFAULT_REPLIES[method];
        setTimeout(() => {
          if ('response' in reply) return callback(null, reply.response);
          const metadata = new grpc.Metadata();
          if (reply.error.trailer !== undefined) metadata.set(ERROR_CODE_TRAILER, reply.error.trailer);
          callback({ code: reply.error.code, details: reply.error.details, metadata });
        }, reply.delayMs ?? 0);
      };
    server.addService(loadAgentService(), {
      Attach: handler('Attach'),
      Detach: handler('Detach'),
      Check: handler('Check'),
      Status: handler('Status'),
    });
    await new Promise<void>((resolve, reject) => {
      server.bindAsync(`unix:${socketPath}`, grpc.ServerCredentials.createInsecure(), (error) =>
        error ? reject(error) : resolve(),
      );
    });
    return agent;
  }

  reply(method: AgentMethod, reply: ScriptedReply): void {
    this.replies.set(method, reply);
  }

  callsOf(method: AgentMethod): RecordedCall[] {
    return this.calls.filter((call) => call.method === method);
  }

  /** Drops calls still held by a scripted delay. */
  stop(): void {
    this.server.forceShutdown();
  }
}
