/**
 * The binding service: Attach, Detach and Check for the gRPC server, the pod watch that detaches
 * pods deleted without a DEL, and the resumption of unfinished journal rows after a restart.
 *
 * Concurrency: operations on one pod (namespace/name) run one at a time; cloud calls are bounded
 * by maxConcurrentReconciles; nothing node-wide is held across a cloud call. An Attach runs as a
 * background operation keyed by sandbox: when the caller's deadline passes, the work goes on and
 * the runtime's retry joins it, so one sandbox never allocates twice.
 */
import { performance } from 'node:perf_hooks';
import { isIPv4 } from 'node:net';
import type { Registry } from 'prom-client';
import type {
  AttachRequest, AttachResponse, Binding, CheckRequest, CheckResponse, DetachRequest, DetachResponse, PodRef, Sandbox,
} from '../../../lib/agent-proto.js';
import { deadline } from '../../../lib/deadline.js';
import { untilAborted } from '../cloud/clock.js';
import type { CloudClient } from '../cloud/types.js';
import type { KubeGateway, PodEvent, PodInfo } from '../kube/types.js';
import type { Logger } from '../log/logger.js';
import { describeCalls, traceCalls, type TracedCall } from '../log/call-trace.js';
import { TERMINAL_STATES, type BindingRow, type Journal } from '../store/journal.js';
import { parseEipRequest } from './annotations.js';
import { driveToBound } from './attach.js';
import { pointsAt, podRef, target, type BindingConfig, type BindingContext } from './context.js';
import { driveToUnbound } from './detach.js';
import { BindingError, InvalidAnnotationError, toBindingError } from './errors.js';
import { limitCloud } from './limited-cloud.js';
import { BindingMetrics } from './metrics.js';
import { clientToken } from './ownership.js';
import { KeyedMutex } from './pod-lock.js';
import { encodeAllocation, planBinding, type BindingPlan } from './plan.js';
import { recoverAllocation } from './allocation.js';
import { finish, podIsLeaving } from './release.js';
import { adoptUnjournaled, UNKNOWN_SANDBOX } from './adopt.js';
import { BoundRowRepublisher } from './republish.js';
import type { WarmPool } from '../pool/warm-pool.js';
import type { EipQuota } from '../quota/eip-quota.js';

export type { BindingConfig } from './context.js';

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

interface AttachOp {
  podUid: string;
  mode: string;
  controller: AbortController;
  promise: Promise<BindingRow>;
}

const DEFAULT_OPERATION_TIMEOUT_MS = 600_000;
const DEFAULT_ATTACH_TIMEOUT_MS = 100_000;
/** Finished rows are kept this long (late DELs, podeipctl history), then pruned. */
const TERMINAL_ROW_RETENTION_MS = 24 * 3600_000;
const LIVE_BINDING_STATES: readonly string[] = ['associating', 'bound', 'unbinding'];

function isTerminal(row: BindingRow): boolean {
  return TERMINAL_STATES.includes(row.state);
}

function podKey(namespace: string, name: string): string {
  return `${namespace}/${name}`;
}

function sandboxKey(sandbox: Sandbox): string {
  return `${sandbox.containerId}/${sandbox.ifname}`;
}

/** What every binding log line says, so `grep <pod>` or `grep <eip>` finds it. */
function rowFields(row: BindingRow): Record<string, unknown> {
  return {
    pod: `${row.namespace}/${row.podName}`, podUid: row.podUid, mode: row.mode, state: row.state,
    allocationId: row.allocationId, eipAddress: row.address, eni: row.eniId, privateIp: row.privateIp, sandbox: row.containerId.slice(0, 12),
  };
}

export function toBinding(row: BindingRow): Binding {
  return {
    pod: { namespace: row.namespace, name: row.podName, uid: row.podUid },
    containerId: row.containerId,
    mode: row.mode,
    releaseStrategy: row.releaseStrategy,
    releaseAfter: row.releaseAfter,
    state: row.state,
    allocationId: row.allocationId,
    eipAddress: row.address,
    networkInterfaceId: row.eniId,
    privateIp: row.privateIp,
    lastError: row.lastError,
    updatedAt: row.updatedAt,
    attempts: row.attempts,
  };
}

