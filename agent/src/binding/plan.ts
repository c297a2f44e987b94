/**
 * From a validated EIP request and the pod to what the journal records: the mode (auto, static,
 * fixed), the release strategy, and the exact AllocateEipAddress parameters with our tags.
 */
import { ALLOCATION_ANNOTATIONS } from '../../../lib/annotations.js';
import type { AllocateEipRequest } from '../cloud/types.js';
import type { PodInfo } from '../kube/types.js';
import type { BindingMode, JournalReleaseStrategy } from '../store/journal.js';
import type { EipRequest } from '../domain/eip-request.js';
import { BindingError } from '../domain/errors.js';
import { bindingMark, ownershipTags, TAG_BINDING } from '../domain/ownership.js';

export interface BindingPlan {
  mode: BindingMode;
  releaseStrategy: JournalReleaseStrategy;
  releaseAfter: string;
  instanceId?: string;
  /** AllocateEipAddress without the ClientToken (auto and fixed modes). */
  allocate: Omit<AllocateEipRequest, 'clientToken'>;
  /** Internet Shared Bandwidth an allocated EIP joins. */
  bandwidthPackageId?: string;
}

/** The controlling owner's kind is StatefulSet or one the user declared stateful. */
export function statefulOwnerKind(pod: PodInfo, customStatefulKinds: readonly string[]): string | undefined {
  const owner = pod.ownerReferences.find((o) => o.controller) ?? pod.ownerReferences[0];
  if (!owner) return undefined;
  if (owner.kind === 'StatefulSet' || customStatefulKinds.includes(owner.kind)) return owner.kind;
  return undefined;
}

export function planBinding(
  request: EipRequest,
  pod: PodInfo,
  cluster: { clusterId: string; nodeName: string; customStatefulWorkloadKinds: readonly string[] },
  privateIp: string,
): BindingPlan {
  const statefulKind = statefulOwnerKind(pod, cluster.customStatefulWorkloadKinds);
  const strategy = request.releaseStrategy;
  if (strategy.kind !== 'Follow' && !statefulKind) {
    const owner = pod.ownerReferences.find((o) => o.controller) ?? pod.ownerReferences[0];
    const shown = strategy.kind === 'TTL' ? strategy.releaseAfter : 'Never';
    throw new BindingError(
      'NotStatefulPod',
      `annotation pod-eip-release-strategy=${shown} keeps an EIP for a pod of the same name, which only a stateful workload recreates; ` +
        `this pod is owned by ${owner ? `${owner.kind} ${owner.name}` : 'nothing'}. Use Follow (or drop the annotation), ` +
        `run it in a StatefulSet, or add its kind to customStatefulWorkloadKinds`,
    );
  }
  const mode: BindingMode = request.instanceId ? 'static' : statefulKind ? 'fixed' : 'auto';
  const allocate: Omit<AllocateEipRequest, 'clientToken'> = {
    // The product's default metering; the cloud's own default (PayByBandwidth) would bill users differently.
    internetChargeType: 'PayByTraffic',
    tags: {
      ...ownershipTags(
        {
          clusterId: cluster.clusterId,
          namespace: pod.namespace,
          podName: pod.name,
          podUid: pod.uid,
          node: cluster.nodeName,
        },
        request.userTags,
      ),
      // Saves the TagResources that would otherwise precede the first association.
      [TAG_BINDING]: bindingMark(cluster.clusterId, pod.namespace, pod.name, privateIp),
    },
  };
  for (const {
    allocate: { field, ...parameter },
  } of ALLOCATION_ANNOTATIONS) {
    if ('sdk' in parameter && request[field] !== undefined)
      (allocate as Record<string, unknown>)[field] = request[field];
  }
  return {
    mode,
    releaseStrategy: strategy.kind,
    releaseAfter: strategy.kind === 'TTL' ? strategy.releaseAfter : '',
    ...(request.instanceId ? { instanceId: request.instanceId } : {}),
    allocate,
    ...(request.bandwidthPackageId ? { bandwidthPackageId: request.bandwidthPackageId } : {}),
  };
}
