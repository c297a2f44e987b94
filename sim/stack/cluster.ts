/**
 * A simulated cluster for integration tests, benches, the chaos suite: the cloud and Kubernetes
 * simulators in this process (so tests can read their state directly), the PodEIP CRD applied
 * through client-node, a Node object per simulated ECS instance, and per node a real podeip-agent
 * process plus a CniRuntime that runs the real plugin binary against it.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CoreV1Api, KubeConfig, type V1Pod } from '@kubernetes/client-node';
import { startCloudSim, type CloudSim, type CloudSimOptions } from '../cloud/index.js';
import { startKubeSim, type KubeSim } from '../kube/server.js';
import { AgentProcess } from './agent-process.js';
import { CniRuntime, type SandboxRef } from './cni-runtime.js';
import { freeLoopbackPort } from './free-port.js';
import { Kubectl } from './kubectl.js';
import { createFromFile, objectApi } from './apply.js';

export const PODEIP_CRD = fileURLToPath(
  new URL('../../../manifests/crd/podeips.alibabacloud.com.yaml', import.meta.url),
);
export const CLUSTER_ID = 'c-sim';

export interface SimulatedClusterOptions {
  dir: string;
  nodes?: number;
  cloud?: CloudSimOptions;
  /** Config keys merged over the defaults for every agent. */
  agentConfig?: Record<string, unknown>;
  /** Extra environment per node index (e.g. PODEIP_FAILPOINTS). */
  agentEnv?: (nodeIndex: number) => Record<string, string>;
  /** false: start without the PodEIP CRD (applyCrd() later). */
  applyCrd?: boolean;
}

export interface PodRequest {
  name: string;
  namespace?: string;
  annotations?: Record<string, string>;
  owner?: { apiVersion: string; kind: string; name: string; uid: string };
}

export class SimNode {
  private nextIp = 1;

  constructor(
    readonly name: string,
    readonly instanceId: string,
    readonly privateIps: string[],
    readonly agent: AgentProcess,
    readonly runtime: CniRuntime,
  ) {}

  /**
   * The next private IP of this node's ENIs (the primary ENI's primary IP is the node's own).
   * Like host-local, addresses come round again once the range is used up: a caller keeps fewer
   * live pods on a node than it has addresses.
   */
  takeIp(): string {
    if (this.nextIp >= this.privateIps.length) this.nextIp = 1;
    const ip = this.privateIps[this.nextIp++];
    if (!ip) throw new Error(`node ${this.name} has no private IP besides its own`);
    return ip;
  }
}

export class SimulatedCluster {
  private constructor(
    readonly dir: string,
    readonly cloud: CloudSim,
    readonly kube: KubeSim,
    readonly kubectl: Kubectl,
    readonly core: CoreV1Api,
    readonly nodes: SimNode[],
  ) {}