function checkIdentity(pod: PodRef | undefined, sandbox: Sandbox | undefined): asserts pod is PodRef {
  const missing: string[] = [];
  if (!pod?.namespace) missing.push('pod.namespace (K8S_POD_NAMESPACE)');
  if (!pod?.name) missing.push('pod.name (K8S_POD_NAME)');
  if (!sandbox?.containerId) missing.push('sandbox.container_id (CNI_CONTAINERID)');
  if (!sandbox?.ifname) missing.push('sandbox.ifname (CNI_IFNAME)');
  if (missing.length > 0) throw new BindingError('InvalidRequest', `missing ${missing.join(', ')}; the runtime must pass them`);
}

export class BindingService {
  private readonly ctx: BindingContext;
  private readonly metrics: BindingMetrics;
  private readonly locks = new KeyedMutex();
  private readonly republisher: BoundRowRepublisher;
  private readonly attaches = new Map<string, AttachOp>();
  private readonly background = new Set<Promise<unknown>>();
  private readonly lifetime = new AbortController();
  private readonly retryIntervalMs: number;
  private unsubscribe: (() => void) | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private lastReconcile: Promise<void> = Promise.resolve();

  constructor(deps: BindingServiceDeps) {
    const now = deps.clock ? () => deps.clock!.now() : Date.now;
    this.ctx = {
      journal: deps.journal,
      cloud: limitCloud(deps.cloud, deps.config.maxConcurrentReconciles),
      kube: deps.kube,
      logger: deps.logger.child({ component: 'binding' }),
      config: deps.config,
      now,
      ...(deps.quota ? { quota: deps.quota } : {}),
      ...(deps.pool ? { pool: deps.pool } : {}),
    };
    this.metrics = new BindingMetrics(deps.registry, () => deps.journal.countsByState());
    this.republisher = new BoundRowRepublisher(this.ctx,
      (row, fn) => this.locks.run(podKey(row.namespace, row.podName), fn),
      (rowId, err) => this.noteFailure(rowId, 'publishing a bound row after restart failed; retrying later', err));
    this.retryIntervalMs = deps.retryIntervalMs ?? 30_000;
  }

  /** Subscribes to pod events and resumes every unfinished row (in the background; see reconciled()). */
  async start(): Promise<void> {
    this.unsubscribe = this.ctx.kube.pods.subscribe((event) => this.onPodEvent(event));
    this.lastReconcile = this.reconcile(true).then(() => this.adopt());
    this.retryTimer = setInterval(() => { this.lastReconcile = this.reconcile(false); }, this.retryIntervalMs);
    this.retryTimer.unref();
  }

  /** Settles when the latest pass over unfinished rows has. */
  reconciled(): Promise<void> {
    return this.lastReconcile;
  }

  /** Stops watching, aborts background work and waits for it to wind down. The journal stays open. */
  async stop(): Promise<void> {
    this.unsubscribe?.();
    if (this.retryTimer) clearInterval(this.retryTimer);
    this.lifetime.abort(new BindingError('CloudUnavailable', 'the agent is stopping; the runtime\'s retry resumes after restart'));
    while (this.background.size > 0) await Promise.allSettled([...this.background]);
  }

  bindings(): Binding[] {
    return this.ctx.journal.nonTerminal().map(toBinding);
  }

