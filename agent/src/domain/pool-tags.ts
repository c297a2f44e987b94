/**
 * How a pool EIP says it is podeip's: this cluster's ownership tag, podeip's managed-by tag and
 * `podeip.io/pool: <node>`, and no pod tags. Once a pod takes it, the pod's ownership tags rule
 * (every pod-EIP rule applies from then on), whatever pool tag is still on it.
 */
import { MANAGED_BY, TAG_CLUSTER_ID, TAG_MANAGED_BY, TAG_POD_UID } from './ownership.js';

export const TAG_POOL = 'podeip.io/pool';

export function poolTags(clusterId: string, nodeName: string): Record<string, string> {
  return { [TAG_CLUSTER_ID]: clusterId, [TAG_MANAGED_BY]: MANAGED_BY, [TAG_POOL]: nodeName };
}

/** The node whose pool holds this EIP, when its tags say it is an idle pool EIP of this cluster. */
export function poolNodeOf(tags: Record<string, string>, clusterId: string): string | undefined {
  if (tags[TAG_MANAGED_BY] !== MANAGED_BY || tags[TAG_CLUSTER_ID] !== clusterId) return undefined;
  if (tags[TAG_POD_UID] !== undefined) return undefined;
  return tags[TAG_POOL] || undefined;
}
