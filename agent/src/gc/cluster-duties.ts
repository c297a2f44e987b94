/**
 * Runs the cluster sweep every garbageCollectionPeriodInMinutes on whichever agent holds the
 * `podeip-gc` Lease. Losing the Lease aborts the sweep in flight; each step is idempotent, so
 * the next leader simply starts over.
 */
import type { Registry } from 'prom-client';
import { setTimeout as sleep } from 'node:timers/promises';
import type { CloudClient } from '../cloud/types.js';
import type { KubeGateway, LeaderElector } from '../kube/types.js';
import type { Logger } from '../log/logger.js';
import type { StaticEipPolicy } from '../domain/grants.js';
import { ClusterSweep } from './cluster-sweep.js';
import { EIP_COUNT_ANNOTATION, encodeListing } from '../quota/eip-quota.js';
import { errorText } from '../../../lib/error-text.js';

export interface ClusterDutiesDeps {
  kube: KubeGateway;
  cloud: CloudClient;
  logger: Logger;
  registry: Registry;
  elector: LeaderElector;
  clusterId: string;
  staticEipPolicy: StaticEipPolicy;
  periodMs: number;
  orphanGraceMs: number;
  now?: () => number;
}

export class ClusterDuties {
  private readonly sweep: ClusterSweep;
  private readonly logger: Logger;

  constructor(private readonly deps: ClusterDutiesDeps) {
    this.logger = deps.logger.child({ component: 'gc' });
    this.sweep = new ClusterSweep({
      kube: deps.kube,
      cloud: deps.cloud,
      logger: this.logger,
      registry: deps.registry,
      clusterId: deps.clusterId,
      staticEipPolicy: deps.staticEipPolicy,
      orphanGraceMs: deps.orphanGraceMs,
      // The node's own agent normally releases a Follow EIP at once; the sweep covers dead nodes.
      followGraceMs: 2 * deps.periodMs,
      now: deps.now,
    });
  }

  start(): void {
    this.deps.elector.run({
      onStartedLeading: (signal) => this.lead(signal),
      onStoppedLeading: () => this.logger.info('no longer the GC leader'),
    });
  }

  async stop(): Promise<void> {
    await this.deps.elector.stop();
  }

  /** Every node's quota view follows this count (docs/architecture.md, "Quota"). */
  private async publishListing(poolEips: number, listedAt: number, signal: AbortSignal): Promise<void> {
    const eips = await this.deps.cloud.countEips(signal);
    this.deps.elector.publish({ [EIP_COUNT_ANNOTATION]: encodeListing({ eips, pool: poolEips, listedAt }) });
  }

  private async lead(signal: AbortSignal): Promise<void> {
    this.logger.info('elected GC leader', { periodSeconds: this.deps.periodMs / 1000 });
    while (!signal.aborted) {
      try {
        // Stamped before the sweep lists the pool EIPs: a node's change made meanwhile counts twice, never not at all.
        const listedAt = (this.deps.now ?? Date.now)();
        const report = await this.sweep.run(signal);
        this.logger.info('cluster sweep done', { ...report });
        await this.publishListing(report.poolEips, listedAt, signal);
      } catch (err) {
        if (signal.aborted) break; // eslint-disable-line @typescript-eslint/no-unnecessary-condition -- aborted may change across an await
        this.logger.warn('cluster sweep failed; retrying next period', { err: errorText(err) });
      }
      try {
        await sleep(this.deps.periodMs, undefined, { signal });
      } catch {
        break;
      }
    }
  }
}
