/**
 * The request side of the binding service: Attach, Detach and Check from the plugin (through the
 * gRPC server), and the bindings Status lists. An Attach runs as a background operation keyed by
 * sandbox: when the caller's deadline passes, the work goes on and the runtime's retry joins it,
 * so one sandbox never allocates twice. What happens without a request is the reconciler's.
 *
 * Requests arrive checked at the edge (server/request-checks.ts `checkRequest`): pod, sandbox and
 * pod IPv4 are well formed here.
 */
import { performance } from 'node:perf_hooks';
import type {
  AttachRequest,
  AttachResponse,
  Binding,
  CheckRequest,
  CheckResponse,
  DetachRequest,
  DetachResponse,
  PodRef,
} from '../../../lib/agent-proto.js';
import { deadline } from '../../../lib/deadline.js';
import { untilAborted } from '../../../lib/clock.js';
import { DEFAULT_RETRY_POLICIES } from '../retry/index.js';
import type { PodInfo } from '../kube/types.js';
import { describeCalls, traceCalls, type TracedCall } from '../log/call-trace.js';
import type { BindingRow } from '../store/journal.js';
import { parseEipRequest } from '../domain/eip-request.js';
import { UNKNOWN_SANDBOX } from './adopt.js';
import { podRef, target } from './context.js';
import { pointsAt } from '../cloud/points-at.js';
import { drive } from './driver.js';
import { BindingError, InvalidAnnotationError, toBindingError } from '../domain/errors.js';
import { clientToken } from '../domain/ownership.js';
import { planBinding, type BindingPlan } from './plan.js';
import { encodeAllocation } from '../domain/stored-allocation.js';
import { isTerminal, podKey, rowFields, sandboxKey, toBinding, type AttachOp, type BindingRuntime } from './runtime.js';
import { begin } from './state-machine.js';

const DEFAULT_ATTACH_TIMEOUT_MS = 100_000;
const LIVE_BINDING_STATES: readonly string[] = ['associating', 'bound', 'unbinding'];

export class BindingRequests {
  /** `settle` hands a row whose sandbox went to the reconciler, which releases it once its pod has left. */
  constructor(
    private readonly rt: BindingRuntime,
    private readonly settle: (rowId: number) => Promise<void>,
  ) {}

  bindings(): Binding[] {
    return this.rt.ctx.journal.nonTerminal().map(toBinding);
  }

  async attach(req: AttachRequest, callerSignal: AbortSignal): Promise<AttachResponse> {
    const started = performance.now();
    let mode = 'none';
    const attachTimeoutMs = this.rt.ctx.config.attachTimeoutMs ?? DEFAULT_ATTACH_TIMEOUT_MS;
    const answerBy = deadline(
      [callerSignal],
      attachTimeoutMs,
      () =>
        new BindingError(
          'DeadlineExceeded',
          `the EIP of ${req.pod.namespace}/${req.pod.name} was not attached within ${attachTimeoutMs / 1000} s (agent.attachTimeoutSeconds); ` +
            "the work goes on in the background and the runtime's retry picks up the same EIP",
        ),
    );
    const { signal } = answerBy;
    try {
      const { namespace, name } = req.pod;
      let pod: PodInfo | undefined;
      let annotations = req.podAnnotationsKnown ? req.podAnnotations : undefined;
      if (!annotations) {
        pod =
          this.rt.ctx.kube.pods.cached(namespace, name) ?? (await this.rt.ctx.kube.pods.get(namespace, name, signal));
        if (!pod) throw new BindingError('PodNotFound', `pod ${namespace}/${name} does not exist in the API server`);
        annotations = pod.annotations;
      }
      const request = this.parseAnnotations(annotations, req.pod);
      if (!request) {
        this.rt.metrics.attached(mode, 'success', (performance.now() - started) / 1000);
        return { eipRequested: false };
      }
      let op = this.rt.attaches.get(sandboxKey(req.sandbox));
      if (!op) {
        pod ??= await this.rt.ctx.kube.pods.get(namespace, name, signal);
        if (!pod || (req.pod.uid && pod.uid !== req.pod.uid)) {
          throw new BindingError(
            'PodNotFound',
            `pod ${namespace}/${name}${req.pod.uid ? ` with uid ${req.pod.uid}` : ''} does not exist in the API server`,
          );
        }
        const plan = this.plan(request, pod, req.podIpv4);
        op = this.rt.attaches.get(sandboxKey(req.sandbox)) ?? this.startAttach(req, pod, plan);
      }
      mode = op.mode;
      const row = await untilAborted(op.promise, signal).catch((err: unknown) => {
        if (signal.aborted && !op.controller.signal.aborted) {
          throw signal.reason instanceof BindingError
            ? signal.reason
            : new BindingError(
                'DeadlineExceeded',
                `the EIP of ${namespace}/${name} is still being attached in the background; the runtime's retry picks up the same EIP`,
              );
        }
        throw err;
      });
      this.rt.metrics.attached(mode, 'success', (performance.now() - started) / 1000);
      return { eipRequested: true, binding: toBinding(row) };
    } catch (err) {
      const e = toBindingError(err);
      this.rt.metrics.failed(e.code);
      this.rt.metrics.attached(mode, e.code, (performance.now() - started) / 1000);
      throw e;
    } finally {
      answerBy.clear();
    }
  }

