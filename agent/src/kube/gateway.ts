import { CoordinationV1Api, CoreV1Api, CustomObjectsApi, Watch, type KubeConfig } from '@kubernetes/client-node';
import type { Registry } from 'prom-client';
import type { Logger } from '../log/logger.js';
import { systemClock, type Clock } from '../../../lib/clock.js';
import { CoreEventSink } from './event-sink.js';
import { EventRecorder, type EventRecorderOptions } from './events.js';
import { KubeOptionError } from './errors.js';
import { loadKubeConfig } from './kubeconfig.js';
import { LeaseElector, type LeaseElectorOptions } from './leader.js';
import { LeaseDemandBoard } from './demand-board.js';
import type { DemandBoard } from '../cloud/fleet-budget.js';
import { createKubeMetrics } from './metrics.js';
import { NamespaceReader } from './namespaces.js';
import { NodeReader } from './nodes.js';
import { PodEipClient } from './podeip-client.js';
import { PodInformer } from './pod-informer.js';
import { PodWriter } from './pod-writer.js';
import { KubeRequester } from './requester.js';
import { TokenBucket } from './token-bucket.js';
import type { KubeGateway, LeaderElector, PodInfo } from './types.js';
import type { RetryPolicies } from '../retry/index.js';

export interface KubeGatewayOptions {
  nodeName: string;
  /** Kubeconfig file; else KUBECONFIG, ~/.kube/config, or the in-cluster service account. */
  kubeconfig?: string;
  /** The spec's kubeClientQPS: sustained requests per second (watches excluded). */
  qps?: number;
  /** The spec's kubeClientBurst. */
  burst?: number;
  /** Event source component. */
  controllerName?: string;
  /** Server-side timeout of each pod watch before it is re-opened. */
  watchTimeoutSeconds?: number;
  /** Retry bounds of its requests and of the pod informer; default DEFAULT_RETRY_POLICIES'. */
  retry?: Pick<RetryPolicies, 'kubeWrite' | 'informerRelist'>;
  events?: Omit<EventRecorderOptions, 'component' | 'host'>;
}

export interface KubeGatewayDeps {
  logger: Logger;
  registry: Registry;
  clock?: Clock;
  env?: NodeJS.ProcessEnv;
  /** An already loaded config (wins over options.kubeconfig and the environment). */
  kubeConfig?: KubeConfig;
}

export type ElectorOptions = Omit<LeaseElectorOptions, 'identity'> & { identity?: string };

export interface ClosableKubeGateway extends KubeGateway {
  readonly pods: PodInformer;
  /** A Lease elector that shares this gateway's rate limit and metrics; identity defaults to nodeName. */
  createLeaderElector(options: ElectorOptions): LeaderElector;
  /** The fleet budget's Leases in `namespace`, sharing this gateway's rate limit and metrics. */
  createDemandBoard(namespace: string, intervalMs: number): DemandBoard;
  /** Stops its electors (releasing held leases) and the informer, and flushes queued events. */
  close(): Promise<void>;
}

export function createKubeGateway(options: KubeGatewayOptions, deps: KubeGatewayDeps): ClosableKubeGateway {
  if (!options.nodeName)
    throw new KubeOptionError('nodeName is required (set NODE_NAME from the downward API spec.nodeName)');
  const clock = deps.clock ?? systemClock;
  const config = deps.kubeConfig ?? loadKubeConfig({ kubeconfig: options.kubeconfig, env: deps.env ?? process.env });
  const logger = deps.logger.child({ component: 'kube' });
  const metrics = createKubeMetrics(deps.registry);
  const requester = new KubeRequester(
    new TokenBucket(options.qps ?? 20, options.burst ?? 40, clock),
    metrics,
    clock,
    logger,
    options.retry?.kubeWrite,
  );
  const core = config.makeApiClient(CoreV1Api);
  const custom = config.makeApiClient(CustomObjectsApi);
  const coordination = config.makeApiClient(CoordinationV1Api);

  const pods = new PodInformer(
    {
      nodeName: options.nodeName,
      watchTimeoutSeconds: options.watchTimeoutSeconds,
      ...(options.retry ? { backoff: options.retry.informerRelist } : {}),
    },
    { core, watch: new Watch(config), requester, clock, logger: logger.child({ informer: 'pods' }), metrics },
  );
  const podEips = new PodEipClient(custom, requester);
  const podWriter = new PodWriter(core, requester, clock, options.retry?.kubeWrite.conflictRetries);
  const nodes = new NodeReader(core, requester);
  const namespaces = new NamespaceReader(core, requester, clock);
  const electors: LeaderElector[] = [];
  const events = new EventRecorder(
    { ...options.events, component: options.controllerName ?? 'podeip-agent', host: options.nodeName },
    { sink: new CoreEventSink(core, requester), clock, logger, metrics },
  );

  return {
    pods,
    getPodEip: (namespace, name, signal) => podEips.get(namespace, name, signal),
    listPodEips: (signal, labelSelector) => podEips.list(signal, labelSelector),
    podEipResourceServed: (signal) => podEips.served(signal),
    createPodEip: (namespace, name, spec, labels, signal) => podEips.create(namespace, name, spec, labels, signal),
    updatePodEipStatus: (namespace, name, status, signal) => podEips.updateStatus(namespace, name, status, signal),
    deletePodEip: (namespace, name, signal) => podEips.delete(namespace, name, signal),
    removePodEipFinalizer: (namespace, name, signal) => podEips.removeFinalizer(namespace, name, signal),
    annotatePodEip: (namespace, name, annotations, signal) => podEips.annotate(namespace, name, annotations, signal),
    annotatePodAddress: (namespace, name, address, signal) =>
      podWriter.annotateAddress(namespace, name, address, signal),
    setPodEipCondition: (namespace, name, ready, reason, message, signal) =>
      podWriter.setEipCondition(namespace, name, ready, reason, message, signal),
    recordEvent: (ref, type, reason, message) => events.record(ref, type, reason, message),
    nodeProviderId: (nodeName, signal) => nodes.providerId(nodeName, signal),
    listNodeNames: (signal) => nodes.names(signal),
    namespaceAnnotations: (name, signal) => namespaces.annotations(name, signal),
    createLeaderElector(electorOptions: ElectorOptions): LeaderElector {
      const elector = new LeaseElector(
        { ...electorOptions, identity: electorOptions.identity ?? options.nodeName },
        { coordination, requester, clock, logger: logger.child({ lease: electorOptions.name }), metrics },
      );
      electors.push(elector);
      return elector;
    },
    createDemandBoard(namespace: string, intervalMs: number): DemandBoard {
      return new LeaseDemandBoard(
        { namespace, nodeName: options.nodeName, intervalMs },
        { coordination, requester, nodes },
      );
    },
    async close(): Promise<void> {
      await Promise.all(electors.map((elector) => elector.stop()));
      pods.stop();
      await pods.stopped();
      await events.close();
    },
  };
}

export type { PodInfo };
