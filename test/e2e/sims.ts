/**
 * The cloud and Kubernetes simulators as separate processes (bin/podeip-sim), and what the
 * scenarios read from them: the cloud's state through its inspect endpoint, Kubernetes objects
 * through the real kubectl.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as k8s from '@kubernetes/client-node';
import { PodeipError } from '../../lib/errors.js';
import { testKubectl } from '../../lib/host-tools.js';
import { Daemon, run } from './proc.js';

export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const PODEIP_SIM = join(REPO_ROOT, 'bin', 'podeip-sim');
const KUBECTL = testKubectl();

export class SimAnnouncementError extends PodeipError {
  constructor(sim: string, field: string, line: unknown) {
    super('E2eSimAnnouncement', `${sim} did not announce "${field}" on its first stdout line: ${JSON.stringify(line)}`);
  }
}

function stringField(sim: string, line: Record<string, unknown>, field: string): string {
  const value = line[field];
  if (typeof value !== 'string' || value === '') throw new SimAnnouncementError(sim, field, line);
  return value;
}

export interface CloudEipState {
  allocationId: string;
  ipAddress: string;
  status: string;
  tags: Record<string, string>;
  binding: {
    instanceId: string;
    instanceType: string;
    privateIpAddress: string;
    networkInterfaceId: string;
    mode: string;
  } | null;
}

export interface CloudState {
  eipQuota: number;
  eips: CloudEipState[];
  calls: Record<string, Record<string, number>>;
}

export interface CloudSimSettings {
  topologyFile: string;
  metadataInstanceId: string;
  accessKeyId: string;
  accessKeySecret: string;
  eipQuota: number;
  associationDelayMs: number;
}

export class CloudSimProcess {
  private constructor(
    readonly daemon: Daemon,
    readonly endpoint: string,
    readonly inspectEndpoint: string,
    readonly metadataEndpoint: string,
    readonly settings: CloudSimSettings,
  ) {}

  static async start(settings: CloudSimSettings, logFile: string): Promise<CloudSimProcess> {
    const daemon = Daemon.start(
      'cloud simulator',
      process.execPath,
      [
        PODEIP_SIM,
        'cloud',
        '--listen',
        '127.0.0.1:0',
        '--inspect-listen',
        '127.0.0.1:0',
        '--metadata-listen',
        '127.0.0.1:0',
        '--metadata-instance',
        settings.metadataInstanceId,
        '--topology',
        settings.topologyFile,
        '--access-key-id',
        settings.accessKeyId,
        '--access-key-secret',
        settings.accessKeySecret,
        '--eip-quota',
        String(settings.eipQuota),
        '--association-delay-ms',
        String(settings.associationDelayMs),
      ],
      process.env,
      logFile,
    );
    try {
      const line = await daemon.firstJsonLine('the cloud simulator to announce its endpoints');
      return new CloudSimProcess(
        daemon,
        stringField('cloud sim', line, 'endpoint'),
        stringField('cloud sim', line, 'inspectEndpoint'),
        stringField('cloud sim', line, 'metadataEndpoint'),
        settings,
      );
    } catch (err) {
      await daemon.stop();
      throw err;
    }
  }

  private async inspect(method: 'GET' | 'POST', path: string, body?: unknown): Promise<unknown> {
    const res = await fetch(`http://${this.inspectEndpoint}${path}`, {
      method,
      ...(body === undefined ? {} : { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }),
    });
    const json = await res.json();
    if (!res.ok) throw new Error(`cloud sim ${method} ${path}: ${res.status} ${JSON.stringify(json)}`);
    return json;
  }

  async state(): Promise<CloudState> {
    return (await this.inspect('GET', '/state')) as CloudState;
  }

  async setEipQuota(eipQuota: number): Promise<void> {
    await this.inspect('POST', '/eip-quota', { eipQuota });
  }

  /** Sum of the OpenAPI calls the simulator answered for `action`, over all result codes. */
  static callCount(state: CloudState, action: string): number {
    return Object.values(state.calls[action] ?? {}).reduce((a, b) => a + b, 0);
  }
}

const PODEIP = { group: 'alibabacloud.com', version: 'v1beta1', plural: 'podeips' } as const;

/**
 * The Kubernetes simulator. Manifests go in with the real kubectl, as a user applies them; the
 * per-pod traffic (kubelet's and the scenarios' reads) goes through client-node in-process,
 * because a kubectl exec per poll costs up to a second on a busy machine.
 */
