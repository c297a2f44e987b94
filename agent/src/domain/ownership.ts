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
/**
 * Written by podeip on every EIP right before it associates it: a digest of (cluster, namespace,
 * pod name, private IP). Only podeip writes cloud tags, so an EIP pointing at the IP this mark
 * names was put there by one of podeip's own bindings: the proof a PodEIP can never give.
 */
export const TAG_BINDING = 'podeip.io/binding';

export const OWNERSHIP_TAG_KEYS = [
  TAG_CLUSTER_ID,
  TAG_NAMESPACE,
  TAG_POD_NAME,
  TAG_POD_UID,
  TAG_NODE,
  TAG_MANAGED_BY,
  TAG_BINDING,
] as const;

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

/**
 * Rule 1 of docs/architecture.md: the EIP's tags say this cluster allocated it for this namespace
 * and pod name (any incarnation of the name: a fixed EIP serves every pod of that name). The
 * only proof podeip accepts before releasing an EIP or reusing it for a pod.
 */
export function isOwnedFor(
  tags: Record<string, string>,
  clusterId: string,
  namespace: string,
  podName: string,
): boolean {
  return (
    tags[TAG_MANAGED_BY] === MANAGED_BY &&
    tags[TAG_CLUSTER_ID] === clusterId &&
    tags[TAG_NAMESPACE] === namespace &&
    tags[TAG_POD_NAME] === podName
  );
}

/** The EIP carries podeip's ownership tags for another cluster or another namespace. */
export function isOwnedElsewhere(tags: Record<string, string>, clusterId: string, namespace: string): boolean {
  const cluster = tags[TAG_CLUSTER_ID];
  const ns = tags[TAG_NAMESPACE];
  return (cluster !== undefined && cluster !== clusterId) || (ns !== undefined && ns !== namespace);
}

/** The EIP carries no podeip ownership tag at all (an EIP of the user's, or of an earlier controller). */
export function isUntagged(tags: Record<string, string>): boolean {
  return OWNERSHIP_TAG_KEYS.every((key) => tags[key] === undefined);
}

/** The value of TAG_BINDING for a binding of this pod name to this private IP. */
export function bindingMark(clusterId: string, namespace: string, podName: string, privateIp: string): string {
  return createHash('sha256').update(`${clusterId}\n${namespace}\n${podName}\n${privateIp}`).digest('hex').slice(0, 40);
}

/**
 * The EIP points at `privateIp` (the cloud reports an empty private IP for an ENI's primary IP,
 * so the caller passes the IP it believes the EIP is on) because podeip bound it there for this
 * pod name. Any unbind that a Kubernetes object asks for needs this.
 */
export function isBoundByUs(
  tags: Record<string, string>,
  clusterId: string,
  namespace: string,
  podName: string,
  privateIp: string,
): boolean {
  return privateIp !== '' && tags[TAG_BINDING] === bindingMark(clusterId, namespace, podName, privateIp);
}

/**
 * Deterministic per (cluster, pod UID, generation): the same attempt always sends the same
 * token, and a pod that needs a new EIP after releasing one bumps the generation. 55 ASCII chars.
 */
export function clientToken(clusterId: string, podUid: string, generation: number): string {
  const digest = createHash('sha256').update(`${clusterId}\n${podUid}\n${generation}`).digest('hex');
  return `podeip-${digest.slice(0, 48)}`;
}
