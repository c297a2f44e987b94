/**
 * podeip-agent: wires the parts by plain constructors, in the order a node needs them.
 * The gRPC socket is served early (the plugin then gets "not ready, try again" rather than
 * "connection refused"), and readiness waits for the journal to be resumed and pods synced.
 */
import type { Registry } from 'prom-client';
import { PodeipError } from '../../lib/errors.js';
import { loadConfigFile, type AgentConfig } from './config/load.js';
import { createLogger, type Logger } from './log/logger.js';
import { AgentMetrics, createRegistry } from './metrics/agent-metrics.js';
import { MetadataClient, instanceIdFromProviderId } from './metadata/client.js';
import { createKubeGateway, type ClosableKubeGateway } from './kube/index.js';
import { createCloudClient, type ClosableCloudClient } from './cloud/index.js';
import { acquireStateDirLock, type StateDirLock } from './store/state-dir-lock.js';
import { JournalHealth } from './store/journal-health.js';
import { openJournal, whenWritable } from './store/open-journal.js';
import { BindingService } from './binding/service.js';
import { AgentGrpcServer, AgentNotReadyError, type BindingApi } from './server/grpc-server.js';
import { AgentHttpServer } from './server/http-server.js';
import { ClusterDuties } from './gc/cluster-duties.js';
import { AGENT_VERSION } from './version.js';
import { EIP_COUNT_ANNOTATION, EipQuota } from './quota/eip-quota.js';
import { WarmPool } from './pool/warm-pool.js';
import { componentsFromConfig } from './wiring.js';
import { errorText } from '../../lib/error-text.js';

export { GC_LEASE_NAME } from './wiring.js';

export class StartupError extends PodeipError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('StartupFailed', message, options);
  }
}

export interface RunningAgent {
  readonly metricsAddress: { host: string; port: number };
  readonly socketPath: string;
  stop(): Promise<void>;
}

export async function runAgent(options: {
  configPath: string;
  env: NodeJS.ProcessEnv;
  handleSignals?: boolean;
}): Promise<RunningAgent> {
  const config = await loadConfigFile(options.configPath);
  const nodeName = options.env.NODE_NAME?.trim();
  if (!nodeName)
    throw new StartupError(
      'NODE_NAME is not set: give the agent its node name from the downward API (fieldRef spec.nodeName)',
    );
  const logger = createLogger({ level: config.agent.logLevel, fields: { node: nodeName } });
  const agent = await startAgent(config, { nodeName, env: options.env, logger });
  if (options.handleSignals !== false) {
    const shutdown = (signal: string): void => {
      logger.info('shutting down', { signal });
      agent.stop().then(
        () => process.exit(0),
        (err: unknown) => {
          logger.error('shutdown failed', { err: String(err) });
          process.exit(1);
        },
      );
    };
    process.once('SIGTERM', () => shutdown('SIGTERM'));
    process.once('SIGINT', () => shutdown('SIGINT'));
  }
  return agent;
}

export interface AgentEnvironment {
  nodeName: string;
  env: NodeJS.ProcessEnv;
  logger: Logger;
  registry?: Registry;
}

