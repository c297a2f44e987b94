/**
 * The agent's gRPC endpoint on a unix socket: the only way in for the CNI plugin and podeipctl.
 * Each call gets an AbortSignal that fires at the caller's deadline or when it hangs up; what
 * the binding logic does with it (carry on in the background) is its business.
 */
import { mkdir, chmod, stat, unlink } from 'node:fs/promises';
import { connect } from 'node:net';
import { dirname } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { clamp } from '../../../lib/bounded-text.js';
import { PodeipError } from '../../../lib/errors.js';
import {
  ERROR_CODE_TRAILER,
  loadAgentService,
  type AttachRequest,
  type AttachResponse,
  type Binding,
  type CheckRequest,
  type CheckResponse,
  type DetachRequest,
  type DetachResponse,
  type StatusRequest,
  type StatusResponse,
  type PoolStatus,
  type QuotaStatus,
} from '../../../lib/agent-proto.js';
import type { Logger } from '../log/logger.js';
import type { AgentMetrics } from '../metrics/agent-metrics.js';
import { grpcStatusFor } from './status-codes.js';
import { checkClientVersion, checkRequest } from './request-checks.js';
import { errorText } from '../../../lib/error-text.js';

export interface BindingApi {
  attach(req: AttachRequest, signal: AbortSignal): Promise<AttachResponse>;
  detach(req: DetachRequest, signal: AbortSignal): Promise<DetachResponse>;
  check(req: CheckRequest, signal: AbortSignal): Promise<CheckResponse>;
  bindings(): Binding[];
}

export interface AgentIdentity {
  agentVersion: string;
  nodeName: string;
  instanceId: string;
  isReady(): boolean;
  /** The warm pool and the EIP quota, for podeipctl. */
  capacity?(): { pool?: PoolStatus; quota?: QuotaStatus };
  /** Why not ready, in the plugin's "try again later" message. */
  notReadyReason?(): string | undefined;
}

export class SocketInUseError extends PodeipError {
  constructor(path: string) {
    super('SocketInUse', `another agent is serving ${path}: stop it first (only one podeip-agent may run per node)`);
  }
}

export class AgentNotReadyError extends PodeipError {
  constructor(reason = 'podeip-agent is starting (resuming its journal and syncing pods)') {
    super('AgentNotReady', `${reason}; the runtime will retry`);
  }
}

type Command = 'add' | 'del' | 'check' | 'status';

export class AgentGrpcServer {
  private readonly server = new grpc.Server();

  constructor(
    private readonly bindings: BindingApi,
    private readonly identity: AgentIdentity,
    private readonly metrics: AgentMetrics,
    private readonly logger: Logger,
  ) {
    this.server.addService(loadAgentService(), {
      Attach: this.unary('add', (req: AttachRequest, signal) => {
        checkRequest(req, true);
        return this.bindings.attach(req, signal);
      }),
      Detach: this.unary('del', (req: DetachRequest, signal) => {
        checkRequest(req, false);
        return this.bindings.detach(req, signal);
      }),
      Check: this.unary('check', (req: CheckRequest, signal) => {
        checkRequest(req, true);
        return this.bindings.check(req, signal);
      }),
      Status: this.unary(
        'status',
        async (_req: StatusRequest): Promise<StatusResponse> => ({
          agentVersion: this.identity.agentVersion,
          nodeName: this.identity.nodeName,
          instanceId: this.identity.instanceId,
          ready: this.identity.isReady(),
          bindings: this.bindings.bindings(),
          ...this.identity.capacity?.(),
        }),
        { needsReady: false },
      ),
    });
  }

  /** Binds the socket: directory 0700, socket 0600; a stale socket is removed, a live one refused. */
  async listen(socketPath: string): Promise<void> {
    await mkdir(dirname(socketPath), { recursive: true, mode: 0o700 });
    await chmod(dirname(socketPath), 0o700);
    await removeStaleSocket(socketPath);
    await new Promise<void>((resolve, reject) => {
      this.server.bindAsync(`unix:${socketPath}`, grpc.ServerCredentials.createInsecure(), (err) =>
        err ? reject(err) : resolve(),
      );
    });
    await chmod(socketPath, 0o600);
  }

  async close(graceMs = 5000): Promise<void> {
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        this.server.forceShutdown();
        resolve();
      }, graceMs);
      this.server.tryShutdown(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  private unary<Req extends { clientVersion: string }, Res>(
    command: Command,
    handle: (req: Req, signal: AbortSignal) => Promise<Res>,
    options: { needsReady: boolean } = { needsReady: true },
  ): grpc.handleUnaryCall<Req, Res> {
    return (call, callback) => {
      const started = performance.now();
      const { signal, dispose } = signalFor(call);
      const run = async (): Promise<Res> => {
        checkClientVersion(call.request.clientVersion, this.identity.agentVersion);
        if (options.needsReady && !this.identity.isReady())
          throw new AgentNotReadyError(this.identity.notReadyReason?.());
        return handle(call.request, signal);
      };
      run()
        .then(
          (response) => {
            this.metrics.cniRequest(command, 'success', (performance.now() - started) / 1000);
            callback(null, response);
          },
          (err: unknown) => {
            const code = err instanceof PodeipError ? err.code : 'Internal';
            this.metrics.cniRequest(command, code, (performance.now() - started) / 1000);
            if (code === 'Internal')
              this.logger.error('request failed', {
                command,
                err: err instanceof Error ? (err.stack ?? err.message) : String(err),
              });
            const trailer = new grpc.Metadata();
            trailer.set(ERROR_CODE_TRAILER, code);
            // Bounded: status details travel in an HTTP/2 trailer, and one past its size limit never arrives.
            callback({ code: grpcStatusFor(code), details: clamp(errorText(err)), metadata: trailer });
          },
        )
        .finally(dispose);
    };
  }
}

function signalFor(call: grpc.ServerUnaryCall<unknown, unknown>): { signal: AbortSignal; dispose: () => void } {
  const controller = new AbortController();
  const onCancel = (): void =>
    controller.abort(new PodeipError('DeadlineExceeded', 'the plugin hung up or its deadline passed'));
  call.on('cancelled', onCancel);
  const deadline = call.getDeadline();
  const ms =
    deadline instanceof Date
      ? deadline.getTime() - Date.now()
      : Number.isFinite(deadline)
        ? Number(deadline) - Date.now()
        : Infinity;
  const timer = Number.isFinite(ms) ? setTimeout(onCancel, Math.max(0, ms)) : undefined;
  return {
    signal: controller.signal,
    dispose: () => {
      if (timer) clearTimeout(timer);
      call.removeListener('cancelled', onCancel);
    },
  };
}

async function removeStaleSocket(socketPath: string): Promise<void> {
  try {
    await stat(socketPath);
  } catch {
    return;
  }
  const live = await new Promise<boolean>((resolve) => {
    const probe = connect(socketPath);
    probe.once('connect', () => {
      probe.destroy();
      resolve(true);
    });
    probe.once('error', () => resolve(false));
  });
  if (live) throw new SocketInUseError(socketPath);
  await unlink(socketPath);
}
