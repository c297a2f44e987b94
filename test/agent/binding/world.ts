/**
 * A node's world for binding tests: the real cloud simulator behind the real CloudClient (the
 * official SDK over HTTP), the real Kubernetes simulator behind the real KubeGateway
 * (client-node; the PodEIP CRD applied with kubectl), a journal in a temp dir, and the service.
 */
import type { ExecutionContext } from 'ava';
import { bindingMark, ownershipTags, TAG_BINDING } from '../../../agent/src/domain/ownership.js';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CoreV1Api, KubeConfig, type V1Pod } from '@kubernetes/client-node';
import { Registry } from 'prom-client';
import { testKubectl } from '../../../lib/host-tools.js';
import { startCloudSim, type CloudSim, type CloudSimOptions } from '../../../sim/cloud/index.js';
import { startKubeSim, type KubeSim } from '../../../sim/kube/server.js';
import { createCloudClient, type ClosableCloudClient } from '../../../agent/src/cloud/client.js';
import type { CloudClient } from '../../../agent/src/cloud/types.js';
import { createKubeGateway, type ClosableKubeGateway } from '../../../agent/src/kube/index.js';
import { createLogger, silentLogger } from '../../../agent/src/log/logger.js';
import { Journal } from '../../../agent/src/store/journal.js';
import { BindingService, type BindingConfig } from '../../../agent/src/binding/service.js';
import type { AttachRequest, DetachRequest } from '../../../lib/agent-proto.js';
import { EipQuota } from '../../../agent/src/quota/eip-quota.js';
import { WarmPool, type WarmPoolConfig } from '../../../agent/src/pool/warm-pool.js';

const CRD = fileURLToPath(new URL('../../../../manifests/crd/podeips.alibabacloud.com.yaml', import.meta.url));
export const NODE = 'node-1';
export const INSTANCE = 'i-bp1podeipsim0001';
export const VPC = 'vpc-bp1podeipsim0001';
export const CLUSTER = 'c-test';
/** Secondary IPs of the default topology's first instance (its primary ENI holds .11-.20, .11 primary). */
export const ip = (n: number) => `192.168.0.${20 + n}`;

export interface World {
  cloudSim: CloudSim;
  kubeSim: KubeSim;
  cloud: ClosableCloudClient;
  kube: ClosableKubeGateway;
  core: CoreV1Api;
  stateDir: string;
  journal: Journal;
  service: BindingService;
  registry: Registry;
  config: BindingConfig;
  /** The quota view (counted once at start, as the agent does). */
  quota: EipQuota;
  /** The warm pool, when `pool` was given. */
  pool: WarmPool | undefined;
  /** Stops the service and opens a new one on the same journal file (a restarted agent). */
  restart(): Promise<BindingService>;
}

export interface WorldOptions {
  cloud?: CloudSimOptions;
  config?: Partial<BindingConfig>;
  /** Do not start the service (tests that seed the journal first). */
  noStart?: boolean;
  /** Puts an observer between the service and the real client (e.g. to count calls in flight). */
  wrapCloud?: (cloud: CloudClient) => CloudClient;
  /** config cloud.eipQuota; default 20. */
  eipQuota?: number;
  /**
   * Runs a warm pool with these settings (over defaults minIdle 2, maxIdle 4, maxTotal 50, quotaReserve 0;
   * no GC leader here, so it lists the cluster's pool EIPs at once: listingWaitMs 0).
   */
  pool?: Partial<WarmPoolConfig>;
}

