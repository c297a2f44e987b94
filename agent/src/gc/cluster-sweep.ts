/**
 * One pass of the cluster duties (run by the elected agent only): TTL-expired fixed EIPs,
 * Follow EIPs whose pod vanished with its node, Static PodEIPs whose pod is gone, deleted
 * PodEIPs, and tagged orphans that nothing owns. Each item is handled on its own: one failure is
 * counted and logged, and never stops the rest of the sweep (Terway's GC stopped at the first error).
 *
 * A PodEIP is a pointer, never proof (binding/podeip-trust.ts): the sweep releases an EIP only
 * when its tags say podeip allocated it for that namespace and pod name, and unbinds one only
 * from where podeip's binding mark says podeip put it. An untrusted PodEIP is reported, not acted on.
 */
import type { Registry } from 'prom-client';
import { Counter, Gauge, Histogram } from 'prom-client';
import type { CloudClient, Eip } from '../cloud/types.js';
import type { EventType, KubeGateway, ObjectRef, PodEip, PodInfo } from '../kube/types.js';
import type { Logger } from '../log/logger.js';
import type { StaticEipPolicy } from '../domain/grants.js';
import { isBoundByUs, isOwnedFor, MANAGED_BY, TAG_CLUSTER_ID, TAG_MANAGED_BY } from '../domain/ownership.js';
import { boundByPodEip, distrust } from '../domain/podeip-trust.js';
import { decidePodEip, isOrphan, POD_GONE_SINCE_ANNOTATION, taggedPod, type ReleaseReason } from './policy.js';
import { unbind, unbindAndRelease } from './eip-teardown.js';
import { poolNodeOf } from '../domain/pool-tags.js';
import { errorText } from '../../../lib/error-text.js';

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
  staticEipPolicy: StaticEipPolicy;
  orphanGraceMs: number;
  followGraceMs: number;
  now?: () => number;
}

export class ClusterSweep {
  private readonly untrusted: Gauge;
  private readonly released: Counter<'reason'>;
  private readonly orphans: Counter;
  private readonly runs: Counter<'result'>;
  private readonly duration: Histogram;
  private readonly now: () => number;

  constructor(private readonly deps: ClusterSweepDeps) {
    this.now = deps.now ?? Date.now;
    this.untrusted = new Gauge({
      name: 'podeip_untrusted_podeips',
      help: 'PodEIPs the last cluster sweep found naming an EIP podeip may not act on for them (not allocated for that pod, or a static EIP not granted to the namespace).',
      registers: [deps.registry],
    });
    this.runs = new Counter({
      name: 'podeip_gc_runs_total',
      help: 'Cluster sweeps run by the elected agent, by result (success, partial, failed).',
      labelNames: ['result'],
      registers: [deps.registry],
    });
    this.released = new Counter({
      name: 'podeip_gc_released_total',
      help: 'EIPs the cluster sweep released or let go, by reason (ttl-expired, follow-pod-gone, orphan, static-forgotten).',
      labelNames: ['reason'],
      registers: [deps.registry],
    });
    this.orphans = new Counter({
      name: 'podeip_orphans_swept_total',
      help: "EIPs with this cluster's tags that nothing owned and the sweep released.",
      registers: [deps.registry],
    });
    this.duration = new Histogram({
      name: 'podeip_gc_duration_seconds',
      help: 'How long one cluster sweep took.',
      buckets: [0.1, 0.5, 1, 5, 15, 60, 300],
      registers: [deps.registry],
    });
  }