  async attach(req: AttachRequest, callerSignal: AbortSignal): Promise<AttachResponse> {
    const started = performance.now();
    let mode = 'none';
    const attachTimeoutMs = this.ctx.config.attachTimeoutMs ?? DEFAULT_ATTACH_TIMEOUT_MS;
    const answerBy = deadline([callerSignal], attachTimeoutMs, () => new BindingError('DeadlineExceeded',
      `the EIP of ${req.pod?.namespace}/${req.pod?.name} was not attached within ${attachTimeoutMs / 1000} s (agent.attachTimeoutSeconds); `
      + 'the work goes on in the background and the runtime\'s retry picks up the same EIP'));
    const { signal } = answerBy;
    try {
      checkIdentity(req.pod, req.sandbox);
      const { namespace, name } = req.pod;
      let pod: PodInfo | undefined;
      let annotations = req.podAnnotationsKnown ? req.podAnnotations : undefined;
      if (!annotations) {
        pod = this.ctx.kube.pods.cached(namespace, name) ?? await this.ctx.kube.pods.get(namespace, name, signal);
        if (!pod) throw new BindingError('PodNotFound', `pod ${namespace}/${name} does not exist in the API server`);
        annotations = pod.annotations;
      }
      const request = this.parseAnnotations(annotations, req.pod);
      if (!request) {
        this.metrics.attached(mode, 'success', (performance.now() - started) / 1000);
        return { eipRequested: false };
      }
      if (!isIPv4(req.podIpv4)) {
        throw new BindingError('InvalidRequest', `pod_ipv4 ${JSON.stringify(req.podIpv4)} is not an IPv4 address; the primary CNI plugin's prevResult must carry one for ${req.sandbox.ifname}`);
      }
      let op = this.attaches.get(sandboxKey(req.sandbox));
      if (!op) {
        pod ??= await this.ctx.kube.pods.get(namespace, name, signal);
        if (!pod || (req.pod.uid && pod.uid !== req.pod.uid)) {
          throw new BindingError('PodNotFound', `pod ${namespace}/${name}${req.pod.uid ? ` with uid ${req.pod.uid}` : ''} does not exist in the API server`);
        }
        const plan = this.plan(request, pod, req.podIpv4);
        op = this.attaches.get(sandboxKey(req.sandbox)) ?? this.startAttach(req, pod, plan);
      }
      mode = op.mode;
      const row = await untilAborted(op.promise, signal).catch((err: unknown) => {
        if (signal.aborted && !op.controller.signal.aborted) {
          throw signal.reason instanceof BindingError ? signal.reason
            : new BindingError('DeadlineExceeded', `the EIP of ${namespace}/${name} is still being attached in the background; the runtime's retry picks up the same EIP`);
        }
        throw err;
      });
      this.metrics.attached(mode, 'success', (performance.now() - started) / 1000);
      return { eipRequested: true, binding: toBinding(row) };
    } catch (err) {
      const e = toBindingError(err);
      this.metrics.failed(e.code);
      this.metrics.attached(mode, e.code, (performance.now() - started) / 1000);
      throw e;
    } finally {
      answerBy.clear();
    }
  }

  async detach(req: DetachRequest, signal: AbortSignal): Promise<DetachResponse> {
    const started = performance.now();
    let mode = 'none';
    try {
      checkIdentity(req.pod, req.sandbox);
      const found = this.ctx.journal.bySandbox(req.sandbox.containerId, req.sandbox.ifname) ?? this.claimAdopted(req);
      if (!found) {
        this.metrics.detached(mode, 'success', (performance.now() - started) / 1000);
        return { detached: false };
      }
      mode = found.mode;
      const inflight = this.attaches.get(sandboxKey(req.sandbox));
      if (inflight) {
        inflight.controller.abort(new BindingError('DeadlineExceeded', 'the sandbox is being torn down'));
        await inflight.promise.catch(() => {});
      }
      const opSignal = AbortSignal.any([signal, this.lifetime.signal]);
      const calls: TracedCall[] = [];
      const row = await this.locks.run(podKey(found.namespace, found.podName), () => traceCalls(calls, async () => {
        const current = this.ctx.journal.get(found.id);
        // A newer sandbox of the same pod took the binding over: this DEL must not touch it.
        if (!current || current.containerId !== req.sandbox.containerId || isTerminal(current)) return current;
        return driveToUnbound(this.ctx, current, opSignal);
      }));
      if (row && row.containerId === req.sandbox.containerId && row.state !== 'failed' && found.state !== row.state) {
        this.ctx.logger.info('EIP unbound', { ...rowFields(row), durationMs: Math.round(performance.now() - started), cloudCalls: describeCalls(calls) });
      }
      if (row && row.containerId === req.sandbox.containerId && (row.state === 'unbound' || row.state === 'releasing')) {
        this.track(this.settle(row.id));
      }
      this.metrics.detached(mode, 'success', (performance.now() - started) / 1000);
      const detached = row !== undefined && row.containerId === req.sandbox.containerId && row.state !== 'failed';
      return { detached };
    } catch (err) {
      const e = toBindingError(err);
      this.metrics.failed(e.code);
      this.metrics.detached(mode, e.code, (performance.now() - started) / 1000);
      throw e;
    }
  }