  static async start(options: SimulatedClusterOptions): Promise<SimulatedCluster> {
    await mkdir(options.dir, { recursive: true });
    const cloud = await startCloudSim({ associationDelayMs: 200, ...options.cloud });
    const kube = await startKubeSim({ kubeconfigPath: join(options.dir, 'kubeconfig') });
    const kubectl = new Kubectl(kube.kubeconfigPath, () => {});
    if (options.applyCrd !== false) await createFromFile(objectApi(kube.kubeconfigPath), PODEIP_CRD);
    const kubeConfig = new KubeConfig();
    kubeConfig.loadFromFile(kube.kubeconfigPath);
    const core = kubeConfig.makeApiClient(CoreV1Api);

    const count = options.nodes ?? 1;
    const nodes: SimNode[] = [];
    for (let index = 0; index < count; index++) {
      const instance = cloud.topology.instances[index];
      if (!instance)
        throw new Error(`the cloud topology has ${cloud.topology.instances.length} instances; ${count} nodes asked`);
      const name = `sim-node-${index + 1}`;
      await core.createNode({
        body: { metadata: { name }, spec: { providerID: `${cloud.regionId}.${instance.instanceId}` } },
      });
      const metadataEndpoint = await cloud.startMetadata({ instanceId: instance.instanceId });
      const metricsPort = await freeLoopbackPort();
      const nodeDir = join(options.dir, name);
      await mkdir(nodeDir, { recursive: true });
      const socketPath = join(nodeDir, 'run', 'agent.sock');
      const agent = new AgentProcess({
        config: mergeDeep(
          {
            clusterID: CLUSTER_ID,
            regionID: cloud.regionId,
            vpcID: cloud.topology.vpcs[0]!.vpcId,
            credential: { accessKey: cloud.accessKeyId, accessSecret: cloud.accessKeySecret },
            networkController: { eipController: { maxConcurrentReconciles: 8, garbageCollectionPeriodInMinutes: 1 } },
            agent: {
              socketPath,
              stateDir: join(nodeDir, 'state'),
              metricsListen: `127.0.0.1:${metricsPort}`,
              logLevel: 'debug',
            },
            // The agent knows the simulated account's quota as an operator would configure it.
            cloud: {
              vpcEndpoint: cloud.endpoint,
              ecsEndpoint: cloud.endpoint,
              protocol: 'http',
              metadataEndpoint: `http://${metadataEndpoint}`,
              eipQuota: Math.max(1, cloud.state.eipQuota),
            },
          },
          options.agentConfig ?? {},
        ),
        configFile: join(nodeDir, 'config.yaml'),
        logFile: join(nodeDir, 'agent.log'),
        nodeName: name,
        kubeconfig: kube.kubeconfigPath,
        metricsUrl: `http://127.0.0.1:${metricsPort}`,
        extraEnv: options.agentEnv?.(index) ?? {},
      });
      const ips = instance.networkInterfaces.flatMap((eni) => eni.privateIpAddresses);
      nodes.push(new SimNode(name, instance.instanceId, ips, agent, new CniRuntime({ socketPath })));
    }
    return new SimulatedCluster(options.dir, cloud, kube, kubectl, core, nodes);
  }

  async applyCrd(): Promise<void> {
    await createFromFile(objectApi(this.kube.kubeconfigPath), PODEIP_CRD);
  }

  async startAgents(): Promise<void> {
    await Promise.all(this.nodes.map((node) => node.agent.start()));
  }

  /** Creates the Pod object kubelet would find, scheduled to `node`; returns the sandbox to run. */
  async createPod(node: SimNode, request: PodRequest): Promise<SandboxRef> {
    const namespace = request.namespace ?? 'default';
    const body: V1Pod = {
      metadata: {
        name: request.name,
        namespace,
        annotations: request.annotations ?? {},
        ...(request.owner ? { ownerReferences: [{ ...request.owner, controller: true }] } : {}),
      },
      spec: { nodeName: node.name, containers: [{ name: 'app', image: 'app' }] },
    };
    const created = await this.core.createNamespacedPod({ namespace, body });
    return {
      namespace,
      name: request.name,
      uid: created.metadata!.uid!,
      containerId: randomContainerId(),
      ipv4: node.takeIp(),
      annotations: request.annotations ?? {},
    };
  }

  /** What kubelet reports once the sandbox runs: phase Running and the pod IP. */
  async reportRunning(sandbox: SandboxRef): Promise<void> {
    const status = { status: { phase: 'Running', podIP: sandbox.ipv4, podIPs: [{ ip: sandbox.ipv4 }] } };
    await this.kubectl.run([
      '-n',
      sandbox.namespace,
      'patch',
      'pod',
      sandbox.name,
      '--subresource=status',
      '--type=merge',
      '-p',
      JSON.stringify(status),
    ]);
  }

  async deletePod(namespace: string, name: string): Promise<void> {
    await this.core.deleteNamespacedPod({ namespace, name, gracePeriodSeconds: 0 });
  }

  async close(): Promise<void> {
    await Promise.all(this.nodes.map((node) => node.agent.stop()));
    await this.kube.close();
    await this.cloud.close();
  }
}

function randomContainerId(): string {
  return Array.from({ length: 64 }, () => Math.floor(Math.random() * 16).toString(16)).join('');
}

function mergeDeep(base: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(over)) {
    const current = out[key];
    out[key] = isPlainObject(current) && isPlainObject(value) ? mergeDeep(current, value) : value;
  }
  return out;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
