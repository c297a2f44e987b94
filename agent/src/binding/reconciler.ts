/**
 * The reconciler: carries journal rows on without a request. After a restart it resumes what was
 * in flight and adopts bindings the journal does not know; the pod watch settles the rows of pods
 * that left (deleted without a DEL, or terminating after it); a periodic pass retries rows left
 * unfinished because the cloud or the API server did not answer.
 */
import { performance } from 'node:perf_hooks';
import type { PodEvent, PodInfo } from '../kube/types.js';
import { describeCalls, traceCalls, type TracedCall } from '../log/call-trace.js';
import type { BindingRow } from '../store/journal.js';
import { adoptUnjournaled } from './adopt.js';
import { drive, resumeGoal } from './driver.js';
import { BindingError, toBindingError } from '../domain/errors.js';
import { podIsLeaving } from './release.js';
import { BoundRowRepublisher } from './republish.js';
import { isTerminal, podKey, rowFields, type BindingRuntime } from './runtime.js';

/** Finished rows are kept this long (late DELs, podeipctl history), then pruned. */
const TERMINAL_ROW_RETENTION_MS = 24 * 3600_000;

export class BindingReconciler {
  private unsubscribe: (() => void) | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private lastReconcile: Promise<void> = Promise.resolve();
  private readonly republisher: BoundRowRepublisher;

  constructor(
    private readonly rt: BindingRuntime,
    private readonly retryIntervalMs: number,
  ) {
    this.republisher = new BoundRowRepublisher(
      rt.ctx,
      (row, fn) => rt.locks.run(podKey(row.namespace, row.podName), fn),
      (rowId, err) => this.noteFailure(rowId, 'publishing a bound row after restart failed; retrying later', err),
    );
  }

  /** Subscribes to pod events and resumes every unfinished row (in the background; see reconciled()). */
  start(): void {
    this.unsubscribe = this.rt.ctx.kube.pods.subscribe((event) => this.onPodEvent(event));
    this.lastReconcile = this.reconcile(true).then(() => this.adopt());
    this.retryTimer = setInterval(() => {
      this.lastReconcile = this.reconcile(false);
    }, this.retryIntervalMs);
    this.retryTimer.unref();
  }

  /** Settles when the latest pass over unfinished rows has. */
  reconciled(): Promise<void> {
    return this.lastReconcile;
  }

  /** Stops watching and retrying; the runtime aborts what is in flight. */
  stop(): void {
    this.unsubscribe?.();
    if (this.retryTimer) clearInterval(this.retryTimer);
  }

  /**
   * One pass over unfinished rows: finish what belongs to pods that left, resume what was
   * interrupted. `afterRestart` also queues bound rows to be checked against the API server (the
   * crash may have come between InUse and the PodEIP write); that check runs in the background,
   * and every pass retries what it has not yet confirmed (republish.ts).
   */
  async reconcile(afterRestart: boolean): Promise<void> {
    const { ctx } = this.rt;
    ctx.journal.pruneTerminal(new Date(ctx.now() - TERMINAL_ROW_RETENTION_MS));
    const rows = ctx.journal.nonTerminal();
    await Promise.allSettled(rows.map((row) => this.rt.track(this.resume(row.id, afterRestart))));
    void this.rt.track(this.republisher.run(this.rt.lifetime.signal));
  }

  /** Once the pod has left: unbind (unless a DEL is still due) and release per strategy. */
  settle(rowId: number): Promise<void> {
    return this.withLiveRow(rowId, 'settling a binding failed; retrying later', async (current, pod, signal) => {
      if (podIsLeaving(current, pod)) await this.settleLocked(current, pod, signal);
    });
  }

  /**
   * Runs `work` under the pod's lock on the row as it is then, with its pod as the API server has
   * it, unless the row has finished meanwhile; a failure is noted for the next retry pass.
   */
  private withLiveRow(
    rowId: number,
    failure: string,
    work: (current: BindingRow, pod: PodInfo | undefined, signal: AbortSignal) => Promise<void>,
  ): Promise<void> {
    const { ctx } = this.rt;
    const row = ctx.journal.get(rowId);
    if (!row) return Promise.resolve();
    return this.rt.locks
      .run(podKey(row.namespace, row.podName), async () => {
        const current = ctx.journal.get(rowId);
        if (!current || isTerminal(current)) return;
        const signal = this.rt.lifetime.signal;
        const pod = await ctx.kube.pods.get(current.namespace, current.podName, signal);
        await work(current, pod, signal);
      })
      .catch((err: unknown) => this.noteFailure(rowId, failure, err));
  }

  /** Takes bindings the journal lost (or never had) from PodEIPs and the cloud; see adopt.ts. */
  private async adopt(): Promise<void> {
    const adopted = await adoptUnjournaled(this.rt.ctx, this.rt.lifetime.signal);
    if (adopted > 0) this.rt.ctx.logger.info('adopted EIP bindings on start', { adopted });
  }

  private onPodEvent(event: PodEvent): void {
    const { pod } = event;
    if (event.type !== 'deleted' && !pod.deletionTimestamp) return;
    for (const op of this.rt.attaches.values()) {
      if (op.podUid === pod.uid && event.type === 'deleted')
        op.controller.abort(new BindingError('PodNotFound', `pod ${pod.namespace}/${pod.name} was deleted`));
    }
    for (const row of this.rt.ctx.journal.activeByPodUid(pod.uid)) void this.rt.track(this.settle(row.id));
  }

  /** After a restart: carry each unfinished row to where its pod wants it. */
  private resume(rowId: number, afterRestart: boolean): Promise<void> {
    return this.withLiveRow(rowId, 'resuming a binding failed; retrying later', async (current, pod, signal) => {
      if (podIsLeaving(current, pod)) return this.settleLocked(current, pod, signal);
      if (current.state === 'bound') {
        if (afterRestart) this.republisher.add(current.id);
        return;
      }
      const goal = resumeGoal(current.state);
      if (goal) await drive(this.rt.ctx, current, goal, signal);
    });
  }

  private noteFailure(rowId: number, message: string, err: unknown): void {
    const { ctx } = this.rt;
    const e = toBindingError(err);
    const latest = ctx.journal.get(rowId);
    ctx.logger.warn(message, { rowId, ...(latest ? rowFields(latest) : {}), code: e.code, error: e.message });
    if (latest && !isTerminal(latest)) ctx.journal.update(rowId, { lastError: e.message });
  }

  /** A terminating pod still runs its containers: a live binding waits for the runtime's DEL. */
  private async settleLocked(row: BindingRow, pod: PodInfo | undefined, signal: AbortSignal): Promise<void> {
    if (pod && pod.uid === row.podUid && (row.state === 'associating' || row.state === 'bound')) return;
    const calls: TracedCall[] = [];
    const started = performance.now();
    const settled = await traceCalls(calls, () => drive(this.rt.ctx, row, 'gone', signal));
    this.rt.ctx.logger.info(
      `binding settled: ${settled.mode} EIP ${settled.lastError ? `kept (${settled.lastError})` : row.mode === 'fixed' && row.releaseStrategy !== 'Follow' ? 'kept for the next pod of this name' : row.mode === 'static' ? 'unbound, never released' : 'released'}`,
      {
        ...rowFields(settled),
        durationMs: Math.round(performance.now() - started),
        cloudCalls: describeCalls(calls),
      },
    );
  }
}