export async function startAgent(config: AgentConfig, environment: AgentEnvironment): Promise<RunningAgent> {
  const { nodeName, env, logger } = environment;
  const registry = environment.registry ?? createRegistry();
  const parts = componentsFromConfig(config, { nodeName, env });
  const closers: Array<() => Promise<void> | void> = [];
  const closeAll = async (): Promise<void> => {
    for (const close of closers.reverse()) {
      try {
        await close();
      } catch (err) {
        logger.warn('close failed', { err: String(err) });
      }
    }
  };
  try {
    if (config.staticEipPolicy === 'AllowAll') {
      logger.warn(
        'staticEipPolicy is AllowAll: any pod may name any EIP of the account with pod-eip-instanceid; use Granted on clusters shared by tenants',
      );
    }
    let bindings: BindingService | undefined;
    let ready = false;
    let journalHealth: JournalHealth | undefined;
    let notReadyReason: string | undefined;
    const isReady = (): boolean => ready && journalHealth !== undefined && journalHealth.writable();
    const readiness = { isReady, notReadyReason: () => (ready ? undefined : notReadyReason) };
    // Up first, so that a state dir that cannot be written leaves the agent live and not ready
    // (and saying why in its log) rather than crash-looping.
    const httpServer = new AgentHttpServer(registry, { isLive: () => true, ...readiness });
    const metricsAddress = await httpServer.listen(config.agent.metricsListen);
    closers.push(() => httpServer.close());
    const stopping = new AbortController();
    closers.push(() => stopping.abort());

    const lock: StateDirLock = await whenWritable(
      () => acquireStateDirLock(config.agent.stateDir),
      logger,
      stopping.signal,
      parts.retry.journalOpen.retryMs,
    );
    closers.push(() => lock.release());

    const instanceId = await new MetadataClient(config.cloud.metadataEndpoint, parts.retry.metadata).instanceId();
    const kube: ClosableKubeGateway = createKubeGateway(parts.kube, { logger, registry, env });
    closers.push(() => kube.close());
    await checkProviderId(kube, nodeName, instanceId);

    // One elector for the cluster duties; the fleet budget's plan and the quota count ride on its Lease.
    const elector = kube.createLeaderElector(parts.elector);
    const { fleet } = parts;
    const cloud: ClosableCloudClient = createCloudClient(
      {
        ...parts.cloud,
        ...(fleet.intervalMs > 0
          ? {
              fleet: {
                board: kube.createDemandBoard(fleet.leaseNamespace, fleet.intervalMs),
                isLeader: () => elector.isLeader(),
                nodeName,
                intervalMs: fleet.intervalMs,
                accountReserve: fleet.accountReserve,
              },
            }
          : {}),
      },
      { logger, registry },
    );
    closers.push(() => cloud.close());

    const quota = new EipQuota({
      quota: config.cloud.eipQuota,
      regionId: config.regionID,
      registry,
      published: () => elector.annotation(EIP_COUNT_ANNOTATION),
    });

    let pool: WarmPool | undefined;
    const capacity = () => ({
      quota: { quota: quota.quota, used: quota.used() ?? -1 },
      pool: {
        enabled: pool !== undefined,
        ...(pool?.status() ?? { idle: 0, taking: 0, takenSinceStart: 0, refilling: 0, returning: 0, releasing: 0 }),
        minIdle: config.warmPool.minIdle,
        maxIdle: config.warmPool.maxIdle,
      },
    });
    // The socket's gate is start-up only: once serving, a journal that cannot be written answers
    // each call with JournalUnwritable, which says why, rather than "the agent is starting".
    const grpcServer = new AgentGrpcServer(
      lateBound(() => bindings, readiness.notReadyReason),
      {
        agentVersion: AGENT_VERSION,
        nodeName,
        instanceId,
        isReady: () => ready,
        notReadyReason: readiness.notReadyReason,
        capacity,
      },
      new AgentMetrics(registry),
      logger,
    );
    await grpcServer.listen(config.agent.socketPath);
    closers.push(() => grpcServer.close());
    await waitForPodEipCrd(kube, logger, stopping.signal, parts.retry.crdWait.intervalMs, (reason) => {
      notReadyReason = reason;
    });

    const { journal } = await openJournal(
      config.agent.stateDir,
      logger,
      stopping.signal,
      parts.retry.journalOpen.retryMs,
    );
    closers.push(() => journal.close());
    journalHealth = new JournalHealth(journal, logger, parts.retry.journalOpen.retryMs);
    journalHealth.start();
    closers.push(() => journalHealth.stop());

    if (parts.pool) pool = new WarmPool({ journal, cloud, logger, registry, quota, config: parts.pool });
    const service = new BindingService({
      journal,
      cloud,
      kube,
      logger,
      registry,
      quota,
      ...(pool ? { pool } : {}),
      retryIntervalMs: parts.reconcileIntervalMs,
      config: { ...parts.binding, instanceId },
    });
    closers.push(() => service.stop());
    await kube.pods.start();
    await service.start();
    await service.reconciled();
    bindings = service;
    ready = true;
    // Loading the cloud SDK is a third of start-up's CPU. It starts once ready rather than before:
    // a pod's ADD that comes first waits for the import in flight, where before readiness it was
    // refused and retried by the kubelet seconds later. Rows resumed above loaded it already.
    cloud.preload().then(
      () => countEipsOnce(cloud, quota, logger),
      (err: unknown) =>
        logger.warn('loading the cloud SDK failed; the first cloud call tries again', { err: String(err) }),
    );
    if (pool) {
      const started = pool;
      closers.push(() => started.stop());
      started
        .start()
        .catch((err: unknown) =>
          logger.warn('warm pool start failed; its periodic pass retries', { err: String(err) }),
        );
    }

    const duties = new ClusterDuties({
      kube,
      cloud,
      logger,
      registry,
      elector,
      ...parts.duties,
    });
    duties.start();
    closers.push(() => duties.stop());

    logger.info('podeip-agent ready', {
      version: AGENT_VERSION,
      instanceId,
      socket: config.agent.socketPath,
      metrics: `${metricsAddress.host}:${metricsAddress.port}`,
    });
    return {
      metricsAddress,
      socketPath: config.agent.socketPath,
      async stop() {
        ready = false;
        await closeAll();
      },
    };
  } catch (err) {
    await closeAll();
    throw err;
  }
}