  async detach(req: DetachRequest, signal: AbortSignal): Promise<DetachResponse> {
    const started = performance.now();
    let mode = 'none';
    try {
      const found =
        this.rt.ctx.journal.bySandbox(req.sandbox.containerId, req.sandbox.ifname) ?? this.claimAdopted(req);
      if (!found) {
        this.rt.metrics.detached(mode, 'success', (performance.now() - started) / 1000);
        return { detached: false };
      }
      mode = found.mode;
      const inflight = this.rt.attaches.get(sandboxKey(req.sandbox));
      if (inflight) {
        inflight.controller.abort(new BindingError('DeadlineExceeded', 'the sandbox is being torn down'));
        await inflight.promise.catch(() => {});
      }
      const opSignal = AbortSignal.any([signal, this.rt.lifetime.signal]);
      const calls: TracedCall[] = [];
      const row = await this.rt.locks.run(podKey(found.namespace, found.podName), () =>
        traceCalls(calls, async () => {
          const current = this.rt.ctx.journal.get(found.id);
          // A newer sandbox of the same pod took the binding over: this DEL must not touch it.
          if (!current || current.containerId !== req.sandbox.containerId || isTerminal(current)) return current;
          return drive(this.rt.ctx, current, 'unbound', opSignal);
        }),
      );
      if (row && row.containerId === req.sandbox.containerId && row.state !== 'failed' && found.state !== row.state) {
        this.rt.ctx.logger.info('EIP unbound', {
          ...rowFields(row),
          durationMs: Math.round(performance.now() - started),
          cloudCalls: describeCalls(calls),
        });
      }
      if (
        row &&
        row.containerId === req.sandbox.containerId &&
        (row.state === 'unbound' || row.state === 'releasing')
      ) {
        void this.rt.track(this.settle(row.id));
      }
      this.rt.metrics.detached(mode, 'success', (performance.now() - started) / 1000);
      const detached = row !== undefined && row.containerId === req.sandbox.containerId && row.state !== 'failed';
      return { detached };
    } catch (err) {
      const e = toBindingError(err);
      this.rt.metrics.failed(e.code);
      this.rt.metrics.detached(mode, e.code, (performance.now() - started) / 1000);
      throw e;
    }
  }

  async check(req: CheckRequest, signal: AbortSignal): Promise<CheckResponse> {
    const row = this.rt.ctx.journal.bySandbox(req.sandbox.containerId, req.sandbox.ifname);
    if (!row || isTerminal(row)) {
      const pod =
        this.rt.ctx.kube.pods.cached(req.pod.namespace, req.pod.name) ??
        (await this.rt.ctx.kube.pods.get(req.pod.namespace, req.pod.name, signal));
      if (!pod || !this.parseAnnotations(pod.annotations, req.pod)) return { eipRequested: false };
      throw new BindingError(
        'EipNotBound',
        `pod ${req.pod.namespace}/${req.pod.name} asks for an EIP but sandbox ${req.sandbox.containerId} has none`,
      );
    }
    if (row.state !== 'bound') {
      throw new BindingError(
        'EipNotBound',
        `the EIP binding of ${row.namespace}/${row.podName} is ${row.state}${row.lastError ? `: ${row.lastError}` : ''}`,
      );
    }
    const eip = await this.rt.ctx.cloud.describeEip(row.allocationId, signal);
    if (!eip)
      throw new BindingError(
        'EipNotFound',
        `EIP ${row.allocationId} of ${row.namespace}/${row.podName} no longer exists`,
      );
    if (eip.status !== 'InUse' || !pointsAt(eip, target(row), row.privateIpPrimary)) {
      throw new BindingError(
        'EipNotBound',
        `EIP ${row.allocationId} is ${eip.status} on ${eip.instanceId || 'nothing'}${eip.privateIpAddress ? `/${eip.privateIpAddress}` : ''}, not on ${row.privateIp}`,
      );
    }
    return { eipRequested: true, binding: toBinding(row) };
  }

  /** An adopted row has no sandbox yet: the first DEL that names this pod claims it. */
  private claimAdopted(req: DetachRequest): BindingRow | undefined {
    const row = this.rt.ctx.journal
      .activeByPodName(req.pod.namespace, req.pod.name)
      .find((r) => r.containerId === UNKNOWN_SANDBOX && (!req.pod.uid || r.podUid === req.pod.uid));
    return (
      row && this.rt.ctx.journal.update(row.id, { containerId: req.sandbox.containerId, ifname: req.sandbox.ifname })
    );
  }

  private parseAnnotations(annotations: Record<string, string>, pod: PodRef) {
    try {
      return parseEipRequest(annotations);
    } catch (err) {
      this.noteRefusal(pod, err);
      throw err;
    }
  }

