import { V1MicroTime, type CoordinationV1Api, type V1Lease } from '@kubernetes/client-node';
import { deadline } from '../../../lib/deadline.js';
import type { Logger } from '../log/logger.js';
import { sleep, type Clock } from '../../../lib/clock.js';
import { KubeApiError, KubeOptionError } from './errors.js';
import type { KubeMetrics } from './metrics.js';
import type { KubeRequester } from './requester.js';
import type { LeaderCallbacks, LeaderElector } from './types.js';

export interface LeaseElectorOptions {
  /** Lease name, e.g. podeip-gc. */
  name: string;
  namespace?: string;
  /** holderIdentity; the node name. */
  identity: string;
  leaseDurationSeconds?: number;
  renewDeadlineSeconds?: number;
  retryPeriodSeconds?: number;
}

export interface LeaseElectorDeps {
  coordination: CoordinationV1Api;
  requester: KubeRequester;
  clock: Clock;
  logger: Logger;
  metrics: KubeMetrics;
}

interface Observed {
  holder: string;
  renewTime: string;
  /** Our clock when we first saw this (holder, renewTime); expiry is judged from it, not from the holder's clock. */
  seenAt: number;
}

/**
 * coordination.k8s.io/v1 Lease election. Followers try every retry period and take the lease
 * when its record has not changed for a lease duration (by our own clock, so skew between nodes
 * does not matter) or when it was released. The leader renews every half renew deadline (5 s of
 * the default 15/10/2 s, where client-go renews every retry period: an idle agent's main cost was
 * these writes) and, after a failed renewal, every retry period; no attempt outlasts the renew
 * deadline counted from the last renewal. Every write replaces the Lease at the
 * resourceVersion we read, so two candidates cannot both win. A leader that cannot renew within
 * the renew deadline steps down: the signal given to onStartedLeading aborts before anyone else
 * can acquire (renew deadline < lease duration).
 */
export class LeaseElector implements LeaderElector {
  private readonly namespace: string;
  private readonly leaseDurationMs: number;
  private readonly renewDeadlineMs: number;
  private readonly retryPeriodMs: number;
  /** How often a leader renews: half the renew deadline, leaving room for retries every retry period. */
  private readonly renewIntervalMs: number;
  private readonly stopping = new AbortController();
  private loop: Promise<void> | undefined;
  private leading: AbortController | undefined;
  private callbacks: LeaderCallbacks | undefined;
  private observed: Observed | undefined;
  private current: V1Lease | undefined;
  /** Annotations the leader writes with its next renewal (e.g. its EIP listing). */
  private pending: Record<string, string> = {};

  constructor(
    private readonly options: LeaseElectorOptions,
    private readonly deps: LeaseElectorDeps,
  ) {
    this.namespace = options.namespace ?? 'kube-system';
    const duration = options.leaseDurationSeconds ?? 15;
    const deadline = options.renewDeadlineSeconds ?? 10;
    const retry = options.retryPeriodSeconds ?? 2;
    if (!options.identity) throw new KubeOptionError('leader election needs an identity (the node name); set nodeName');
    if (!(duration > deadline))
      throw new KubeOptionError(
        `leaseDurationSeconds (${duration}) must be greater than renewDeadlineSeconds (${deadline})`,
      );
    if (!(deadline > retry) || !(retry > 0))
      throw new KubeOptionError(
        `renewDeadlineSeconds (${deadline}) must be greater than retryPeriodSeconds (${retry}) > 0`,
      );
    this.leaseDurationMs = duration * 1000;
    this.renewDeadlineMs = deadline * 1000;
    this.retryPeriodMs = retry * 1000;
    this.renewIntervalMs = Math.max(this.retryPeriodMs, this.renewDeadlineMs / 2);
  }

  run(callbacks: LeaderCallbacks): void {
    if (this.loop)
      throw new KubeOptionError(`leader election for lease ${this.namespace}/${this.options.name} is already running`);
    this.callbacks = callbacks;
    this.loop = this.campaign();
  }

  isLeader(): boolean {
    return this.leading !== undefined;
  }

  publish(annotations: Record<string, string>): void {
    this.pending = { ...this.pending, ...annotations };
  }

