/**
 * A CRI RuntimeService client (the runtime.v1 subset in cri/api.proto) over containerd's unix
 * socket, calling the pod sandbox lifecycle the way kubelet does.
 */
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { PodeipError } from '../../lib/errors.js';
import { waitFor } from './proc.js';

const CRI_PROTO_PATH = fileURLToPath(new URL('../../../test/e2e/cri/api.proto', import.meta.url));

export interface PodSandboxMetadata {
  name: string;
  uid: string;
  namespace: string;
  attempt: number;
}

export interface PodSandboxConfig {
  metadata: PodSandboxMetadata;
  hostname: string;
  logDirectory?: string;
  dnsConfig?: { servers: string[]; searches: string[]; options: string[] };
  labels: Record<string, string>;
  annotations: Record<string, string>;
  linux: {
    cgroupParent: string;
    securityContext: {
      namespaceOptions: { network: 'POD' | 'NODE'; pid: 'POD' | 'CONTAINER' | 'NODE'; ipc: 'POD' | 'NODE' };
    };
  };
}

export interface VersionResponse {
  version: string;
  runtimeName: string;
  runtimeVersion: string;
  runtimeApiVersion: string;
}
export interface RuntimeCondition {
  type: string;
  status: boolean;
  reason: string;
  message: string;
}
export interface StatusResponse {
  status: { conditions: RuntimeCondition[] } | null;
  info: Record<string, string>;
}

export interface PodSandboxStatus {
  id: string;
  metadata: PodSandboxMetadata;
  state: 'SANDBOX_READY' | 'SANDBOX_NOTREADY';
  createdAt: string;
  network: { ip: string; additionalIps: { ip: string }[] } | null;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  runtimeHandler: string;
}

/** A CRI call the runtime answered with an error status: what kubelet would log. */
export class CriCallError extends PodeipError {
  constructor(
    readonly method: string,
    readonly grpcCode: grpc.status,
    readonly details: string,
  ) {
    super('E2eCriCallFailed', `CRI ${method} failed: ${grpc.status[grpcCode] ?? grpcCode}: ${details}`);
  }
}

type UnaryFn = (
  req: unknown,
  meta: grpc.Metadata,
  opts: grpc.CallOptions,
  cb: (err: grpc.ServiceError | null, res: unknown) => void,
) => void;

export class CriClient {
  private readonly client: grpc.Client;

  constructor(
    socketPath: string,
    private readonly callTimeoutMs = 120000,
  ) {
    const pkg = protoLoader.loadSync(CRI_PROTO_PATH, {
      keepCase: false,
      longs: String,
      enums: String,
      defaults: true,
      oneofs: true,
    });
    const def = grpc.loadPackageDefinition(pkg) as unknown as {
      runtime: { v1: { RuntimeService: grpc.ServiceClientConstructor } };
    };
    this.client = new def.runtime.v1.RuntimeService(`unix://${socketPath}`, grpc.credentials.createInsecure());
  }

  private call<T>(method: string, req: unknown): Promise<T> {
    const fn = (this.client as unknown as Record<string, UnaryFn>)[method]!.bind(this.client);
    return new Promise((resolve, reject) => {
      fn(req, new grpc.Metadata(), { deadline: Date.now() + this.callTimeoutMs }, (err, res) => {
        if (err) reject(new CriCallError(method, err.code, err.details));
        else resolve(res as T);
      });
    });
  }

  version(): Promise<VersionResponse> {
    return this.call('Version', { version: 'v1' });
  }

  status(verbose = false): Promise<StatusResponse> {
    return this.call('Status', { verbose });
  }

  /** Waits until the runtime reports RuntimeReady and NetworkReady (a CNI config is loaded). */
  async waitReady(timeoutMs = 30000): Promise<void> {
    await waitFor(
      'CRI RuntimeReady and NetworkReady',
      async () => {
        const { status } = await this.status();
        const ready = (type: string) => status?.conditions.find((c) => c.type === type)?.status === true;
        if (ready('RuntimeReady') && ready('NetworkReady')) return true;
        throw new Error(JSON.stringify(status?.conditions ?? []));
      },
      { timeoutMs, stepMs: 100 },
    );
  }

  /** The CNI config the runtime has loaded (Status verbose info "cniconfig"), as JSON text. */
  async loadedCniConfig(): Promise<string> {
    const { info } = await this.status(true);
    return info['cniconfig'] ?? '';
  }

  async runPodSandbox(config: PodSandboxConfig): Promise<string> {
    const res = await this.call<{ podSandboxId: string }>('RunPodSandbox', { config, runtimeHandler: '' });
    return res.podSandboxId;
  }

  async podSandboxStatus(id: string): Promise<PodSandboxStatus> {
    const res = await this.call<{ status: PodSandboxStatus }>('PodSandboxStatus', { podSandboxId: id, verbose: false });
    return res.status;
  }

  async stopPodSandbox(id: string): Promise<void> {
    await this.call('StopPodSandbox', { podSandboxId: id });
  }

  async removePodSandbox(id: string): Promise<void> {
    await this.call('RemovePodSandbox', { podSandboxId: id });
  }

  close(): void {
    this.client.close();
  }
}