export async function startWorld(t: ExecutionContext, options: WorldOptions = {}): Promise<World> {
  const cloudSim = await startCloudSim({ associationDelayMs: 30, rateLimits: 'off', ...options.cloud });
  t.teardown(() => cloudSim.close());
  const kubeSim = await startKubeSim();
  t.teardown(() => kubeSim.close());
  // Async: the simulator answers kubectl from this very process.
  await promisify(execFile)(testKubectl(), ['--kubeconfig', kubeSim.kubeconfigPath, 'apply', '-f', CRD]);

  const cloudRegistry = new Registry();
  const cloud = createCloudClient(
    {
      regionId: cloudSim.regionId,
      vpcId: VPC,
      protocol: 'http',
      endpoints: { vpcEndpoint: cloudSim.endpoint, ecsEndpoint: cloudSim.endpoint },
      credentials: { type: 'access_key', accessKeyId: cloudSim.accessKeyId, accessKeySecret: cloudSim.accessKeySecret },
      pollIntervalMs: 25,
      backoff: { baseMs: 10, maxMs: 50 },
    },
    { logger: silentLogger, registry: cloudRegistry },
  );
  t.teardown(() => cloud.close());
  // Load the SDK now: on a busy machine its first import takes seconds, which would eat the deadlines tests set.
  await cloud.preload();
  const kube = createKubeGateway(
    { nodeName: NODE, kubeconfig: kubeSim.kubeconfigPath, qps: 1000, burst: 1000 },
    { logger: silentLogger, registry: cloudRegistry },
  );
  t.teardown(() => kube.close());
  await kube.pods.start();
  const kc = new KubeConfig();
  kc.loadFromFile(kubeSim.kubeconfigPath);
  const core = kc.makeApiClient(CoreV1Api);

  const stateDir = mkdtempSync(join(tmpdir(), 'podeip-binding-'));
  const journal = Journal.open(stateDir);
  t.teardown(() => journal.close());
  const config: BindingConfig = {
    clusterId: CLUSTER,
    regionId: cloudSim.regionId,
    vpcId: VPC,
    nodeName: NODE,
    instanceId: INSTANCE,
    maxConcurrentReconciles: 4,
    customStatefulWorkloadKinds: ['GameServerSet'],
    allowEipRob: false,
    // These suites test the binding mechanics; grants (the default Granted policy) are test/security's.
    staticEipPolicy: 'AllowAll',
    takeoverAfterMs: 3000,
    ...options.config,
  };
  const make = async () => {
    const registry = new Registry();
    const logger = process.env['PODEIP_TEST_LOG']
      ? createLogger({ level: 'debug', stream: process.stderr })
      : silentLogger;
    const serviceCloud = options.wrapCloud ? options.wrapCloud(cloud) : cloud;
    const quota = new EipQuota({ quota: options.eipQuota ?? 20, regionId: cloudSim.regionId, registry });
    const listedAt = Date.now();
    quota.observe({ eips: await cloud.countEips(), listedAt });
    const pool = options.pool
      ? new WarmPool({
          journal,
          cloud: serviceCloud,
          logger,
          registry,
          quota,
          config: {
            clusterId: CLUSTER,
            nodeName: NODE,
            minIdle: 2,
            maxIdle: 4,
            maxTotal: 50,
            quotaReserve: 0,
            recycle: true,
            profile: { internetChargeType: 'PayByTraffic' },
            tickMs: 100,
            listingWaitMs: 0,
            ...options.pool,
          },
        })
      : undefined;
    const service = new BindingService({
      journal,
      cloud: serviceCloud,
      kube,
      logger,
      registry,
      config,
      retryIntervalMs: 60_000,
      quota,
      ...(pool ? { pool } : {}),
    });
    return { registry, quota, pool, service };
  };
  const world: World = {
    cloudSim,
    kubeSim,
    cloud,
    kube,
    core,
    stateDir,
    journal,
    config,
    ...(await make()),
    async restart() {
      await world.service.stop();
      await world.pool?.stop();
      Object.assign(world, await make());
      await world.service.start();
      await world.pool?.start();
      return world.service;
    },
  };
  t.teardown(async () => {
    await world.service.stop();
    await world.pool?.stop();
  });
  if (!options.noStart) {
    await world.service.start();
    await world.pool?.start();
  }
  return world;
}

export interface PodSpec {
  name: string;
  namespace?: string;
  annotations?: Record<string, string>;
  owner?: { kind: string; name: string };
}