/** The quota view's first count; the GC leader's listing keeps it current from then on. */
function countEipsOnce(cloud: ClosableCloudClient, quota: EipQuota, logger: Logger): void {
  const listedAt = Date.now();
  cloud.countEips(AbortSignal.timeout(30_000)).then(
    (eips) => quota.observe({ eips, listedAt }),
    (err: unknown) =>
      logger.warn("could not count the account's EIPs; the quota check waits for the GC leader's listing", {
        err: errorText(err),
      }),
  );
}

export const CRD_MISSING =
  'the PodEIP CRD podeips.alibabacloud.com is not served by the API server: apply it with `kubectl apply -f manifests/crd/podeips.alibabacloud.com.yaml` (docs/install.md)';

/** Nothing can be bound without the PodEIP resource: wait for it, saying why on /readyz, to the plugin and in the log. */
async function waitForPodEipCrd(
  kube: ClosableKubeGateway,
  logger: Logger,
  signal: AbortSignal,
  intervalMs: number,
  setReason: (reason: string | undefined) => void,
): Promise<void> {
  let warned = 0;
  while (!(await kube.podEipResourceServed(signal))) {
    setReason(CRD_MISSING);
    if (Date.now() - warned > 60_000) {
      logger.warn(`not ready: ${CRD_MISSING}`, { crd: 'podeips.alibabacloud.com' });
      warned = Date.now();
    }
    await delay(intervalMs, signal);
  }
  if (warned) logger.info('the PodEIP CRD is served', { crd: 'podeips.alibabacloud.com' });
  setReason(undefined);
}

function delay(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', abort);
      resolve();
    }, ms);
    const abort = (): void => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    signal.addEventListener('abort', abort, { once: true });
  });
}

async function checkProviderId(kube: ClosableKubeGateway, nodeName: string, instanceId: string): Promise<void> {
  const providerId = await kube.nodeProviderId(nodeName);
  if (!providerId) return;
  const fromNode = instanceIdFromProviderId(providerId);
  if (fromNode && fromNode !== instanceId) {
    throw new StartupError(
      `node ${nodeName} has providerID ${providerId} but the instance metadata says ${instanceId}: NODE_NAME or cloud.metadataEndpoint points at the wrong machine`,
    );
  }
}

/** The gRPC server is up before the binding service exists; until then every call is "not ready". */
function lateBound(current: () => BindingApi | undefined, notReadyReason: () => string | undefined): BindingApi {
  const required = (): BindingApi => {
    const api = current();
    if (!api) throw new AgentNotReadyError(notReadyReason());
    return api;
  };
  return {
    attach: (req, signal) => required().attach(req, signal),
    detach: (req, signal) => required().detach(req, signal),
    check: (req, signal) => required().check(req, signal),
    bindings: () => current()?.bindings() ?? [],
  };
}