  private plan(request: NonNullable<ReturnType<typeof parseEipRequest>>, pod: PodInfo, privateIp: string): BindingPlan {
    try {
      return planBinding(request, pod, this.rt.ctx.config, privateIp);
    } catch (err) {
      this.noteRefusal(pod, err);
      throw err;
    }
  }

  /** A request refused for what the pod asks: logged, and an Event on the pod when its uid is known. */
  private noteRefusal(pod: Pick<PodRef, 'namespace' | 'name' | 'uid'>, err: unknown): void {
    if (!(err instanceof BindingError)) return;
    this.rt.ctx.logger.info('EIP request refused', {
      pod: podKey(pod.namespace, pod.name),
      podUid: pod.uid,
      code: err.code,
      error: err.message,
    });
    if (!pod.uid) return;
    this.rt.ctx.kube.recordEvent(
      { kind: 'Pod', namespace: pod.namespace, name: pod.name, uid: pod.uid },
      'Warning',
      err instanceof InvalidAnnotationError ? 'InvalidEipAnnotation' : err.code,
      err.message,
    );
  }

  private startAttach(req: AttachRequest, pod: PodInfo, plan: BindingPlan): AttachOp {
    const controller = new AbortController();
    const timeoutMs = this.rt.ctx.config.operationTimeoutMs ?? DEFAULT_RETRY_POLICIES.reconcile.deadlineMs;
    const operation = deadline(
      [this.rt.lifetime.signal, controller.signal],
      timeoutMs,
      () =>
        new BindingError(
          'DeadlineExceeded',
          `the EIP attach of ${pod.namespace}/${pod.name} did not finish within ${timeoutMs / 1000} s; it was stopped and the runtime's next ADD starts it again`,
        ),
    );
    const key = sandboxKey(req.sandbox);
    const calls: TracedCall[] = [];
    const promise = this.rt.locks
      .run(podKey(pod.namespace, pod.name), () =>
        traceCalls(calls, () => this.attachLocked(req, pod, plan, operation.signal, calls)),
      )
      .finally(() => {
        operation.clear();
        this.rt.attaches.delete(key);
      });
    const op: AttachOp = { podUid: pod.uid, mode: plan.mode, controller, promise };
    this.rt.attaches.set(key, op);
    void this.rt.track(promise);
    return op;
  }

  private async attachLocked(
    req: AttachRequest,
    pod: PodInfo,
    plan: BindingPlan,
    signal: AbortSignal,
    calls: TracedCall[],
  ): Promise<BindingRow> {
    const { journal } = this.rt.ctx;
    const started = performance.now();
    let row = journal.activeByPod(pod.uid, req.sandbox.ifname);
    if (row?.state === 'releasing') {
      await drive(this.rt.ctx, row, 'gone', signal);
      row = undefined;
    }
    if (row && row.containerId !== req.sandbox.containerId) {
      // A new sandbox for the same pod object: the EIP follows it (after leaving the old IP).
      if (LIVE_BINDING_STATES.includes(row.state)) row = await drive(this.rt.ctx, row, 'unbound', signal);
      row = journal.update(row.id, {
        containerId: req.sandbox.containerId,
        privateIp: req.podIpv4,
        eniId: '',
        privateIpPrimary: false,
        lastError: '',
      });
    }
    if (!row) {
      const generation = journal.maxGeneration(pod.uid) + 1;
      row = begin(
        this.rt.ctx,
        {
          namespace: pod.namespace,
          podName: pod.name,
          podUid: pod.uid,
          containerId: req.sandbox.containerId,
          ifname: req.sandbox.ifname,
          mode: plan.mode,
          releaseStrategy: plan.releaseStrategy,
          releaseAfter: plan.releaseAfter,
          generation,
          clientToken: plan.mode === 'static' ? '' : clientToken(this.rt.ctx.config.clusterId, pod.uid, generation),
          allocateParams: encodeAllocation(plan),
          privateIp: req.podIpv4,
          ...(plan.instanceId ? { allocationId: plan.instanceId } : {}),
          ...(plan.bandwidthPackageId && plan.mode !== 'static' ? { bandwidthPackageId: plan.bandwidthPackageId } : {}),
        },
        'add',
      );
    }
    try {
      const bound = await drive(this.rt.ctx, row, 'bound', signal);
      this.rt.ctx.logger.info('EIP bound', {
        ...rowFields(bound),
        durationMs: Math.round(performance.now() - started),
        cloudCalls: describeCalls(calls),
      });
      return bound;
    } catch (err) {
      const e = toBindingError(signal.aborted && signal.reason !== undefined ? signal.reason : err);
      const latest = journal.get(row.id);
      if (latest && !isTerminal(latest))
        journal.update(row.id, { lastError: e.message, attempts: latest.attempts + 1 });
      this.rt.ctx.kube.recordEvent(podRef(row), 'Warning', 'EipAttachFailed', `${e.code}: ${e.message}`);
      this.rt.ctx.logger.warn('attach failed; the runtime retries the ADD', {
        ...rowFields(journal.get(row.id) ?? row),
        code: e.code,
        error: e.message,
        durationMs: Math.round(performance.now() - started),
        cloudCalls: describeCalls(calls),
      });
      throw e;
    }
  }
}