  async check(req: CheckRequest, signal: AbortSignal): Promise<CheckResponse> {
    checkIdentity(req.pod, req.sandbox);
    const row = this.ctx.journal.bySandbox(req.sandbox.containerId, req.sandbox.ifname);
    if (!row || isTerminal(row)) {
      const pod = this.ctx.kube.pods.cached(req.pod.namespace, req.pod.name) ?? await this.ctx.kube.pods.get(req.pod.namespace, req.pod.name, signal);
      if (!pod || !this.parseAnnotations(pod.annotations, req.pod)) return { eipRequested: false };
      throw new BindingError('EipNotBound', `pod ${req.pod.namespace}/${req.pod.name} asks for an EIP but sandbox ${req.sandbox.containerId} has none`);
    }
    if (row.state !== 'bound') {
      throw new BindingError('EipNotBound', `the EIP binding of ${row.namespace}/${row.podName} is ${row.state}${row.lastError ? `: ${row.lastError}` : ''}`);
    }
    const eip = await this.ctx.cloud.describeEip(row.allocationId, signal);
    if (!eip) throw new BindingError('EipNotFound', `EIP ${row.allocationId} of ${row.namespace}/${row.podName} no longer exists`);
    if (eip.status !== 'InUse' || !pointsAt(eip, target(row), row.privateIpPrimary)) {
      throw new BindingError('EipNotBound', `EIP ${row.allocationId} is ${eip.status} on ${eip.instanceId || 'nothing'}${eip.privateIpAddress ? `/${eip.privateIpAddress}` : ''}, not on ${row.privateIp}`);
    }
    return { eipRequested: true, binding: toBinding(row) };
  }

  /**
   * One pass over unfinished rows: finish what belongs to pods that left, resume what was
   * interrupted. `afterRestart` also queues bound rows to be checked against the API server (the
   * crash may have come between InUse and the PodEIP write); that check runs in the background,
   * and every pass retries what it has not yet confirmed (republish.ts).
   */
  async reconcile(afterRestart: boolean): Promise<void> {
    this.ctx.journal.pruneTerminal(new Date(this.ctx.now() - TERMINAL_ROW_RETENTION_MS));
    const rows = this.ctx.journal.nonTerminal();
    await Promise.allSettled(rows.map((row) => this.track(this.resume(row.id, afterRestart))));
    void this.track(this.republisher.run(this.lifetime.signal));
  }

  /** Takes bindings the journal lost (or never had) from PodEIPs and the cloud; see adopt.ts. */
  private async adopt(): Promise<void> {
    const adopted = await adoptUnjournaled(this.ctx, this.lifetime.signal);
    if (adopted > 0) this.ctx.logger.info('adopted EIP bindings on start', { adopted });
  }

  /** An adopted row has no sandbox yet: the first DEL that names this pod claims it. */
  private claimAdopted(req: DetachRequest): BindingRow | undefined {
    const row = this.ctx.journal.activeByPodName(req.pod.namespace, req.pod.name)
      .find((r) => r.containerId === UNKNOWN_SANDBOX && (!req.pod.uid || r.podUid === req.pod.uid));
    return row && this.ctx.journal.update(row.id, { containerId: req.sandbox.containerId, ifname: req.sandbox.ifname });
  }

  private parseAnnotations(annotations: Record<string, string>, pod: PodRef) {
    try {
      return parseEipRequest(annotations);
    } catch (err) {
      if (err instanceof BindingError) {
        this.ctx.logger.info('EIP request refused', { pod: podKey(pod.namespace, pod.name), podUid: pod.uid, code: err.code, error: err.message });
      }
      if (pod.uid && err instanceof BindingError) {
        this.ctx.kube.recordEvent({ kind: 'Pod', namespace: pod.namespace, name: pod.name, uid: pod.uid }, 'Warning',
          err instanceof InvalidAnnotationError ? 'InvalidEipAnnotation' : err.code, err.message);
      }
      throw err;
    }
  }