  annotation(key: string): string | undefined {
    return this.current?.metadata?.annotations?.[key];
  }

  async stop(): Promise<void> {
    if (!this.loop) {
      this.stopping.abort();
      return;
    }
    if (this.stopping.signal.aborted) {
      await this.loop;
      return;
    }
    this.stopping.abort();
    await this.loop;
    this.stepDown('stopped');
    // Also when a final acquire won the race with stop(): release() checks who holds it.
    await this.release();
  }

  private async campaign(): Promise<void> {
    const signal = this.stopping.signal;
    while (!signal.aborted) {
      // Follower: try until we hold the lease.
      if (await this.tryAcquireOrRenew()) {
        if (signal.aborted) return; // eslint-disable-line @typescript-eslint/no-unnecessary-condition -- aborted may change across an await
        this.startLeading();
        let lastRenew = this.deps.clock.now();
        let wait = this.renewIntervalMs;
        // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- aborted may change across an await
        while (!signal.aborted) {
          await this.sleep(wait);
          if (signal.aborted) break; // eslint-disable-line @typescript-eslint/no-unnecessary-condition -- aborted may change across an await
          // The attempt may not outlast the renew deadline counted from the last renewal.
          const left = lastRenew + this.renewDeadlineMs - this.deps.clock.now();
          if (left > 0 && (await this.tryAcquireOrRenew(left))) {
            lastRenew = this.deps.clock.now();
            wait = this.renewIntervalMs;
          } else if (this.deps.clock.now() - lastRenew >= this.renewDeadlineMs || !this.holdsLease()) {
            this.stepDown('lost');
            break;
          } else {
            wait = this.retryPeriodMs;
          }
        }
        if (signal.aborted) return; // eslint-disable-line @typescript-eslint/no-unnecessary-condition -- aborted may change across an await
      }
      await this.sleep(this.retryPeriodMs);
    }
  }

  private startLeading(): void {
    const leading = new AbortController();
    this.leading = leading;
    this.deps.metrics.leader.set(1);
    this.deps.logger.info('became leader', {
      lease: `${this.namespace}/${this.options.name}`,
      identity: this.options.identity,
    });
    Promise.resolve()
      .then(() => this.callbacks!.onStartedLeading(leading.signal))
      .catch((err) => this.deps.logger.error('onStartedLeading failed', { error: (err as Error).message }));
  }

  private stepDown(why: 'lost' | 'stopped'): void {
    const leading = this.leading;
    if (!leading) return;
    this.leading = undefined;
    this.deps.metrics.leader.set(0);
    this.deps.logger.info(why === 'lost' ? 'lost leadership' : 'leaving leadership', {
      lease: `${this.namespace}/${this.options.name}`,
    });
    leading.abort();
    try {
      this.callbacks!.onStoppedLeading();
    } catch (err) {
      this.deps.logger.error('onStoppedLeading failed', { error: (err as Error).message });
    }
  }

  /**
   * True when the lease is ours after this round. Errors count as "not this round". A leader
   * renews without reading first (as client-go does): the replace carries the resourceVersion of
   * its last write, so a lease anyone else wrote since fails with a conflict and is read again.
   */
  private async tryAcquireOrRenew(budgetMs = this.renewDeadlineMs): Promise<boolean> {
    const now = this.deps.clock.now();
    const spec = {
      holderIdentity: this.options.identity,
      leaseDurationSeconds: Math.round(this.leaseDurationMs / 1000),
      renewTime: new V1MicroTime(now),
    };
    // A hung request must not outlive the renew deadline, or a stale leader would act on.
    const renew = deadline([], budgetMs);
    const { signal } = renew;
    try {
      if (this.leading && this.holdsLease()) {
        try {
          await this.replace(this.current!, spec, now, signal);
          return true;
        } catch (err) {
          if (!(err instanceof KubeApiError && err.conflict)) throw err;
        }
      }
      const lease = await this.read(signal);
      if (!lease) {
        this.current = await this.deps.requester.call('create', 'leases', { signal }, (config) =>
          this.deps.coordination.createNamespacedLeaseWithHttpInfo(
            {
              namespace: this.namespace,
              body: {
                apiVersion: 'coordination.k8s.io/v1',
                kind: 'Lease',
                metadata: { name: this.options.name, namespace: this.namespace, annotations: { ...this.pending } },
                spec: { ...spec, acquireTime: new V1MicroTime(now), leaseTransitions: 0 },
              },
            },
            config,
          ),
        );
        this.observe(this.current);
        return true;
      }
      this.observe(lease);
      const holder = lease.spec?.holderIdentity ?? '';
      const ours = holder === this.options.identity;
      const durationMs = (lease.spec?.leaseDurationSeconds ?? this.leaseDurationMs / 1000) * 1000;
      const expired = this.observed!.seenAt + durationMs <= now;
      if (holder && !ours && !expired) {
        this.current = lease;
        return false;
      }
      await this.replace(lease, spec, now, signal);
      return true;
    } catch (err) {
      if (!(err instanceof KubeApiError && (err.conflict || err.alreadyExists))) {
        this.deps.logger.warn('lease update failed', {
          lease: `${this.namespace}/${this.options.name}`,
          error: (err as Error).message,
        });
      }
      return false;
    } finally {
      renew.clear();
    }
  }