  async run(signal: AbortSignal): Promise<SweepReport> {
    const started = this.now();
    const report: SweepReport = { podEips: 0, released: 0, forgotten: 0, orphansReleased: 0, errors: 0, poolEips: 0 };
    try {
      const podEips = await this.deps.kube.listPodEips(signal);
      report.podEips = podEips.length;
      let untrusted = 0;
      for (const podEip of podEips) {
        signal.throwIfAborted();
        await this.guarded(report, `PodEIP ${podEip.namespace}/${podEip.name}`, async () => {
          if (!(await this.sweepPodEip(podEip, report, signal))) untrusted += 1;
        });
      }
      this.untrusted.set(untrusted);
      const referenced = new Set(podEips.map((p) => p.spec.allocationID).filter(Boolean));
      const tagged = await this.deps.cloud.listEipsByTags(
        { [TAG_CLUSTER_ID]: this.deps.clusterId, [TAG_MANAGED_BY]: MANAGED_BY },
        signal,
      );
      const pooled = tagged.filter((eip) => poolNodeOf(eip.tags, this.deps.clusterId) !== undefined);
      report.poolEips = pooled.length;
      const liveNodes = pooled.length > 0 ? await this.deps.kube.listNodeNames(signal) : new Set<string>();
      for (const eip of tagged) {
        signal.throwIfAborted();
        await this.guarded(report, `EIP ${eip.allocationId}`, () =>
          this.sweepOrphan(eip, referenced, liveNodes, report, signal),
        );
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
      if (err instanceof Error && err.name === 'AbortError') throw err;
      report.errors += 1;
      this.deps.logger.warn('cluster sweep: item failed; continuing with the rest', {
        item: what,
        err: errorText(err),
      });
    }
  }

  private async lookupPod(namespace: string, name: string, signal: AbortSignal): Promise<PodInfo | undefined> {
    return this.deps.kube.pods.get(namespace, name, signal);
  }

  /** Resolves false when the PodEIP is untrusted (reported, not acted on). */
  private async sweepPodEip(podEip: PodEip, report: SweepReport, signal: AbortSignal): Promise<boolean> {
    const eip = podEip.spec.allocationID
      ? await this.deps.cloud.describeEip(podEip.spec.allocationID, signal)
      : undefined;
    if (eip && podEip.spec.allocationType.type === 'Auto' && poolNodeOf(eip.tags, this.deps.clusterId) !== undefined) {
      // Its node's agent recycled the EIP into the warm pool; only the PodEIP is left to go. No EIP is touched.
      await this.dropPodEip(podEip, signal);
      return true;
    }
    const why = distrust(podEip, eip, {
      clusterId: this.deps.clusterId,
      staticEipPolicy: this.deps.staticEipPolicy,
      namespaceAnnotations:
        podEip.spec.allocationType.type === 'Static' && this.deps.staticEipPolicy === 'Granted'
          ? await this.deps.kube.namespaceAnnotations(podEip.namespace, signal)
          : {},
    });
    if (why !== undefined) {
      this.deps.logger.warn('cluster sweep: untrusted PodEIP; not acting on it', {
        podEip: `${podEip.namespace}/${podEip.name}`,
        allocationId: eip?.allocationId,
        why,
      });
      this.event(podEip, 'Warning', 'UntrustedPodEip', `podeip does not act on this PodEIP: ${why}`);
      // Its deletion still finishes: the finalizer is podeip's, the EIP is left exactly as it is.
      if (podEip.deletionTimestamp) await this.deps.kube.removePodEipFinalizer(podEip.namespace, podEip.name, signal);
      return false;
    }
    const pod = await this.lookupPod(podEip.namespace, podEip.name, signal);
    const decision = decidePodEip({ podEip, pod, now: this.now(), followGraceMs: this.deps.followGraceMs });
    const { kube } = this.deps;
    switch (decision.action) {
      case 'keep':
        return true;
      case 'wait-for-pod':
        this.event(
          podEip,
          'Normal',
          'PodEipDeletionWaiting',
          `PodEIP deleted while pod ${podEip.namespace}/${podEip.name} still runs; its EIP is let go once the pod is gone`,
        );
        return true;
      case 'mark-gone':
        await kube.annotatePodEip(
          podEip.namespace,
          podEip.name,
          { [POD_GONE_SINCE_ANNOTATION]: new Date(this.now()).toISOString() },
          signal,
        );
        return true;
      case 'clear-gone':
        await kube.annotatePodEip(podEip.namespace, podEip.name, { [POD_GONE_SINCE_ANNOTATION]: null }, signal);
        return true;
      case 'forget-static': {
        if (eip && boundByPodEip(eip, podEip, this.deps.clusterId)) await unbind(this.deps.cloud, eip, signal);
        await this.dropPodEip(podEip, signal);
        this.released.inc({ reason: 'static-forgotten' });
        report.forgotten += 1;
        this.event(
          podEip,
          'Normal',
          'EipUnbound',
          `${this.because(decision.reason)}: static EIP ${podEip.spec.allocationID} unbound and left to its owner`,
        );
        return true;
      }
      case 'release': {
        if (eip && eip.status !== 'Available' && !boundByPodEip(eip, podEip, this.deps.clusterId)) {
          this.deps.logger.warn(
            'cluster sweep: EIP is bound where podeip did not bind it; neither unbinding nor releasing it',
            {
              podEip: `${podEip.namespace}/${podEip.name}`,
              allocationId: eip.allocationId,
              instanceId: eip.instanceId,
              privateIp: eip.privateIpAddress,
            },
          );
          this.event(
            podEip,
            'Warning',
            'EipBoundElsewhere',
            `EIP ${eip.allocationId} is bound to ${eip.instanceId} where podeip did not bind it; not released. Unbind it there and the next sweep releases it`,
          );
          return true;
        }
        if (eip) await unbindAndRelease(this.deps.cloud, eip.allocationId, signal);
        await this.dropPodEip(podEip, signal);
        this.released.inc({ reason: decision.reason });
        report.released += 1;
        this.event(
          podEip,
          'Normal',
          'EipReleased',
          `Released EIP ${podEip.status.eipAddress ?? ''} (${podEip.spec.allocationID}): ${decision.reason}`,
        );
        return true;
      }
    }
  }

  private because(reason: ReleaseReason): string {
    return reason === 'podeip-deleted' ? 'PodEIP deleted' : 'Pod gone';
  }

  private async sweepOrphan(
    eip: Eip,
    referenced: ReadonlySet<string>,
    liveNodes: ReadonlySet<string>,
    report: SweepReport,
    signal: AbortSignal,
  ): Promise<void> {
    if (referenced.has(eip.allocationId)) return;
    // A pool EIP is its node's as long as that node exists; a dead node's pool is the sweep's.
    const poolNode = poolNodeOf(eip.tags, this.deps.clusterId);
    if (poolNode !== undefined && liveNodes.has(poolNode)) return;
    const owner = taggedPod(eip);
    const pod = owner ? await this.lookupPod(owner.namespace, owner.name, signal) : undefined;
    if (!isOrphan({ eip, referenced, pod, now: this.now(), graceMs: this.deps.orphanGraceMs })) return;
    // Ours to release: a dead node's idle pool EIP (the pool's own tags), or one allocated for a pod.
    if (poolNode !== undefined) {
      if (eip.status !== 'Available') return;
    } else if (!owner || !isOwnedFor(eip.tags, this.deps.clusterId, owner.namespace, owner.name)) {
      return;
    } else if (
      eip.status !== 'Available' &&
      !isBoundByUs(eip.tags, this.deps.clusterId, owner.namespace, owner.name, eip.privateIpAddress)
    ) {
      this.deps.logger.warn('cluster sweep: orphaned EIP is bound where podeip did not bind it; leaving it', {
        allocationId: eip.allocationId,
        instanceId: eip.instanceId,
      });
      return;
    }
    this.deps.logger.info('cluster sweep: releasing orphaned EIP', {
      allocationId: eip.allocationId,
      ipAddress: eip.ipAddress,
      tags: eip.tags,
    });
    await unbindAndRelease(this.deps.cloud, eip.allocationId, signal);
    this.orphans.inc();
    this.released.inc({ reason: 'orphan' });
    report.orphansReleased += 1;
  }

  private async dropPodEip(podEip: PodEip, signal: AbortSignal): Promise<void> {
    await this.deps.kube.deletePodEip(podEip.namespace, podEip.name, signal);
    await this.deps.kube.removePodEipFinalizer(podEip.namespace, podEip.name, signal);
  }

  private event(podEip: PodEip, type: EventType, reason: string, message: string): void {
    const ref: ObjectRef = { kind: 'PodEIP', namespace: podEip.namespace, name: podEip.name, uid: podEip.uid };
    this.deps.kube.recordEvent(ref, type, reason, message);
  }
}
