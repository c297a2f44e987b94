/**
 * What the chaos suite reads to judge the invariants: the cloud simulator's EIPs and the
 * PodEIPs in the Kubernetes simulator, plus the helpers that play the runtime's retries.
 */
import { CustomObjectsApi, KubeConfig } from '@kubernetes/client-node';
import type { SimulatedCluster } from '../../sim/stack/cluster.js';
import type { Kubectl } from '../../sim/stack/kubectl.js';

export interface CloudEip {
  allocationId: string;
  status: string;
  tags: Record<string, string>;
  /** Mbps. */
  bandwidth: number;
  binding: { privateIpAddress: string; networkInterfaceId: string } | null;
}

export function cloudEips(cluster: SimulatedCluster): CloudEip[] {
  return (cluster.cloud.state.snapshot() as { eips: CloudEip[] }).eips;
}

export interface PodEipObject {
  metadata: { name: string; namespace: string; finalizers?: string[] };
  spec: { allocationID: string };
}

export class PodEips {
  private readonly api: CustomObjectsApi;

  constructor(kubeconfigPath: string) {
    const config = new KubeConfig();
    config.loadFromFile(kubeconfigPath);
    this.api = config.makeApiClient(CustomObjectsApi);
  }

  async list(): Promise<PodEipObject[]> {
    const list = (await this.api.listClusterCustomObject({
      group: 'alibabacloud.com',
      version: 'v1beta1',
      plural: 'podeips',
    })) as { items: PodEipObject[] };
    return list.items;
  }

  async get(namespace: string, name: string): Promise<PodEipObject | undefined> {
    return (await this.list()).find((p) => p.metadata.namespace === namespace && p.metadata.name === name);
  }

  /** Test cleanup only: drop a kept PodEIP (finalizer first) once its invariants were checked. */
  async purge(kubectl: Kubectl, namespace: string, name: string): Promise<void> {
    await kubectl
      .run(['-n', namespace, 'patch', 'podeip', name, '--type=merge', '-p', '{"metadata":{"finalizers":null}}'])
      .catch(() => undefined);
    await kubectl.run(['-n', namespace, 'delete', 'podeip', name, '--ignore-not-found', '--wait=false']);
  }
}

export async function until<T>(
  what: string,
  probe: () => Promise<T | undefined> | T | undefined,
  timeoutMs: number,
  onTick?: () => Promise<void>,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await onTick?.();
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