  private plan(request: NonNullable<ReturnType<typeof parseEipRequest>>, pod: PodInfo, privateIp: string): BindingPlan {
    try {
      return planBinding(request, pod, this.ctx.config, privateIp);
    } catch (err) {
      if (err instanceof BindingError) {
        this.ctx.logger.info('EIP request refused', { pod: podKey(pod.namespace, pod.name), podUid: pod.uid, code: err.code, error: err.message });
        this.ctx.kube.recordEvent({ kind: 'Pod', namespace: pod.namespace, name: pod.name, uid: pod.uid }, 'Warning', err.code, err.message);
      }
      throw err;
    }
  }

  private startAttach(req: AttachRequest, pod: PodInfo, plan: BindingPlan): AttachOp {
    const controller = new AbortController();
    const timeoutMs = this.ctx.config.operationTimeoutMs ?? DEFAULT_OPERATION_TIMEOUT_MS;
    const operation = deadline([this.lifetime.signal, controller.signal], timeoutMs, () => new BindingError('DeadlineExceeded',
      `the EIP attach of ${pod.namespace}/${pod.name} did not finish within ${timeoutMs / 1000} s; it was stopped and the runtime's next ADD starts it again`));
    const key = sandboxKey(req.sandbox);
    const calls: TracedCall[] = [];
    const promise = this.locks.run(podKey(pod.namespace, pod.name), () => traceCalls(calls, () => this.attachLocked(req, pod, plan, operation.signal, calls)))
      .finally(() => {
        operation.clear();
        this.attaches.delete(key);
      });
    const op: AttachOp = { podUid: pod.uid, mode: plan.mode, controller, promise };
    this.attaches.set(key, op);
    this.track(promise);
    return op;
  }

  private async attachLocked(req: AttachRequest, pod: PodInfo, plan: BindingPlan, signal: AbortSignal, calls: TracedCall[]): Promise<BindingRow> {
    const { journal } = this.ctx;
    const started = performance.now();
    let row = journal.activeByPod(pod.uid, req.sandbox.ifname);
    if (row?.state === 'releasing') {
      await finish(this.ctx, row, signal);
      row = undefined;
    }
    if (row && row.containerId !== req.sandbox.containerId) {
      // A new sandbox for the same pod object: the EIP follows it (after leaving the old IP).
      if (LIVE_BINDING_STATES.includes(row.state)) row = await driveToUnbound(this.ctx, row, signal);
      row = journal.update(row.id, {
        containerId: req.sandbox.containerId, privateIp: req.podIpv4, eniId: '', privateIpPrimary: false, lastError: '',
      });
    }
    if (!row) {
      const generation = journal.maxGeneration(pod.uid) + 1;
      row = journal.insert({
        namespace: pod.namespace, podName: pod.name, podUid: pod.uid,
        containerId: req.sandbox.containerId, ifname: req.sandbox.ifname,
        mode: plan.mode, releaseStrategy: plan.releaseStrategy, releaseAfter: plan.releaseAfter, generation,
        clientToken: plan.mode === 'static' ? '' : clientToken(this.ctx.config.clusterId, pod.uid, generation),
        allocateParams: encodeAllocation(plan), privateIp: req.podIpv4,
        ...(plan.instanceId ? { allocationId: plan.instanceId } : {}),
        ...(plan.bandwidthPackageId && plan.mode !== 'static' ? { bandwidthPackageId: plan.bandwidthPackageId } : {}),
      });
    }
    try {
      const bound = await driveToBound(this.ctx, row, signal);
      this.ctx.logger.info('EIP bound', { ...rowFields(bound), durationMs: Math.round(performance.now() - started), cloudCalls: describeCalls(calls) });
      return bound;
    } catch (err) {
      const e = toBindingError(signal.aborted && signal.reason !== undefined ? signal.reason : err);
      const latest = journal.get(row.id);
      if (latest && !isTerminal(latest)) journal.update(row.id, { lastError: e.message, attempts: latest.attempts + 1 });
      this.ctx.kube.recordEvent(podRef(row), 'Warning', 'EipAttachFailed', `${e.code}: ${e.message}`);
      this.ctx.logger.warn('attach failed; the runtime retries the ADD', {
        ...rowFields(journal.get(row.id) ?? row), code: e.code, error: e.message, durationMs: Math.round(performance.now() - started), cloudCalls: describeCalls(calls),
      });
      throw e;
    }
  }

