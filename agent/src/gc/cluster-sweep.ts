/**
 * One pass of the cluster duties (run by the elected agent only): TTL-expired fixed EIPs,
 * Follow EIPs whose pod vanished with its node, Static PodEIPs whose pod is gone, and tagged
 * orphans that nothing owns. Each item is handled on its own: one failure is counted and
 * logged, and never stops the rest of the sweep (Terway's GC stopped at the first error).
 */
import type { Registry } from 'prom-client';
import { Counter, Histogram } from 'prom-client';
import type { CloudClient, Eip } from '../cloud/types.js';
import type { KubeGateway, ObjectRef, PodEip, PodInfo } from '../kube/types.js';
import type { Logger } from '../log/logger.js';
import { MANAGED_BY, TAG_CLUSTER_ID, TAG_MANAGED_BY } from '../binding/ownership.js';
import { decidePodEip, isOrphan, POD_GONE_SINCE_ANNOTATION, taggedPod } from './policy.js';
import { unbind, unbindAndRelease } from './eip-teardown.js';
import { poolNodeOf } from '../pool/pool-tags.js';

export interface SweepReport {
  podEips: number;
  released: number;
  forgotten: number;
  orphansReleased: number;
  errors: number;
  /** Idle pool EIPs of this cluster seen by the listing (podeip.io/pool, no pod tags). */
  poolEips: number;
}

export interface ClusterSweepDeps {
  kube: KubeGateway;
  cloud: CloudClient;
  logger: Logger;
  registry: Registry;
  clusterId: string;
  orphanGraceMs: number;
  followGraceMs: number;
  now?: () => number;
}

export class ClusterSweep {
  private readonly released: Counter<'reason'>;
  private readonly orphans: Counter;
  private readonly runs: Counter<'result'>;
  private readonly duration: Histogram;
  private readonly now: () => number;

  constructor(private readonly deps: ClusterSweepDeps) {
    this.now = deps.now ?? Date.now;
    this.runs = new Counter({ name: 'podeip_gc_runs_total', help: 'Cluster sweeps run by the elected agent, by result (success, partial, failed).', labelNames: ['result'], registers: [deps.registry] });
    this.released = new Counter({ name: 'podeip_gc_released_total', help: 'EIPs the cluster sweep released or let go, by reason (ttl-expired, follow-pod-gone, orphan, static-forgotten).', labelNames: ['reason'], registers: [deps.registry] });
    this.orphans = new Counter({ name: 'podeip_orphans_swept_total', help: 'EIPs with this cluster\'s tags that nothing owned and the sweep released.', registers: [deps.registry] });
    this.duration = new Histogram({ name: 'podeip_gc_duration_seconds', help: 'How long one cluster sweep took.', buckets: [0.1, 0.5, 1, 5, 15, 60, 300], registers: [deps.registry] });
  }

  async run(signal: AbortSignal): Promise<SweepReport> {
    const started = this.now();
    const report: SweepReport = { podEips: 0, released: 0, forgotten: 0, orphansReleased: 0, errors: 0, poolEips: 0 };
    try {
      const podEips = await this.deps.kube.listPodEips(signal);
      report.podEips = podEips.length;
      for (const podEip of podEips) {
        signal.throwIfAborted();
        await this.guarded(report, `PodEIP ${podEip.namespace}/${podEip.name}`, () => this.sweepPodEip(podEip, report, signal));
      }
      const referenced = new Set(podEips.map((p) => p.spec.allocationID).filter(Boolean));
      const tagged = await this.deps.cloud.listEipsByTags({ [TAG_CLUSTER_ID]: this.deps.clusterId, [TAG_MANAGED_BY]: MANAGED_BY }, signal);
      const pooled = tagged.filter((eip) => poolNodeOf(eip.tags, this.deps.clusterId) !== undefined);
      report.poolEips = pooled.length;
      const liveNodes = pooled.length > 0 ? await this.deps.kube.listNodeNames(signal) : new Set<string>();
      for (const eip of tagged) {
        signal.throwIfAborted();
        await this.guarded(report, `EIP ${eip.allocationId}`, () => this.sweepOrphan(eip, referenced, liveNodes, report, signal));
      }
      this.runs.inc({ result: report.errors ? 'partial' : 'success' });
    } catch (err) {
      this.runs.inc({ result: 'failed' });
      throw err;
    } finally {
      this.duration.observe((this.now() - started) / 1000);
    }
    return report;
  }

  private async guarded(report: SweepReport, what: string, work: () => Promise<void>): Promise<void> {
    try {
      await work();
    } catch (err) {
      if ((err as Error)?.name === 'AbortError') throw err;
      report.errors += 1;
      this.deps.logger.warn('cluster sweep: item failed; continuing with the rest', { item: what, err: String((err as Error)?.message ?? err) });
    }
  }

