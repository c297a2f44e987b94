/**
 * What the cluster sweep does with each PodEIP and each tagged cloud EIP: pure decisions, so
 * every rule can be tested without a cluster. The sweep (cluster-sweep.ts) gathers the facts
 * and carries the decisions out.
 *
 * Safety rules:
 * - Never early: a TTL counts from when the sweep first saw the pod gone (persisted on the
 *   PodEIP), which is never before the pod was deleted.
 * - Never release what we did not allocate: a Static PodEIP only loses its binding and record.
 * - An orphan is an EIP with our cluster's tags that no PodEIP names, whose pod object no
 *   longer exists, and that is older than the grace period (an agent may be between Allocate
 *   and its PodEIP write).
 */
import { releaseAfterMs } from '../domain/release-strategy.js';
import type { PodEip, PodInfo } from '../kube/types.js';
import type { Eip } from '../cloud/types.js';
import { TAG_NAMESPACE, TAG_POD_NAME, TAG_POD_UID } from '../domain/ownership.js';

/** Annotation on a PodEIP: RFC 3339 time the sweep first saw its pod gone. */
export const POD_GONE_SINCE_ANNOTATION = 'podeip.io/pod-gone-since';
/** Label on a PodEIP: the UID of the pod object it was made for (a Follow PodEIP belongs to that object only). */
export const POD_UID_LABEL = 'podeip.io/pod-uid';

export type ReleaseReason = 'ttl-expired' | 'follow-pod-gone' | 'podeip-deleted';

export type PodEipDecision =
  | { action: 'keep'; why: string }
  | { action: 'wait-for-pod' }
  | { action: 'mark-gone' }
  | { action: 'clear-gone' }
  | { action: 'release'; reason: ReleaseReason }
  | { action: 'forget-static'; reason: ReleaseReason };

export interface PodEipFacts {
  podEip: PodEip;
  /** The pod of the same namespace/name, if it exists. */
  pod: PodInfo | undefined;
  now: number;
  /** How long a Follow PodEIP's pod must have been seen gone before the sweep acts (the node agent usually acts first). */
  followGraceMs: number;
}

function podIsGone(podEip: PodEip, pod: PodInfo | undefined): boolean {
  if (!pod) return true;
  const ownerUid = podEip.labels[POD_UID_LABEL];
  // A Follow PodEIP belongs to one pod object; a fixed one to whatever pod has the name.
  if (podEip.spec.allocationType.releaseStrategy === 'Follow' && ownerUid && ownerUid !== pod.uid) return true;
  return false;
}

function teardown(podEip: PodEip, reason: ReleaseReason): PodEipDecision {
  return podEip.spec.allocationType.type === 'Static'
    ? { action: 'forget-static', reason }
    : { action: 'release', reason };
}

export function decidePodEip({ podEip, pod, now, followGraceMs }: PodEipFacts): PodEipDecision {
  // A deleted PodEIP is the user's word that its EIP may go, but never from under a running pod.
  if (podEip.deletionTimestamp)
    return podIsGone(podEip, pod) ? teardown(podEip, 'podeip-deleted') : { action: 'wait-for-pod' };
  const goneSinceText = podEip.annotations[POD_GONE_SINCE_ANNOTATION];
  if (!podIsGone(podEip, pod)) {
    return goneSinceText ? { action: 'clear-gone' } : { action: 'keep', why: 'pod exists' };
  }
  const { releaseStrategy, releaseAfter } = podEip.spec.allocationType;
  if (releaseStrategy === 'Never') return { action: 'keep', why: 'releaseStrategy Never' };
  if (!goneSinceText) return { action: 'mark-gone' };
  const goneSince = Date.parse(goneSinceText);
  if (Number.isNaN(goneSince)) return { action: 'mark-gone' };

  let waitMs: number;
  let reason: ReleaseReason;
  if (releaseStrategy === 'TTL') {
    const ttl = releaseAfterMs(releaseAfter ?? '');
    if (ttl === undefined) return { action: 'keep', why: `releaseAfter "${releaseAfter}" is not a Go duration` };
    waitMs = ttl;
    reason = 'ttl-expired';
  } else {
    waitMs = followGraceMs;
    reason = 'follow-pod-gone';
  }
  if (now - goneSince < waitMs)
    return {
      action: 'keep',
      why: `pod gone for ${Math.round((now - goneSince) / 1000)}s of ${Math.round(waitMs / 1000)}s`,
    };
  return teardown(podEip, reason);
}

export interface OrphanFacts {
  eip: Eip;
  /** Allocation ids some PodEIP names. */
  referenced: ReadonlySet<string>;
  /** The pod named by the EIP's tags, if it exists. */
  pod: PodInfo | undefined;
  now: number;
  graceMs: number;
}

export function isOrphan({ eip, referenced, pod, now, graceMs }: OrphanFacts): boolean {
  if (referenced.has(eip.allocationId)) return false;
  if (pod && pod.uid === eip.tags[TAG_POD_UID]) return false;
  const allocatedAt = Date.parse(eip.allocationTime);
  // An EIP without a readable allocation time is judged by the grace period from now on: never early.
  if (Number.isNaN(allocatedAt)) return false;
  return now - allocatedAt >= graceMs;
}

/** namespace/name of the pod an EIP's ownership tags name, if they do. */
export function taggedPod(eip: Eip): { namespace: string; name: string } | undefined {
  const namespace = eip.tags[TAG_NAMESPACE];
  const name = eip.tags[TAG_POD_NAME];
  return namespace && name ? { namespace, name } : undefined;
}
