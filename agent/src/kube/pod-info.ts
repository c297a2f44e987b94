import type { OwnerRef, PodInfo } from './types.js';

/**
 * The slice of a Pod the agent reads. Accepts both client-node's deserialized V1Pod (dates as
 * Date) and raw watch JSON (dates as strings), since the informer gets one from list and the
 * other from watch.
 */
export function toPodInfo(pod: RawPod): PodInfo {
  const metadata = pod.metadata ?? {};
  const info: PodInfo = {
    namespace: metadata.namespace ?? '',
    name: metadata.name ?? '',
    uid: metadata.uid ?? '',
    nodeName: pod.spec?.nodeName ?? '',
    annotations: { ...(metadata.annotations ?? {}) },
    ownerReferences: (metadata.ownerReferences ?? []).map((ref): OwnerRef => ({
      apiVersion: ref.apiVersion ?? '',
      kind: ref.kind ?? '',
      name: ref.name ?? '',
      uid: ref.uid ?? '',
      controller: ref.controller === true,
    })),
    phase: pod.status?.phase ?? '',
    podIPs: podIPs(pod),
    readinessGates: (pod.spec?.readinessGates ?? []).map((gate) => gate.conditionType ?? '').filter(Boolean),
    conditions: Object.fromEntries(
      (pod.status?.conditions ?? []).map((condition) => [condition.type ?? '', condition.status ?? '']),
    ),
    resourceVersion: metadata.resourceVersion ?? '',
  };
  const deletion = rfc3339(metadata.deletionTimestamp);
  if (deletion) info.deletionTimestamp = deletion;
  return info;
}

function podIPs(pod: RawPod): string[] {
  const listed = (pod.status?.podIPs ?? []).map((entry) => entry.ip ?? '').filter(Boolean);
  if (listed.length > 0) return listed;
  return pod.status?.podIP ? [pod.status.podIP] : [];
}

/** RFC 3339 at second precision, as Kubernetes writes metav1.Time. */
export function rfc3339(value: Date | string | undefined | null): string | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value === 'string') return value;
  return value.toISOString().replace(/\.\d+Z$/, 'Z');
}

/** The object metadata podeip reads, as client-node's models and watch JSON both carry it. */
export interface RawObjectMeta {
  namespace?: string;
  name?: string;
  uid?: string;
  resourceVersion?: string;
  annotations?: Record<string, string>;
  deletionTimestamp?: Date | string;
}

/** Structural view of a Pod shared by V1Pod and watch JSON. */
export interface RawPod {
  metadata?: RawObjectMeta & {
    ownerReferences?: Array<{ apiVersion?: string; kind?: string; name?: string; uid?: string; controller?: boolean }>;
  };
  spec?: { nodeName?: string; readinessGates?: Array<{ conditionType?: string }> };
  status?: {
    phase?: string;
    podIP?: string;
    podIPs?: Array<{ ip?: string }>;
    conditions?: Array<{ type?: string; status?: string; lastTransitionTime?: Date | string }>;
  };
}
