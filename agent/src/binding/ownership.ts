/**
 * How an EIP we allocate says it is ours: the ownership tags (what the cluster sweep and a
 * restarted agent look for) and the ClientToken that makes a retried AllocateEipAddress return
 * the same EIP instead of a second one.
 */
import { createHash } from 'node:crypto';

export const TAG_CLUSTER_ID = 'podeip.io/cluster-id';
export const TAG_NAMESPACE = 'podeip.io/namespace';
export const TAG_POD_NAME = 'podeip.io/pod-name';
export const TAG_POD_UID = 'podeip.io/pod-uid';
export const TAG_NODE = 'podeip.io/node';
export const TAG_MANAGED_BY = 'podeip.io/managed-by';
export const MANAGED_BY = 'podeip';

export const OWNERSHIP_TAG_KEYS = [TAG_CLUSTER_ID, TAG_NAMESPACE, TAG_POD_NAME, TAG_POD_UID, TAG_NODE, TAG_MANAGED_BY] as const;

export interface Owner {
  clusterId: string;
  namespace: string;
  podName: string;
  podUid: string;
  node: string;
}

/** User tags first, ours last so a user tag can never impersonate an owner (annotations reject podeip.io/ keys anyway). */
export function ownershipTags(owner: Owner, userTags: Record<string, string> = {}): Record<string, string> {
  return {
    ...userTags,
    [TAG_CLUSTER_ID]: owner.clusterId,
    [TAG_NAMESPACE]: owner.namespace,
    [TAG_POD_NAME]: owner.podName,
    [TAG_POD_UID]: owner.podUid,
    [TAG_NODE]: owner.node,
    [TAG_MANAGED_BY]: MANAGED_BY,
  };
}

/** The tags that find every EIP this cluster allocated for one pod object. */
export function podSelectorTags(clusterId: string, podUid: string): Record<string, string> {
  return { [TAG_CLUSTER_ID]: clusterId, [TAG_POD_UID]: podUid, [TAG_MANAGED_BY]: MANAGED_BY };
}

/** True when the EIP's tags say this cluster allocated it for this pod object. */
export function isOwnedBy(tags: Record<string, string>, clusterId: string, podUid: string): boolean {
  return tags[TAG_MANAGED_BY] === MANAGED_BY && tags[TAG_CLUSTER_ID] === clusterId && tags[TAG_POD_UID] === podUid;
}

/**
 * Deterministic per (cluster, pod UID, generation): the same attempt always sends the same
 * token, and a pod that needs a new EIP after releasing one bumps the generation. 55 ASCII chars.
 */
export function clientToken(clusterId: string, podUid: string, generation: number): string {
  const digest = createHash('sha256').update(`${clusterId}\n${podUid}\n${generation}`).digest('hex');
  return `podeip-${digest.slice(0, 48)}`;
}
