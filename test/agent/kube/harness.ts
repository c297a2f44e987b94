import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { CoreV1Api, KubeConfig, type V1Pod } from '@kubernetes/client-node';
import { Registry } from 'prom-client';
import { testKubectl } from '../../../lib/host-tools.js';
import {
  createKubeGateway,
  type ClosableKubeGateway,
  type KubeGatewayOptions,
} from '../../../agent/src/kube/gateway.js';
import { systemClock, type Clock } from '../../../lib/clock.js';
import { silentLogger } from '../../../agent/src/log/logger.js';
import { startKubeSim, type KubeSim, type KubeSimOptions } from '../../../sim/kube/server.js';

const run = promisify(execFile);
export const KUBECTL = testKubectl();
export const CRD_FILE = new URL('../../../../manifests/crd/podeips.alibabacloud.com.yaml', import.meta.url).pathname;

export interface Cluster {
  sim: KubeSim;
  kubeconfigPath: string;
  /** A plain client-node client acting as "the rest of the cluster" (kubelet, scheduler, users). */
  core: CoreV1Api;
  kubectl(...args: string[]): Promise<string>;
  gateway(options?: Partial<KubeGatewayOptions>, registry?: Registry, clock?: Clock): ClosableKubeGateway;
  close(): Promise<void>;
}

export async function startCluster(options: KubeSimOptions = {}): Promise<Cluster> {
  const sim = await startKubeSim(options);
  const { kubeconfigPath } = sim;
  const config = new KubeConfig();
  config.loadFromFile(kubeconfigPath);
  const gateways: ClosableKubeGateway[] = [];
  const kubectl = async (...args: string[]) => {
    const { stdout } = await run(KUBECTL, ['--kubeconfig', sim.kubeconfigPath, ...args]);
    return stdout;
  };
  await kubectl('apply', '-f', CRD_FILE);
  return {
    sim,
    kubeconfigPath,
    core: config.makeApiClient(CoreV1Api),
    kubectl,
    gateway(gatewayOptions = {}, registry = new Registry(), clock = systemClock) {
      const gateway = createKubeGateway(
        { nodeName: 'node-a', kubeconfig: kubeconfigPath, qps: 1000, burst: 1000, ...gatewayOptions },
        { logger: silentLogger, registry, env: {}, clock },
      );
      gateways.push(gateway);
      return gateway;
    },
    async close() {
      await Promise.all(gateways.map((g) => g.close()));
      await sim.close();
    },
  };
}

export function podManifest(
  name: string,
  nodeName: string,
  extra: { annotations?: Record<string, string>; namespace?: string } = {},
): V1Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: extra.namespace ?? 'default', annotations: extra.annotations },
    spec: {
      nodeName,
      containers: [{ name: 'app', image: 'nginx' }],
      readinessGates: [{ conditionType: 'k8s.aliyun.com/eip' }],
    },
  };
}

/** Polls until check() returns a value (not undefined), or fails after timeoutMs. */
export async function eventually<T>(
  check: () => T | undefined | Promise<T | undefined>,
  what: string,
  timeoutMs = 10_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
