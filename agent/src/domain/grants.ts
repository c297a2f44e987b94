/**
 * Rule 2 of docs/architecture.md: a pod may use an EIP that podeip did not allocate for it (a
 * static EIP) only when an admin granted that EIP to the pod's namespace, in a place tenants
 * cannot write: the Namespace annotation `podeip.io/allowed-eips` or the EIP's own cloud tag
 * `podeip.io/allowed-namespaces`. Under `staticEipPolicy: AllowAll` every EIP is granted (the
 * documented ACK/Terway behaviour, for single-tenant clusters).
 */
import type { Eip } from '../cloud/types.js';
import type { KubeGateway } from '../kube/types.js';
import { BindingError } from './errors.js';
import { isOwnedElsewhere } from './ownership.js';

export const ALLOWED_EIPS_ANNOTATION = 'podeip.io/allowed-eips';
export const TAG_ALLOWED_NAMESPACES = 'podeip.io/allowed-namespaces';
export const STATIC_EIP_POLICIES = ['Granted', 'AllowAll'] as const;
export type StaticEipPolicy = (typeof STATIC_EIP_POLICIES)[number];

export type GrantSource = 'policy' | 'namespace-annotation' | 'eip-tag';

function list(value: string | undefined): string[] {
  return (value ?? '')
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '');
}

/** Where the grant of `eip` to `namespace` comes from, or undefined when it has none. Pure. */
export function grantSource(
  eip: Pick<Eip, 'allocationId' | 'tags'>,
  namespace: string,
  namespaceAnnotations: Record<string, string>,
  policy: StaticEipPolicy,
  clusterId: string,
): GrantSource | undefined {
  if (policy === 'AllowAll') return 'policy';
  const allowed = list(namespaceAnnotations[ALLOWED_EIPS_ANNOTATION]);
  if (allowed.includes(eip.allocationId)) return 'namespace-annotation';
  if (allowed.includes('*') && !isOwnedElsewhere(eip.tags, clusterId, namespace)) return 'namespace-annotation';
  if (list(eip.tags[TAG_ALLOWED_NAMESPACES]).includes(namespace)) return 'eip-tag';
  return undefined;
}

export class EipNotGrantedError extends BindingError {
  constructor(
    readonly allocationId: string,
    readonly namespace: string,
    use: string,
  ) {
    super(
      'EipNotGranted',
      `EIP ${allocationId} (${use}) is not granted to namespace ${namespace}; an admin grants it by adding ${allocationId} to the ` +
        `Namespace annotation ${ALLOWED_EIPS_ANNOTATION} (kubectl annotate namespace ${namespace} ${ALLOWED_EIPS_ANNOTATION}=${allocationId}) ` +
        `or ${namespace} to the EIP's cloud tag ${TAG_ALLOWED_NAMESPACES}`,
    );
  }
}

export interface GrantCheckContext {
  config: { staticEipPolicy: StaticEipPolicy; clusterId: string };
  kube: Pick<KubeGateway, 'namespaceAnnotations'>;
}

/** Reads the Namespace (cached for a moment, so a grant or revoke counts within seconds) and throws unless granted. */
export async function requireGrant(
  ctx: GrantCheckContext,
  namespace: string,
  eip: Eip,
  use: string,
  signal: AbortSignal,
): Promise<GrantSource> {
  const policy = ctx.config.staticEipPolicy;
  const annotations = policy === 'AllowAll' ? {} : await ctx.kube.namespaceAnnotations(namespace, signal);
  const source = grantSource(eip, namespace, annotations, policy, ctx.config.clusterId);
  if (!source) throw new EipNotGrantedError(eip.allocationId, namespace, use);
  return source;
}
