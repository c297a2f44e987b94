/**
 * Bindings the journal does not know but the cluster shows: a journal moved aside after
 * damage, a wiped state dir, or PodEIPs written by an earlier agent or by
 * ack-extend-network-controller. For each pod of this node with a PodEIP whose EIP is InUse on
 * the pod's IP on one of this instance's ENIs, a `bound` row is written, so a later DEL unbinds
 * it and the pod's end releases it as its strategy says. The sandbox is not known yet: the row
 * carries an empty container id until the runtime's next ADD, DEL or CHECK names it.
 *
 * The PodEIP is only a pointer (podeip-trust.ts): a Static one is adopted only when its EIP is
 * granted to the namespace, an Auto one only when the EIP carries our ownership tags for this pod
 * or no podeip tags at all (ack-extend-network-controller's). The latter is tagged as ours before
 * its row is written, so from then on rule 1 covers it like any EIP podeip allocated.
 */
import type { Eip } from '../cloud/types.js';
import type { PodEip, PodInfo } from '../kube/types.js';
import { event, type BindingContext } from './context.js';
import { statefulOwnerKind } from './plan.js';
import type { BindingMode } from '../store/journal.js';
import { bindingMark, isOwnedFor, isUntagged, ownershipTags, TAG_BINDING } from '../domain/ownership.js';
import { distrust } from '../domain/podeip-trust.js';
import { begin } from './state-machine.js';
import { errorText } from '../../../lib/error-text.js';

export const UNKNOWN_SANDBOX = '';

export async function adoptUnjournaled(ctx: BindingContext, signal: AbortSignal): Promise<number> {
  let adopted = 0;
  for (const pod of ctx.kube.pods.list()) {
    signal.throwIfAborted();
    if (ctx.journal.activeByPodUid(pod.uid).length > 0) continue;
    try {
      if (await adoptPod(ctx, pod, signal)) adopted += 1;
    } catch (err) {
      ctx.logger.warn('could not adopt the EIP binding of a pod; its next ADD or DEL will try again', {
        pod: `${pod.namespace}/${pod.name}`,
        err: errorText(err),
      });
    }
  }
  return adopted;
}

async function adoptPod(ctx: BindingContext, pod: PodInfo, signal: AbortSignal): Promise<boolean> {
  const podEip = await ctx.kube.getPodEip(pod.namespace, pod.name, signal);
  if (!podEip?.spec.allocationID) return false;
  const eip = await ctx.cloud.describeEip(podEip.spec.allocationID, signal);
  if (!eip || eip.status !== 'InUse') return false;
  const privateIp = eip.privateIpAddress || podEip.status.privateIPAddress || '';
  if (!pod.podIPs.includes(privateIp)) return false;
  const eni = await ctx.cloud.findEniByPrivateIp(ctx.config.instanceId, privateIp, signal);
  if (!eni || eni.networkInterfaceId !== eip.instanceId) return false;

  const { clusterId } = ctx.config;
  const isStatic = podEip.spec.allocationType.type === 'Static';
  const why = await adoptionRefusal(ctx, podEip, eip, signal);
  if (why !== undefined) {
    ctx.kube.recordEvent(
      { kind: 'PodEIP', namespace: podEip.namespace, name: podEip.name, uid: podEip.uid },
      'Warning',
      'UntrustedPodEip',
      `Not adopted: ${why}; podeip does not act on this PodEIP`,
    );
    ctx.logger.warn('not adopting an untrusted PodEIP', {
      podEip: `${podEip.namespace}/${podEip.name}`,
      allocationId: eip.allocationId,
      why,
    });
    return false;
  }
  const mark = bindingMark(clusterId, pod.namespace, pod.name, privateIp);
  const tags = isStatic
    ? { [TAG_BINDING]: mark }
    : {
        ...ownershipTags({
          clusterId,
          namespace: pod.namespace,
          podName: pod.name,
          podUid: pod.uid,
          node: ctx.config.nodeName,
        }),
        [TAG_BINDING]: mark,
      };
  if (Object.entries(tags).some(([key, value]) => eip.tags[key] !== value))
    await ctx.cloud.tagEip(eip.allocationId, tags, signal);

  const { type, releaseStrategy, releaseAfter } = podEip.spec.allocationType;
  const stateful = statefulOwnerKind(pod, ctx.config.customStatefulWorkloadKinds) !== undefined;
  const mode: BindingMode = type === 'Static' ? 'static' : stateful ? 'fixed' : 'auto';
  const inserted = begin(
    ctx,
    {
      namespace: pod.namespace,
      podName: pod.name,
      podUid: pod.uid,
      containerId: UNKNOWN_SANDBOX,
      ifname: 'eth0',
      mode,
      releaseStrategy,
      releaseAfter: releaseAfter ?? '',
      generation: ctx.journal.maxGeneration(pod.uid) + 1,
      clientToken: '',
      allocateParams: '{}',
      privateIp,
      allocationId: eip.allocationId,
      address: eip.ipAddress,
      ...(eip.bandwidthPackageId ? { bandwidthPackageId: eip.bandwidthPackageId } : {}),
    },
    'adopt',
  );
  const row = ctx.journal.update(inserted.id, {
    eniId: eni.networkInterfaceId,
    privateIpPrimary: eni.primaryIpAddress === privateIp,
  });
  event(
    ctx,
    row,
    'Normal',
    'EipAdopted',
    `EIP ${eip.ipAddress} (${eip.allocationId}) bound to ${privateIp} taken into this agent's journal from PodEIP ${pod.namespace}/${pod.name}`,
  );
  ctx.logger.info('adopted an EIP binding the journal did not know', {
    pod: `${pod.namespace}/${pod.name}`,
    allocationId: eip.allocationId,
    mode,
  });
  return true;
}

/**
 * Why this verified binding may not become podeip's, or undefined: a Static PodEIP needs its EIP
 * granted to the namespace; an Auto one an EIP with our tags for this pod, or no podeip tags at
 * all (ack-extend-network-controller's, tagged as ours by the caller).
 */
async function adoptionRefusal(
  ctx: BindingContext,
  podEip: PodEip,
  eip: Eip,
  signal: AbortSignal,
): Promise<string | undefined> {
  const { clusterId, staticEipPolicy } = ctx.config;
  if (podEip.spec.allocationType.type === 'Static') {
    const namespaceAnnotations =
      staticEipPolicy === 'Granted' ? await ctx.kube.namespaceAnnotations(podEip.namespace, signal) : {};
    return distrust(podEip, eip, { clusterId, staticEipPolicy, namespaceAnnotations });
  }
  if (isUntagged(eip.tags) || isOwnedFor(eip.tags, clusterId, podEip.namespace, podEip.name)) return undefined;
  return `EIP ${eip.allocationId} carries podeip tags of another pod, namespace or cluster`;
}