  private onPodEvent(event: PodEvent): void {
    const { pod } = event;
    if (event.type !== 'deleted' && !pod.deletionTimestamp) return;
    for (const op of this.attaches.values()) {
      if (op.podUid === pod.uid && event.type === 'deleted') op.controller.abort(new BindingError('PodNotFound', `pod ${pod.namespace}/${pod.name} was deleted`));
    }
    for (const row of this.ctx.journal.activeByPodUid(pod.uid)) this.track(this.settle(row.id));
  }

  /** Once the pod has left: unbind (unless a DEL is still due) and release per strategy. */
  private settle(rowId: number): Promise<void> {
    const row = this.ctx.journal.get(rowId);
    if (!row) return Promise.resolve();
    return this.locks.run(podKey(row.namespace, row.podName), async () => {
      const current = this.ctx.journal.get(rowId);
      if (!current || isTerminal(current)) return;
      const pod = await this.ctx.kube.pods.get(current.namespace, current.podName, this.lifetime.signal);
      if (podIsLeaving(current, pod)) await this.settleLocked(current, pod, this.lifetime.signal);
    }).catch((err: unknown) => this.noteFailure(rowId, 'settling a binding failed; retrying later', err));
  }

  /** After a restart: carry each unfinished row to where its pod wants it. */
  private resume(rowId: number, afterRestart: boolean): Promise<void> {
    const row = this.ctx.journal.get(rowId);
    if (!row) return Promise.resolve();
    return this.locks.run(podKey(row.namespace, row.podName), async () => {
      const current = this.ctx.journal.get(rowId);
      if (!current || isTerminal(current)) return;
      const signal = this.lifetime.signal;
      const pod = await this.ctx.kube.pods.get(current.namespace, current.podName, signal);
      if (podIsLeaving(current, pod)) return this.settleLocked(current, pod, signal);
      switch (current.state) {
        case 'allocating': await recoverAllocation(this.ctx, current, signal); return;
        case 'associating': await driveToBound(this.ctx, current, signal); return;
        case 'bound': if (afterRestart) this.republisher.add(current.id); return;
        case 'unbinding': await driveToUnbound(this.ctx, current, signal); return;
        case 'releasing': await finish(this.ctx, current, signal); return;
        default: return; // pending, allocated, unbound: the runtime's ADD (or DEL) carries them on.
      }
    }).catch((err: unknown) => this.noteFailure(rowId, 'resuming a binding failed; retrying later', err));
  }

  private noteFailure(rowId: number, message: string, err: unknown): void {
    const e = toBindingError(err);
    const latest = this.ctx.journal.get(rowId);
    this.ctx.logger.warn(message, { rowId, ...(latest ? rowFields(latest) : {}), code: e.code, error: e.message });
    if (latest && !isTerminal(latest)) this.ctx.journal.update(rowId, { lastError: e.message });
  }

  /** A terminating pod still runs its containers: a live binding waits for the runtime's DEL. */
  private async settleLocked(row: BindingRow, pod: PodInfo | undefined, signal: AbortSignal): Promise<void> {
    if (pod && pod.uid === row.podUid && (row.state === 'associating' || row.state === 'bound')) return;
    const calls: TracedCall[] = [];
    const started = performance.now();
    const settled = await traceCalls(calls, async () => {
      const unbound = await driveToUnbound(this.ctx, row, signal);
      return isTerminal(unbound) ? unbound : finish(this.ctx, unbound, signal);
    });
    this.ctx.logger.info(`binding settled: ${settled.mode} EIP ${settled.lastError ? `kept (${settled.lastError})` : row.mode === 'fixed' && row.releaseStrategy !== 'Follow' ? 'kept for the next pod of this name' : row.mode === 'static' ? 'unbound, never released' : 'released'}`, {
      ...rowFields(settled), durationMs: Math.round(performance.now() - started), cloudCalls: describeCalls(calls),
    });
  }

  private track<T>(promise: Promise<T>): Promise<T> {
    const tracked = promise.then(() => {}, () => {}).finally(() => this.background.delete(tracked));
    this.background.add(tracked);
    return promise;
  }
}
