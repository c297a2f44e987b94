/**
 * Rule 3 of docs/architecture.md: a PodEIP is a pointer anybody with PodEIP rights in its
 * namespace may have written. It is trusted only when the EIP it names passes rule 1 (Auto:
 * podeip allocated it for this namespace and pod name) or, for a Static one, rule 2 (the EIP is
 * granted to the namespace). An untrusted PodEIP is reported and never acted on.
 */
import type { Eip } from '../cloud/types.js';
import type { PodEip } from '../kube/types.js';
import { BindingError } from './errors.js';
import { grantSource, type StaticEipPolicy } from './grants.js';
import { isBoundByUs, isOwnedFor } from './ownership.js';

export interface TrustInputs {
  clusterId: string;
  staticEipPolicy: StaticEipPolicy;
  /** The PodEIP's Namespace annotations (grants). */
  namespaceAnnotations: Record<string, string>;
}

/** Undefined when trusted; otherwise why not, for an Event and a log line. Pure. */
export function distrust(podEip: PodEip, eip: Eip | undefined, inputs: TrustInputs): string | undefined {
  if (!eip) return undefined; // Names nothing that exists: there is nothing to protect.
  if (podEip.spec.allocationType.type === 'Static') {
    return grantSource(eip, podEip.namespace, inputs.namespaceAnnotations, inputs.staticEipPolicy, inputs.clusterId)
      ? undefined
      : `static EIP ${eip.allocationId} is not granted to namespace ${podEip.namespace}`;
  }
  return isOwnedFor(eip.tags, inputs.clusterId, podEip.namespace, podEip.name)
    ? undefined
    : `EIP ${eip.allocationId} was not allocated by podeip of this cluster for ${podEip.namespace}/${podEip.name}`;
}

/**
 * The EIP points where a podeip binding of this PodEIP's pod put it. The cloud reports no private
 * IP for an ENI's primary IP; then the PodEIP's recorded IP is what the binding mark is checked
 * against (the mark, written only by podeip, still has to match it).
 */
export function boundByPodEip(
  eip: Eip,
  podEip: Pick<PodEip, 'namespace' | 'name' | 'status'>,
  clusterId: string,
): boolean {
  if (eip.status !== 'InUse' || eip.instanceId === '') return false;
  const ip = eip.privateIpAddress || (podEip.status.privateIPAddress ?? '');
  return isBoundByUs(eip.tags, clusterId, podEip.namespace, podEip.name, ip);
}

export class UntrustedPodEipError extends BindingError {
  constructor(
    readonly podEip: Pick<PodEip, 'namespace' | 'name'>,
    why: string,
  ) {
    super(
      'UntrustedPodEip',
      `PodEIP ${podEip.namespace}/${podEip.name} is not trusted: ${why}. podeip does not act on it; an admin should check and delete it ` +
        `(kubectl delete podeip -n ${podEip.namespace} ${podEip.name})`,
    );
  }
}
