/**
 * Everything around the runtime that makes our node a podeip node: the cloud simulator (whose
 * topology gives our ECS instance ENIs holding exactly the pod IPs host-local hands out), the
 * Kubernetes simulator with the PodEIP CRD and our Node, the agent, and the plugin put in place
 * by our own installer.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { AgentProcess } from './agent-process.js';
import type { CleanupStack } from './cleanup.js';
import { type E2eNode, podRangeIps } from './e2e-node.js';
import type { PodSpec } from './pods.js';
import { run } from './proc.js';
import { CloudSimProcess, KubeSimProcess, REPO_ROOT, writeJson } from './sims.js';

export const NODE_NAME = 'podeip-e2e-node';
export const INSTANCE_ID = 'i-podeipe2e0001';
export const REGION_ID = 'cn-hangzhou';
export const VPC_ID = 'vpc-podeipe2e0001';
export const CLUSTER_ID = 'c-podeip-e2e';
const VSWITCH_ID = 'vsw-podeipe2e0001';
const ACCESS_KEY_ID = 'podeip-e2e-ak';
const ACCESS_KEY_SECRET = 'podeip-e2e-secret';
/** Enough for every scenario; the quota scenario lowers it at runtime. */
export const EIP_QUOTA = 20;

const PLUGIN_BINARY = join(REPO_ROOT, 'dist', 'bin', 'podeip');
const PODEIP_AGENT = join(REPO_ROOT, 'bin', 'podeip-agent');
const CRD_MANIFEST = join(REPO_ROOT, 'manifests', 'crd', 'podeips.alibabacloud.com.yaml');

/** An ENI holds at most 50 private IPs: its primary plus 49 secondaries. */
const SECONDARY_IPS_PER_ENI = 49;

/**
 * The node's instance: two ENIs whose secondary IPs are exactly host-local's range, so every
 * pod IP the bridge hands out exists on one of them.
 */
export function nodeTopology(): object {
  const podIps = podRangeIps();
  if (podIps.length > 2 * SECONDARY_IPS_PER_ENI)
    throw new Error(`host-local's range (${podIps.length} IPs) does not fit on two ENIs`);
  return {
    regionId: REGION_ID,
    vpcs: [{ vpcId: VPC_ID, cidrBlock: '10.244.0.0/16', name: 'podeip-e2e' }],
    vswitches: [
      {
        vSwitchId: VSWITCH_ID,
        vpcId: VPC_ID,
        zoneId: 'cn-hangzhou-h',
        cidrBlock: '10.244.77.0/24',
        name: 'podeip-e2e',
      },
    ],
    instances: [
      {
        instanceId: INSTANCE_ID,
        vSwitchId: VSWITCH_ID,
        hostname: NODE_NAME,
        networkInterfaces: [
          {
            networkInterfaceId: 'eni-podeipe2e0001',
            type: 'Primary',
            macAddress: '00:16:3e:77:00:01',
            privateIpAddresses: ['10.244.77.250', ...podIps.slice(0, SECONDARY_IPS_PER_ENI)],
          },
          {
            networkInterfaceId: 'eni-podeipe2e0002',
            type: 'Secondary',
            macAddress: '00:16:3e:77:00:02',
            privateIpAddresses: ['10.244.77.251', ...podIps.slice(SECONDARY_IPS_PER_ENI)],
          },
        ],
      },
    ],
  };
}

export interface OwnerReference {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  controller: boolean;
}

export class Stack {
  private constructor(
    readonly node: E2eNode,
    readonly cloud: CloudSimProcess,
    readonly kube: KubeSimProcess,
    readonly agent: AgentProcess,
  ) {}

  static async start(node: E2eNode, cleanup: CleanupStack): Promise<Stack> {
    const dir = join(node.tmpDir, 'stack');
    mkdirSync(dir, { recursive: true });
    const cloud = await CloudSimProcess.start(
      {
        topologyFile: writeJson(join(dir, 'topology.json'), nodeTopology()),
        metadataInstanceId: INSTANCE_ID,
        accessKeyId: ACCESS_KEY_ID,
        accessKeySecret: ACCESS_KEY_SECRET,
        eipQuota: EIP_QUOTA,
        // Long enough that an agent answering ADD before the EIP is InUse is caught at return.
        associationDelayMs: 500,
      },
      join(dir, 'cloud-sim.log'),
    );
    cleanup.add('cloud simulator', () => cloud.daemon.stop());
    const kube = await KubeSimProcess.start(dir);
    cleanup.add('kube simulator', () => kube.daemon.stop());

    await kube.applyFile(CRD_MANIFEST);
    await kube.applyObject({
      apiVersion: 'v1',
      kind: 'Node',
      metadata: { name: NODE_NAME, labels: { 'kubernetes.io/hostname': NODE_NAME } },
      spec: { providerID: `${REGION_ID}.${INSTANCE_ID}` },
    });

    const agent = new AgentProcess({
      nodeName: NODE_NAME,
      kubeconfig: kube.kubeconfig,
      clusterId: CLUSTER_ID,
      regionId: REGION_ID,
      vpcId: VPC_ID,
      accessKeyId: ACCESS_KEY_ID,
      accessKeySecret: ACCESS_KEY_SECRET,
      cloudEndpoint: cloud.endpoint,
      metadataEndpoint: cloud.metadataEndpoint,
      socketPath: join(dir, 'agent', 'agent.sock'),
      stateDir: join(dir, 'agent-state'),
      configFile: join(dir, 'agent.yaml'),
      logFile: join(dir, 'agent.log'),
    });
    cleanup.add('podeip-agent', () => agent.stop());
    await agent.start();

    const stack = new Stack(node, cloud, kube, agent);
    await stack.installPlugin();
    return stack;
  }

  /** Our installer (the init container's job) chains podeip into the bridge conflist. */
  async installPlugin(): Promise<void> {
    await run(process.execPath, this.installerCommand());
    await this.node.waitChain(['bridge', 'podeip']);
  }

  /** `podeip-agent install-cni` with this node's dirs, as node argv (add --watch for the sidecar). */
  installerCommand(): string[] {
    return [
      PODEIP_AGENT,
      'install-cni',
      '--bin-dir',
      this.node.cniBinDir,
      '--conf-dir',
      this.node.cniConfDir,
      '--plugin',
      PLUGIN_BINARY,
      '--socket-path',
      this.agent.settings.socketPath,
      '--log-file',
      join(this.node.tmpDir, 'stack', 'podeip-plugin.log'),
    ];
  }

  /**
   * The pod object as the API server holds it once the scheduler placed it on our node; its
   * uid (the server's) is what kubelet passes in the sandbox metadata.
   */
  async createPod(
    namespace: string,
    name: string,
    annotations: Record<string, string>,
    owner?: OwnerReference,
  ): Promise<PodSpec> {
    const created = await this.kube.createPod({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name, namespace, annotations, ...(owner ? { ownerReferences: [owner] } : {}) },
      spec: { nodeName: NODE_NAME, containers: [{ name: 'app', image: 'podeip.local/e2e/app:1' }] },
    });
    return { namespace, name, uid: created.metadata!.uid!, annotations };
  }
}