export class KubeSimProcess {
  private readonly core: k8s.CoreV1Api;
  private readonly apps: k8s.AppsV1Api;
  private readonly custom: k8s.CustomObjectsApi;

  private constructor(
    readonly daemon: Daemon,
    readonly url: string,
    readonly kubeconfig: string,
    private readonly kubectlCacheDir: string,
  ) {
    const config = new k8s.KubeConfig();
    config.loadFromFile(kubeconfig);
    this.core = config.makeApiClient(k8s.CoreV1Api);
    this.apps = config.makeApiClient(k8s.AppsV1Api);
    this.custom = config.makeApiClient(k8s.CustomObjectsApi);
  }

  static async start(dir: string): Promise<KubeSimProcess> {
    const daemon = Daemon.start(
      'kube simulator',
      process.execPath,
      [PODEIP_SIM, 'kube', '--listen', '127.0.0.1:0', '--kubeconfig-out', join(dir, 'kubeconfig')],
      process.env,
      join(dir, 'kube-sim.log'),
    );
    try {
      const line = await daemon.firstJsonLine('the kube simulator to announce its URL');
      return new KubeSimProcess(
        daemon,
        stringField('kube sim', line, 'url'),
        stringField('kube sim', line, 'kubeconfig'),
        join(dir, 'kubectl-cache'),
      );
    } catch (err) {
      await daemon.stop();
      throw err;
    }
  }

  /** kubectl against the simulator; its discovery cache stays in our temp dir, not in ~/.kube. */
  async kubectl(args: string[], input?: string): Promise<string> {
    const result = await run(
      KUBECTL,
      ['--kubeconfig', this.kubeconfig, '--cache-dir', this.kubectlCacheDir, ...args],
      input === undefined ? {} : { input },
    );
    return result.stdout;
  }

  async applyFile(file: string): Promise<void> {
    await this.kubectl(['apply', '-f', file]);
  }

  async applyObject(manifest: object): Promise<void> {
    await this.kubectl(['apply', '-f', '-'], JSON.stringify(manifest));
  }

  async createPod(pod: k8s.V1Pod): Promise<k8s.V1Pod> {
    return this.core.createNamespacedPod({ namespace: pod.metadata!.namespace!, body: pod });
  }

  async createStatefulSet(sts: k8s.V1StatefulSet): Promise<k8s.V1StatefulSet> {
    return this.apps.createNamespacedStatefulSet({ namespace: sts.metadata!.namespace!, body: sts });
  }

  async getPod(namespace: string, name: string): Promise<k8s.V1Pod | undefined> {
    return orUndefinedIfNotFound(() => this.core.readNamespacedPod({ namespace, name }));
  }

  async getPodEip(namespace: string, name: string): Promise<PodEipObject | undefined> {
    return orUndefinedIfNotFound(
      async () => (await this.custom.getNamespacedCustomObject({ ...PODEIP, namespace, name })) as PodEipObject,
    );
  }

  /** Graceful delete: kubelet sees a terminating pod (deletionTimestamp) and tears it down. */
  async deletePodGracefully(namespace: string, name: string): Promise<void> {
    await this.core.deleteNamespacedPod({ namespace, name });
  }

  /** What kubelet does once the pod's containers are gone: the final delete. */
  async deletePodNow(namespace: string, name: string): Promise<void> {
    await orUndefinedIfNotFound(() => this.core.deleteNamespacedPod({ namespace, name, gracePeriodSeconds: 0 }));
  }
}

export interface PodEipObject {
  metadata: { name: string; namespace: string; finalizers?: string[] };
  spec?: { allocationID?: string; allocationType?: { type?: string; releaseStrategy?: string; releaseAfter?: string } };
  status?: { eipAddress?: string; privateIPAddress?: string; networkInterfaceID?: string; status?: string };
}

async function orUndefinedIfNotFound<T>(call: () => Promise<T>): Promise<T | undefined> {
  try {
    return await call();
  } catch (err) {
    if (err instanceof k8s.ApiException && err.code === 404) return undefined;
    throw err;
  }
}

export function writeJson(file: string, value: unknown): string {
  writeFileSync(file, JSON.stringify(value, null, 2) + '\n');
  return file;
}