  private async lookupPod(namespace: string, name: string, signal: AbortSignal): Promise<PodInfo | undefined> {
    return this.deps.kube.pods.get(namespace, name, signal);
  }

  private async sweepPodEip(podEip: PodEip, report: SweepReport, signal: AbortSignal): Promise<void> {
    const pod = await this.lookupPod(podEip.namespace, podEip.name, signal);
    const decision = decidePodEip({ podEip, pod, now: this.now(), followGraceMs: this.deps.followGraceMs });
    const { kube } = this.deps;
    switch (decision.action) {
      case 'keep':
        return;
      case 'mark-gone':
        await kube.annotatePodEip(podEip.namespace, podEip.name, { [POD_GONE_SINCE_ANNOTATION]: new Date(this.now()).toISOString() }, signal);
        return;
      case 'clear-gone':
        await kube.annotatePodEip(podEip.namespace, podEip.name, { [POD_GONE_SINCE_ANNOTATION]: null }, signal);
        return;
      case 'forget-static': {
        const eip = await this.deps.cloud.describeEip(podEip.spec.allocationID, signal);
        if (eip && this.pointsAtPodEip(eip, podEip)) await unbind(this.deps.cloud, eip, signal);
        await this.dropPodEip(podEip, signal);
        this.released.inc({ reason: 'static-forgotten' });
        report.forgotten += 1;
        this.event(podEip, 'EipUnbound', `Pod gone: static EIP ${podEip.spec.allocationID} unbound and left to its owner`);
        return;
      }
      case 'release': {
        const eip = await this.deps.cloud.describeEip(podEip.spec.allocationID, signal);
        if (eip && poolNodeOf(eip.tags, this.deps.clusterId) !== undefined) {
          // Its node's agent recycled it into the warm pool; only the PodEIP is left to go.
          await this.dropPodEip(podEip, signal);
          return;
        }
        if (eip && !this.mayRelease(eip)) {
          this.deps.logger.warn('cluster sweep: PodEIP names an EIP tagged by another cluster; not releasing', { podEip: `${podEip.namespace}/${podEip.name}`, allocationId: eip.allocationId });
          return;
        }
        if (eip) await unbindAndRelease(this.deps.cloud, eip.allocationId, signal);
        await this.dropPodEip(podEip, signal);
        this.released.inc({ reason: decision.reason });
        report.released += 1;
        this.event(podEip, 'EipReleased', `Released EIP ${podEip.status.eipAddress ?? ''} (${podEip.spec.allocationID}): ${decision.reason}`);
        return;
      }
    }
  }

  private async sweepOrphan(eip: Eip, referenced: ReadonlySet<string>, liveNodes: ReadonlySet<string>, report: SweepReport, signal: AbortSignal): Promise<void> {
    if (referenced.has(eip.allocationId)) return;
    // A pool EIP is its node's as long as that node exists; a dead node's pool is the sweep's.
    const poolNode = poolNodeOf(eip.tags, this.deps.clusterId);
    if (poolNode !== undefined && liveNodes.has(poolNode)) return;
    const owner = taggedPod(eip);
    const pod = owner ? await this.lookupPod(owner.namespace, owner.name, signal) : undefined;
    if (!isOrphan({ eip, referenced, pod, now: this.now(), graceMs: this.deps.orphanGraceMs })) return;
    this.deps.logger.info('cluster sweep: releasing orphaned EIP', { allocationId: eip.allocationId, ipAddress: eip.ipAddress, tags: eip.tags });
    await unbindAndRelease(this.deps.cloud, eip.allocationId, signal);
    this.orphans.inc();
    this.released.inc({ reason: 'orphan' });
    report.orphansReleased += 1;
  }

  /**
   * An EIP the PodEIP says is Auto may be released when this cluster's tags are on it, or when it
   * carries no podeip tags at all (allocated by ack-extend-network-controller, whose PodEIPs we adopt).
   */
  private mayRelease(eip: Eip): boolean {
    const cluster = eip.tags[TAG_CLUSTER_ID];
    return cluster === undefined || cluster === this.deps.clusterId;
  }

  private pointsAtPodEip(eip: Eip, podEip: PodEip): boolean {
    return eip.status === 'InUse'
      && eip.instanceId === (podEip.status.networkInterfaceID ?? '')
      && (eip.privateIpAddress === '' || eip.privateIpAddress === (podEip.status.privateIPAddress ?? ''));
  }

  private async dropPodEip(podEip: PodEip, signal: AbortSignal): Promise<void> {
    await this.deps.kube.deletePodEip(podEip.namespace, podEip.name, signal);
    await this.deps.kube.removePodEipFinalizer(podEip.namespace, podEip.name, signal);
  }

  private event(podEip: PodEip, reason: string, message: string): void {
    const ref: ObjectRef = { kind: 'PodEIP', namespace: podEip.namespace, name: podEip.name, uid: podEip.uid };
    this.deps.kube.recordEvent(ref, 'Normal', reason, message);
  }
}
