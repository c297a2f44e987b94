/**
 * The binding service the agent wires up: the request side (requests.ts: Attach, Detach, Check,
 * Status) and the reconciler (reconciler.ts: resume after a restart, adoption, the pod watch,
 * settling rows whose pod left), over one shared runtime (runtime.ts) and one driver (driver.ts).
 *
 * Concurrency: operations on one pod (namespace/name) run one at a time; cloud calls are bounded
 * by maxConcurrentReconciles; nothing node-wide is held across a cloud call.
 */
import type { Registry } from 'prom-client';
import type {
  AttachRequest,
  AttachResponse,
  Binding,
  CheckRequest,
  CheckResponse,
  DetachRequest,
  DetachResponse,
} from '../../../lib/agent-proto.js';
import type { CloudClient } from '../cloud/types.js';
import type { KubeGateway } from '../kube/types.js';
import type { Logger } from '../log/logger.js';
import type { Journal } from '../store/journal.js';
import type { BindingConfig, BindingContext } from './context.js';
import { BindingError } from '../domain/errors.js';
import { limitCloud } from './limited-cloud.js';
import { BindingMetrics } from './metrics.js';
import { BindingReconciler } from './reconciler.js';
import { BindingRequests } from './requests.js';
import { BindingRuntime } from './runtime.js';
import type { WarmPool } from '../pool/warm-pool.js';
import type { EipQuota } from '../quota/eip-quota.js';
import { DEFAULT_RETRY_POLICIES } from '../retry/index.js';

export type { BindingConfig } from './context.js';
export { toBinding } from './runtime.js';

export interface BindingServiceDeps {
  journal: Journal;
  cloud: CloudClient;
  kube: KubeGateway;
  logger: Logger;
  registry: Registry;
  config: BindingConfig;
  clock?: { now(): number };
  /** How often rows left unfinished (cloud or API unreachable) are retried. Default 30000. */
  retryIntervalMs?: number;
  quota?: EipQuota;
  pool?: WarmPool;
}

export class BindingService {
  private readonly runtime: BindingRuntime;
  private readonly requests: BindingRequests;
  private readonly reconciler: BindingReconciler;

  constructor(deps: BindingServiceDeps) {
    const now = deps.clock ? () => deps.clock!.now() : Date.now;
    const ctx: BindingContext = {
      journal: deps.journal,
      cloud: limitCloud(deps.cloud, deps.config.maxConcurrentReconciles),
      kube: deps.kube,
      logger: deps.logger.child({ component: 'binding' }),
      config: deps.config,
      now,
      ...(deps.quota ? { quota: deps.quota } : {}),
      ...(deps.pool ? { pool: deps.pool } : {}),
    };
    this.runtime = new BindingRuntime(ctx, new BindingMetrics(deps.registry, () => deps.journal.countsByState()));
    this.reconciler = new BindingReconciler(
      this.runtime,
      deps.retryIntervalMs ?? DEFAULT_RETRY_POLICIES.reconcile.intervalMs,
    );
    this.requests = new BindingRequests(this.runtime, (rowId) => this.reconciler.settle(rowId));
  }

  /** Subscribes to pod events and resumes every unfinished row (in the background; see reconciled()). */
  async start(): Promise<void> {
    this.reconciler.start();
  }

  /** Settles when the latest pass over unfinished rows has. */
  reconciled(): Promise<void> {
    return this.reconciler.reconciled();
  }

  /** Stops watching, aborts background work and waits for it to wind down. The journal stays open. */
  async stop(): Promise<void> {
    this.reconciler.stop();
    await this.runtime.stop(
      new BindingError('CloudUnavailable', "the agent is stopping; the runtime's retry resumes after restart"),
    );
  }

  bindings(): Binding[] {
    return this.requests.bindings();
  }

  attach(req: AttachRequest, callerSignal: AbortSignal): Promise<AttachResponse> {
    return this.requests.attach(req, callerSignal);
  }

  detach(req: DetachRequest, signal: AbortSignal): Promise<DetachResponse> {
    return this.requests.detach(req, signal);
  }

  check(req: CheckRequest, signal: AbortSignal): Promise<CheckResponse> {
    return this.requests.check(req, signal);
  }
}
