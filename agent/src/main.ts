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
import { createCloudClient, credentialsFromConfig, type ClosableCloudClient } from './cloud/index.js';
import { acquireStateDirLock, type StateDirLock } from './store/state-dir-lock.js';
import { openJournal } from './store/open-journal.js';
import { BindingService } from './binding/service.js';
import { AgentGrpcServer, AgentNotReadyError, type BindingApi } from './server/grpc-server.js';
import { AgentHttpServer } from './server/http-server.js';
import { ClusterDuties } from './gc/cluster-duties.js';
import { AGENT_VERSION } from './version.js';

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

export async function runAgent(options: { configPath: string; env: NodeJS.ProcessEnv; handleSignals?: boolean }): Promise<RunningAgent> {
  const config = await loadConfigFile(options.configPath);
  const nodeName = options.env.NODE_NAME?.trim();
  if (!nodeName) throw new StartupError('NODE_NAME is not set: give the agent its node name from the downward API (fieldRef spec.nodeName)');
  const logger = createLogger({ level: config.agent.logLevel, fields: { node: nodeName } });
  const agent = await startAgent(config, { nodeName, env: options.env, logger });
  if (options.handleSignals !== false) {
    const shutdown = (signal: string): void => {
      logger.info('shutting down', { signal });
      agent.stop().then(() => process.exit(0), (err: unknown) => {
        logger.error('shutdown failed', { err: String(err) });
        process.exit(1);
      });
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
  const closers: Array<() => Promise<void> | void> = [];
  const closeAll = async (): Promise<void> => {
    for (const close of closers.reverse()) {
      try { await close(); } catch (err) { logger.warn('close failed', { err: String(err) }); }
    }
  };
  try {
    const lock: StateDirLock = acquireStateDirLock(config.agent.stateDir);
    closers.push(() => lock.release());

    const instanceId = await new MetadataClient(config.cloud.metadataEndpoint).instanceId();
    const kube: ClosableKubeGateway = createKubeGateway(
      { nodeName, qps: config.kubeClientQPS, burst: config.kubeClientBurst },
      { logger, registry, env },
    );
    closers.push(() => kube.close());
    await checkProviderId(kube, nodeName, instanceId);

    const gcElector = kube.createLeaderElector({ name: 'podeip-gc', namespace: config.agent.leaseNamespace, ...leaseTimings(config.agent.leaseDurationSeconds) });
    const coordinationMs = config.cloud.budgetCoordinationSeconds * 1000;
    const cloud: ClosableCloudClient = createCloudClient({
      regionId: config.regionID,
      vpcId: config.vpcID,
      endpoints: { vpcEndpoint: config.cloud.vpcEndpoint, ecsEndpoint: config.cloud.ecsEndpoint },
      protocol: config.cloud.protocol,
      credentials: credentialsFromConfig(config, env),
      ...(config.cloud.rateLimitShare === undefined ? {} : { budgetShare: config.cloud.rateLimitShare }),
      ...(coordinationMs > 0 ? {
        fleet: {
          board: kube.createDemandBoard(config.agent.leaseNamespace, coordinationMs),
          isLeader: () => gcElector.isLeader(),
          nodeName, intervalMs: coordinationMs, accountReserve: config.cloud.accountReserve,
        },
      } : {}),
    }, { logger, registry });
    closers.push(() => cloud.close());
    // Loading the SDK takes a second of CPU; do it before readiness, not inside the first pod's ADD.
    await cloud.preload();

    let bindings: BindingService | undefined;
    let ready = false;
    const grpcServer = new AgentGrpcServer(lateBound(() => bindings), { agentVersion: AGENT_VERSION, nodeName, instanceId, isReady: () => ready }, new AgentMetrics(registry), logger);
    await grpcServer.listen(config.agent.socketPath);
    closers.push(() => grpcServer.close());

    const httpServer = new AgentHttpServer(registry, { isLive: () => true, isReady: () => ready });
    const metricsAddress = await httpServer.listen(config.agent.metricsListen);
    closers.push(() => httpServer.close());

    const stopping = new AbortController();
    closers.push(() => stopping.abort());
    const { journal } = await openJournal(config.agent.stateDir, logger, stopping.signal);
    closers.push(() => journal.close());

    const service = new BindingService({
      journal, cloud, kube, logger, registry,
      config: {
        clusterId: config.clusterID,
        regionId: config.regionID,
        vpcId: config.vpcID,
        nodeName,
        instanceId,
        maxConcurrentReconciles: config.networkController.eipController.maxConcurrentReconciles,
        customStatefulWorkloadKinds: config.customStatefulWorkloadKinds,
        allowEipRob: config.allowEipRob,
      },
    });
    closers.push(() => service.stop());
    await kube.pods.start();
    await service.start();
    await service.reconciled();
    bindings = service;
    ready = true;

    const duties = new ClusterDuties({
      kube, cloud, logger, registry,
      elector: gcElector,
      clusterId: config.clusterID,
      periodMs: config.networkController.eipController.garbageCollectionPeriodInMinutes * 60_000,
      orphanGraceMs: config.agent.orphanGracePeriodMinutes * 60_000,
    });
    duties.start();
    closers.push(() => duties.stop());

    logger.info('podeip-agent ready', {
      version: AGENT_VERSION, instanceId, socket: config.agent.socketPath,
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

/** client-go's proportions (15/10/2 s): renew well before the lease lapses, retry well before the renew deadline. */
function leaseTimings(leaseDurationSeconds: number): { leaseDurationSeconds: number; renewDeadlineSeconds: number; retryPeriodSeconds: number } {
  const retryPeriodSeconds = Math.max(1, Math.floor(leaseDurationSeconds / 7));
  const renewDeadlineSeconds = Math.max(retryPeriodSeconds + 1, Math.floor(leaseDurationSeconds * 2 / 3));
  return { leaseDurationSeconds, renewDeadlineSeconds, retryPeriodSeconds };
}

async function checkProviderId(kube: ClosableKubeGateway, nodeName: string, instanceId: string): Promise<void> {
  const providerId = await kube.nodeProviderId(nodeName);
  if (!providerId) return;
  const fromNode = instanceIdFromProviderId(providerId);
  if (fromNode && fromNode !== instanceId) {
    throw new StartupError(`node ${nodeName} has providerID ${providerId} but the instance metadata says ${instanceId}: NODE_NAME or cloud.metadataEndpoint points at the wrong machine`);
  }
}

/** The gRPC server is up before the binding service exists; until then every call is "not ready". */
function lateBound(current: () => BindingApi | undefined): BindingApi {
  const required = (): BindingApi => {
    const api = current();
    if (!api) throw new AgentNotReadyError();
    return api;
  };
  return {
    attach: (req, signal) => required().attach(req, signal),
    detach: (req, signal) => required().detach(req, signal),
    check: (req, signal) => required().check(req, signal),
    bindings: () => current()?.bindings() ?? [],
  };
}
