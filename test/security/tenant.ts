/**
 * A shared cluster as a tenant sees it: the real plugin binary, agent processes and both
 * simulators (sim/stack), with the tenant's moves (pods, hand-written PodEIPs) and the admin's
 * (grants) made through kubectl and the cloud API, and the cloud state read back to prove what
 * podeip did and did not touch.
 */
import type { ExecutionContext } from 'ava';
import type { ClosableCloudClient } from '../../agent/src/cloud/client.js';
import type { SimNode, SimulatedCluster } from '../../sim/stack/cluster.js';
import type { PluginOutcome, SandboxRef } from '../../sim/stack/cni-runtime.js';
import { cloudEips, type CloudEip } from '../chaos/world.js';
import { clusterFor } from '../cluster/harness.js';

/** GC every 3 s, so "several GC periods" fit in a test. */
export const GC_PERIOD_MS = 3_000;

export async function sharedCluster(
  t: ExecutionContext,
  name: string,
  agentConfig: Record<string, unknown> = {},
): Promise<SimulatedCluster> {
  const cluster = await clusterFor(t, name, {
    nodes: 1,
    cloud: { associationDelayMs: 100, rateLimits: 'off' },
    agentConfig: {
      networkController: { eipController: { garbageCollectionPeriodInMinutes: GC_PERIOD_MS / 60_000 } },
      // Long enough that EIPs tagged by hand for pods that never existed are not swept as orphans mid-test.
      agent: { orphanGracePeriodMinutes: 30, leaseDurationSeconds: 4 },
      ...agentConfig,
    },
  });
  await cluster.startAgents();
  return cluster;
}

/** An ENI IP of an instance that is not a node of the cluster: "bound somewhere else". */
export function elsewhere(cluster: SimulatedCluster, n = 1): { networkInterfaceId: string; privateIpAddress: string } {
  const eni = cluster.cloud.topology.instances[cluster.cloud.topology.instances.length - 1]!.networkInterfaces[0]!;
  return { networkInterfaceId: eni.networkInterfaceId, privateIpAddress: eni.privateIpAddresses[n]! };
}

export async function userEip(
  cloud: ClosableCloudClient,
  token: string,
  tags: Record<string, string>,
  boundTo?: { networkInterfaceId: string; privateIpAddress: string },
): Promise<string> {
  const { allocationId } = await cloud.allocateEip({ clientToken: token, tags });
  if (boundTo) {
    await cloud.associateEip({ allocationId, ...boundTo });
    await cloud.waitForEip(allocationId, (e) => e?.status === 'InUse');
  }
  return allocationId;
}

export function eip(cluster: SimulatedCluster, allocationId: string): CloudEip | undefined {
  return cloudEips(cluster).find((e) => e.allocationId === allocationId);
}

/** Everything a tenant could have changed about an EIP: exists, status, binding, tags. */
export function fingerprint(cluster: SimulatedCluster, ids: readonly string[]): Record<string, string> {
  return Object.fromEntries(
    ids.map((id) => {
      const e = eip(cluster, id);
      return [id, e ? JSON.stringify({ status: e.status, binding: e.binding, tags: e.tags }) : 'gone'];
    }),
  );
}

export function releaseCalls(cluster: SimulatedCluster): number {
  const byOutcome = cluster.cloud.state.snapshot().calls['ReleaseEipAddress'] ?? {};
  return Object.values(byOutcome).reduce((sum, n) => sum + n, 0);
}

export async function createNamespace(
  cluster: SimulatedCluster,
  name: string,
  annotations: Record<string, string> = {},
): Promise<void> {
  await cluster.core.createNamespace({ body: { metadata: { name, annotations } } });
}

export async function annotateNamespace(
  cluster: SimulatedCluster,
  name: string,
  key: string,
  value: string | null,
): Promise<void> {
  await cluster.kubectl.run([
    'annotate',
    'namespace',
    name,
    '--overwrite',
    value === null ? `${key}-` : `${key}=${value}`,
  ]);
}

export interface ForgedPodEip {
  namespace: string;
  name: string;
  type: 'Auto' | 'Static';
  allocationId: string;
  releaseStrategy?: 'Follow' | 'Never';
  /** What the tenant copies from the cloud to make it look bound there. */
  status?: { networkInterfaceID: string; privateIPAddress: string; node?: string };
}

/** A PodEIP written by hand, spec and status, as anyone with PodEIP rights in the namespace can. */
export async function forgePodEip(cluster: SimulatedCluster, forged: ForgedPodEip): Promise<void> {
  await cluster.kubectl.run(['apply', '-f', '-'], {
    input: JSON.stringify({
      apiVersion: 'alibabacloud.com/v1beta1',
      kind: 'PodEIP',
      metadata: {
        name: forged.name,
        namespace: forged.namespace,
        finalizers: ['podeip-controller.alibabacloud.com/finalizer'],
      },
      spec: {
        allocationID: forged.allocationId,
        allocationType: { type: forged.type, releaseStrategy: forged.releaseStrategy ?? 'Follow' },
      },
    }),
  });
  if (forged.status) {
    await cluster.kubectl.run([
      '-n',
      forged.namespace,
      'patch',
      'podeip',
      forged.name,
      '--subresource=status',
      '--type=merge',
      '-p',
      JSON.stringify({ status: { ...forged.status, status: 'InUse' } }),
    ]);
  }
}

export interface CniFailure {
  code: number;
  msg: string;
}

export async function add(node: SimNode, sandbox: SandboxRef): Promise<PluginOutcome> {
  return node.runtime.add(sandbox);
}

export function cniError(outcome: PluginOutcome): CniFailure {
  if (outcome.exitCode === 0) throw new Error(`expected a CNI error, the ADD succeeded: ${outcome.stdout}`);
  return outcome.result as unknown as CniFailure;
}

export async function addOk(node: SimNode, sandbox: SandboxRef): Promise<void> {
  const outcome = await node.runtime.add(sandbox);
  if (outcome.exitCode !== 0) throw new Error(`ADD ${sandbox.namespace}/${sandbox.name}: ${outcome.stdout}`);
}

export async function del(node: SimNode, sandbox: SandboxRef): Promise<void> {
  for (const outcome of [await node.runtime.delWithNetns(sandbox), await node.runtime.delWithoutNetns(sandbox)]) {
    if (outcome.exitCode !== 0) throw new Error(`DEL ${sandbox.name}: ${outcome.stdout}`);
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export async function eventReasons(cluster: SimulatedCluster, namespace: string, name: string): Promise<string[]> {
  const list = await cluster.core.listNamespacedEvent({ namespace });
  return list.items.filter((e) => e.involvedObject.name === name).map((e) => e.reason ?? '');
}