  /** Writes `lease` (at its resourceVersion) as held by us, with the pending annotations. */
  private async replace(
    lease: V1Lease,
    spec: { holderIdentity: string; leaseDurationSeconds: number; renewTime: V1MicroTime },
    now: number,
    signal: AbortSignal,
  ): Promise<void> {
    const ours = lease.spec?.holderIdentity === this.options.identity;
    const transitions = lease.spec?.leaseTransitions ?? 0;
    const body: V1Lease = {
      ...lease,
      metadata: { ...lease.metadata, annotations: { ...lease.metadata?.annotations, ...this.pending } },
      spec: {
        ...lease.spec,
        ...spec,
        acquireTime: ours ? lease.spec?.acquireTime : new V1MicroTime(now),
        leaseTransitions: ours ? transitions : transitions + 1,
      },
    };
    this.current = await this.deps.requester.call('replace', 'leases', { signal }, (config) =>
      this.deps.coordination.replaceNamespacedLeaseWithHttpInfo(
        { namespace: this.namespace, name: this.options.name, body },
        config,
      ),
    );
    this.observe(this.current);
  }

  private holdsLease(): boolean {
    return this.current?.spec?.holderIdentity === this.options.identity;
  }

  private async read(signal?: AbortSignal): Promise<V1Lease | undefined> {
    try {
      return await this.deps.requester.call('get', 'leases', { signal }, (config) =>
        this.deps.coordination.readNamespacedLeaseWithHttpInfo(
          { namespace: this.namespace, name: this.options.name },
          config,
        ),
      );
    } catch (err) {
      if (err instanceof KubeApiError && err.notFound) return undefined;
      throw err;
    }
  }

  private observe(lease: V1Lease): void {
    const holder = lease.spec?.holderIdentity ?? '';
    const renewTime = String(lease.spec?.renewTime ?? '');
    if (!this.observed || this.observed.holder !== holder || this.observed.renewTime !== renewTime) {
      this.observed = { holder, renewTime, seenAt: this.deps.clock.now() };
    }
  }

  /** Hands the lease back so a follower takes over at once instead of after the lease duration. */
  private async release(): Promise<void> {
    try {
      const lease = await this.read();
      if (!lease || lease.spec?.holderIdentity !== this.options.identity) return;
      const body: V1Lease = {
        ...lease,
        spec: {
          ...lease.spec,
          holderIdentity: undefined,
          leaseDurationSeconds: 1,
          renewTime: new V1MicroTime(this.deps.clock.now()),
        },
      };
      await this.deps.requester.call('replace', 'leases', {}, (config) =>
        this.deps.coordination.replaceNamespacedLeaseWithHttpInfo(
          { namespace: this.namespace, name: this.options.name, body },
          config,
        ),
      );
    } catch (err) {
      this.deps.logger.warn('releasing the lease failed; a follower takes over when it expires', {
        error: (err as Error).message,
      });
    }
  }

  private sleep(ms: number): Promise<void> {
    return sleep(this.deps.clock, ms, this.stopping.signal).catch(() => undefined);
  }
}