export async function createPod(w: World, spec: PodSpec): Promise<V1Pod> {
  const namespace = spec.namespace ?? 'default';
  const pod = await w.core.createNamespacedPod({
    namespace,
    body: {
      metadata: {
        name: spec.name,
        namespace,
        annotations: spec.annotations ?? {},
        ...(spec.owner
          ? {
              ownerReferences: [
                {
                  apiVersion: 'apps/v1',
                  kind: spec.owner.kind,
                  name: spec.owner.name,
                  uid: `owner-${spec.owner.name}`,
                  controller: true,
                },
              ],
            }
          : {}),
      },
      spec: { nodeName: NODE, containers: [{ name: 'main', image: 'nginx' }] },
    },
  });
  await until(
    () => w.kube.pods.cached(namespace, spec.name)?.uid === pod.metadata!.uid,
    `pod ${spec.name} in the informer`,
  );
  return pod;
}

/** Graceful delete: the pod stays, terminating, until `removePod`. */
export async function terminatePod(w: World, name: string, namespace = 'default'): Promise<void> {
  await w.core.deleteNamespacedPod({ name, namespace, gracePeriodSeconds: 30 });
  await until(() => w.kube.pods.cached(namespace, name)?.deletionTimestamp !== undefined, `pod ${name} terminating`);
}

export async function removePod(w: World, name: string, namespace = 'default'): Promise<void> {
  await w.core.deleteNamespacedPod({ name, namespace, gracePeriodSeconds: 0 });
  await until(() => w.kube.pods.cached(namespace, name) === undefined, `pod ${name} gone from the informer`);
}

export function attachReq(
  pod: V1Pod,
  containerId: string,
  podIpv4: string,
  annotations?: Record<string, string>,
): AttachRequest {
  return {
    clientVersion: '0.1.0',
    pod: { namespace: pod.metadata!.namespace!, name: pod.metadata!.name!, uid: pod.metadata!.uid! },
    sandbox: { containerId, netns: `/var/run/netns/${containerId}`, ifname: 'eth0' },
    podIpv4,
    podAnnotations: annotations ?? {},
    podAnnotationsKnown: annotations !== undefined,
  };
}

export function detachReq(pod: V1Pod, containerId: string, netns = `/var/run/netns/${containerId}`): DetachRequest {
  return {
    clientVersion: '0.1.0',
    pod: { namespace: pod.metadata!.namespace!, name: pod.metadata!.name!, uid: pod.metadata!.uid! },
    sandbox: { containerId, netns, ifname: 'eth0' },
    podIpv4: '',
  };
}

export const never = () => new AbortController().signal;

/** The cloud as the simulator holds it. */
export function eips(w: World) {
  return w.cloudSim.state.snapshot().eips;
}

export function allocateCalls(w: World): number {
  const calls = w.cloudSim.state.snapshot().calls['AllocateEipAddress'] ?? {};
  return Object.values(calls).reduce((a, b) => a + b, 0);
}

export async function until(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Released EIPs pass through Releasing before they disappear. */
export async function allReleased(w: World): Promise<void> {
  await until(() => eips(w).length === 0, 'every EIP released');
}

/**
 * A fixed EIP an earlier agent allocated for default/<podName> (uid `uid-<podName>-old`) and bound,
 * with podeip's binding mark, to 192.168.0.52 on another instance's ENI; its PodEIP (TTL 10m) names it.
 */
export async function earlierIncarnationEip(w: World, podName: string): Promise<string> {
  const boundIp = '192.168.0.52';
  const { allocationId } = await w.cloud.allocateEip({
    clientToken: `earlier-agent-${podName}`,
    tags: {
      ...ownershipTags({
        clusterId: CLUSTER,
        namespace: 'default',
        podName,
        podUid: `uid-${podName}-old`,
        node: 'node-gone',
      }),
      [TAG_BINDING]: bindingMark(CLUSTER, 'default', podName, boundIp),
    },
  });
  await w.cloud.associateEip({ allocationId, networkInterfaceId: 'eni-bp1podeipsim021', privateIpAddress: boundIp });
  await w.cloud.waitForEip(allocationId, (e) => e?.status === 'InUse');
  await w.kube.createPodEip(
    'default',
    podName,
    {
      allocationID: allocationId,
      allocationType: { type: 'Auto', releaseStrategy: 'TTL', releaseAfter: '10m' },
    },
    { 'podeip.io/pod-uid': `uid-${podName}-old` },
  );
  return allocationId;
}
