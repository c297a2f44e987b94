/**
 * Every pod annotation podeip reads, declared once: its name (read under both prefixes), its
 * compat keys, how its value is checked and within which limits, the AllocateEipAddress field it
 * feeds, and the line docs/annotations.md gives it (a test checks the doc). The agent's parser
 * (agent/src/domain/eip-request.ts), the allocation request (binding/plan.ts), the cloud call
 * (cloud/client.ts) and the warm pool read these declarations; the CNI plugin reads which
 * annotations ask for an EIP, so that a pod asking for none never waits for the agent.
 * Adding a creation parameter is one entry in ALLOCATION_ANNOTATIONS plus its test.
 */

/** Every annotation podeip reads from a pod starts with one of these (compat keys included). */
export const EIP_ANNOTATION_PREFIXES = ['network.alibabacloud.com/', 'k8s.aliyun.com/'] as const;

export const INTERNET_CHARGE_TYPES = ['PayByTraffic', 'PayByBandwidth'] as const;
export const INSTANCE_CHARGE_TYPES = ['PostPaid'] as const;
export const ISPS = [
  'BGP',
  'BGP_PRO',
  'ChinaTelecom',
  'ChinaUnicom',
  'ChinaMobile',
  'ChinaTelecom_L2',
  'ChinaUnicom_L2',
  'ChinaMobile_L2',
  'BGP_FinanceCloud',
] as const;
export const SECURITY_PROTECTION_TYPES = ['AntiDDoS_Enhanced'] as const;
/** Bandwidth ceilings in Mbit/s for pay-as-you-go EIPs, by metering method. */
export const MAX_BANDWIDTH = { PayByTraffic: 200, PayByBandwidth: 500 } as const;

/** How a value is checked; the agent has one checker per kind. */
export type AnnotationKind =
  | { type: 'flag' }
  | { type: 'eip-instance-id' }
  | { type: 'release-strategy' }
  | { type: 'controller' }
  | { type: 'bandwidth' }
  | { type: 'enum'; values: readonly string[] }
  | { type: 'id'; prefix: string; what: string }
  | { type: 'text'; max: number }
  | { type: 'enum-list'; values: readonly string[]; item: string }
  | { type: 'tags' };

/**
 * Whether a warm-pool EIP can serve a request that sets the field: `profile` (when the pool's
 * profile has the same value), `adjusted` (changed after the take), `always` (the field has one
 * value, which every pool EIP has), `fixed` (set at allocation only: never).
 */
export type PoolFit = 'profile' | 'adjusted' | 'always' | 'fixed';

export interface AnnotationDeclaration {
  /** The key after either prefix. */
  name: string;
  /** Older spellings, read after both prefixed forms. */
  compatKeys: readonly string[];
  kind: AnnotationKind;
  /** The "valid values" of docs/annotations.md. */
  doc: string;
}

export interface AllocationAnnotation extends AnnotationDeclaration {
  /** The request field it feeds, and its AllocateEipAddress parameter (the SDK's name) if it is one. */
  allocate: { field: string; sdk?: string; pool: PoolFit };
}

const code = (values: readonly string[]) => values.map((v) => `\`${v}\``).join(', ');

/** The annotations that say whether and which EIP a pod gets. */
export const REQUEST_ANNOTATIONS = {
  podWithEip: {
    name: 'pod-with-eip',
    compatKeys: ['k8s.aliyun.com/eci-with-eip'],
    kind: { type: 'flag' },
    doc: '`"true"` allocates and binds an EIP; `"false"` (or no annotation) none. Case-insensitive.',
    modes: 'auto, fixed',
  },
  podEipInstanceId: {
    name: 'pod-eip-instanceid',
    compatKeys: ['k8s.aliyun.com/eci-eip-instanceid'],
    kind: { type: 'eip-instance-id' },
    doc:
      'An EIP instance id: `eip-` then lower-case letters, digits and dashes, e.g. `eip-bp14qxxxxxxx`. Give each EIP to one pod ' +
      '(a single-replica StatefulSet); two pods naming the same EIP get `EipInUseElsewhere` for the second, unless `allowEipRob` is on. ' +
      'With both this and `pod-with-eip`, the instance id wins.',
    modes: 'static',
  },
  releaseStrategy: {
    name: 'pod-eip-release-strategy',
    compatKeys: [],
    kind: { type: 'release-strategy' },
    doc:
      '`Follow` (default): the EIP lives as long as the pod object. `Never`: the PodEIP and its EIP are kept until you delete the PodEIP. ' +
      'A Go duration such as `10m` or `5m30s`: released that long after the pod is deleted, unless a pod of the same name comes back first. ' +
      '`Never` and durations need a stateful pod (fixed mode); on any other pod they are refused with `NotStatefulPod` and an Event saying why. ' +
      'Case-insensitive for `Follow`/`Never`.',
    modes: 'fixed (Follow also auto)',
  },
} as const satisfies Record<string, AnnotationDeclaration & { modes: string }>;

/** The name this agent answers to in `eip-controller`. */
export const CONTROLLER_NAME = 'podeip';

export const CONTROLLER_ANNOTATION_DECLARATION = {
  name: 'eip-controller',
  compatKeys: [],
  kind: { type: 'controller' },
  doc:
    "`podeip`, or absent: podeip binds the pod's EIP. Any other value names another controller (ack-extend-network-controller writes " +
    "its own name here): podeip does not touch that EIP, and the pod's ADD fails with `ForeignController` (CNI code 104) and a message " +
    'saying which annotation to change, rather than starting the pod without the EIP it asked for. Do not run podeip on nodes whose EIP ' +
    'pods another controller serves ([docs/migration.md](migration.md)).',
} as const satisfies AnnotationDeclaration;

/**
 * The creation parameters, in the order they are checked (the charge type before the bandwidth,
 * whose ceiling depends on it).
 */
export const ALLOCATION_ANNOTATIONS = [
  {
    name: 'eip-internet-charge-type',
    compatKeys: ['k8s.aliyun.com/eip-charge-type'],
    kind: { type: 'enum', values: INTERNET_CHARGE_TYPES },
    allocate: { field: 'internetChargeType', sdk: 'internetChargeType', pool: 'profile' },
    doc: '`PayByTraffic` (default) or `PayByBandwidth`.',
  },
  {
    name: 'eip-bandwidth',
    compatKeys: [],
    kind: { type: 'bandwidth' },
    allocate: { field: 'bandwidth', sdk: 'bandwidth', pool: 'adjusted' },
    doc:
      `Peak bandwidth in Mbit/s, a whole number: 1 to ${MAX_BANDWIDTH.PayByTraffic} for \`PayByTraffic\`, ` +
      `1 to ${MAX_BANDWIDTH.PayByBandwidth} for \`PayByBandwidth\`. Default: the cloud's (5).`,
  },
  {
    name: 'eip-instance-charge-type',
    compatKeys: [],
    kind: { type: 'enum', values: INSTANCE_CHARGE_TYPES },
    allocate: { field: 'instanceChargeType', sdk: 'instanceChargeType', pool: 'always' },
    doc: '`PostPaid` (pay-as-you-go), the only value.',
  },
  {
    name: 'eip-common-bandwidth-package-id',
    compatKeys: [],
    kind: { type: 'id', prefix: 'cbwp-', what: 'Internet Shared Bandwidth' },
    // Not an AllocateEipAddress parameter: the EIP joins the package after allocation.
    allocate: { field: 'bandwidthPackageId', pool: 'profile' },
    doc: 'An Internet Shared Bandwidth id, `cbwp-...`. The EIP joins it after allocation, and leaves it before release.',
  },
  {
    name: 'eip-isp',
    compatKeys: [],
    // A plain string in the request, as the pool's configured profile gives it.
    // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-assertion -- widened on purpose: the SDK field is a string, not the enum
    kind: { type: 'enum', values: ISPS as readonly string[] },
    allocate: { field: 'isp', sdk: 'ISP', pool: 'profile' },
    doc: `${code(ISPS)}.`,
  },
  {
    name: 'eip-public-ip-address-pool-id',
    compatKeys: [],
    kind: { type: 'id', prefix: 'pippool-', what: 'IP address pool' },
    allocate: { field: 'publicIpAddressPoolId', sdk: 'publicIpAddressPoolId', pool: 'fixed' },
    doc: 'An IP address pool id, `pippool-...`.',
  },
  {
    name: 'eip-resource-group-id',
    compatKeys: [],
    kind: { type: 'id', prefix: 'rg-', what: 'resource group' },
    allocate: { field: 'resourceGroupId', sdk: 'resourceGroupId', pool: 'fixed' },
    doc: 'A resource group id, `rg-...`.',
  },
  {
    name: 'eip-name',
    compatKeys: [],
    kind: { type: 'text', max: 128 },
    allocate: { field: 'name', sdk: 'name', pool: 'fixed' },
    doc: 'Up to 128 characters, not starting with `http://` or `https://`.',
  },
  {
    name: 'eip-description',
    compatKeys: [],
    kind: { type: 'text', max: 256 },
    allocate: { field: 'description', sdk: 'description', pool: 'fixed' },
    doc: 'Up to 256 characters, not starting with `http://` or `https://`.',
  },
  {
    name: 'eip-security-protection-types',
    compatKeys: [],
    kind: { type: 'enum-list', values: SECURITY_PROTECTION_TYPES, item: 'protection type' },
    allocate: { field: 'securityProtectionTypes', sdk: 'securityProtectionTypes', pool: 'fixed' },
    doc: `Comma-separated protection levels; ${code(SECURITY_PROTECTION_TYPES)} (Anti-DDoS Pro/Premium).`,
  },
] as const satisfies readonly AllocationAnnotation[];

/** The user's tags on an allocated EIP; they feed AllocateEipAddress's Tag list together with podeip's own. */
export const TAGS_ANNOTATION_DECLARATION = {
  name: 'eip-tags',
  compatKeys: [],
  kind: { type: 'tags' },
  doc:
    'A JSON object of string values, e.g. `{"team":"games"}`. At most 13 tags (an EIP holds 20; podeip adds 7). Keys not empty, ' +
    'at most 128 characters, not starting with `aliyun`, `acs:`, `http://`, `https://` or `podeip.io/`; values at most 128 characters, ' +
    'not starting with `aliyun` or `acs:`.',
} as const satisfies AnnotationDeclaration;

type AllocationDeclaration = (typeof ALLOCATION_ANNOTATIONS)[number];
type ValueOf<K extends AnnotationKind> = K extends { type: 'enum'; values: readonly (infer V)[] }
  ? V
  : K extends { type: 'enum-list' }
    ? string[]
    : string;

/** What the creation annotations set, by our field name: undefined means the cloud's default. */
export type AllocationFields = {
  [D in AllocationDeclaration as D['allocate']['field']]?: ValueOf<D['kind']>;
};

/** The creation annotations that are AllocateEipAddress parameters. */
export type AllocateEipParameters = {
  [D in AllocationDeclaration as D['allocate'] extends { sdk: string } ? D['allocate']['field'] : never]?: ValueOf<
    D['kind']
  >;
};

/** AllocateEipAddress parameters by the SDK's names, from our request fields. */
export function sdkAllocateParameters(fields: AllocateEipParameters): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const { allocate } of ALLOCATION_ANNOTATIONS) {
    if ('sdk' in allocate) out[allocate.sdk] = fields[allocate.field];
  }
  return out;
}

/** Every key a declaration is read under, in the order the first present one wins. */
export function annotationKeys(declaration: Pick<AnnotationDeclaration, 'name' | 'compatKeys'>): string[] {
  return [...EIP_ANNOTATION_PREFIXES.map((p) => p + declaration.name), ...declaration.compatKeys];
}

/** The annotations podeip reads, out of all of a pod's: what the plugin passes to the agent. */
export function eipAnnotations(annotations: Readonly<Record<string, string>>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(annotations).filter(([key]) => EIP_ANNOTATION_PREFIXES.some((p) => key.startsWith(p))),
  );
}

/**
 * Annotations that ask for an auto-allocated EIP with "true". Any value but "false" counts here,
 * so that a misspelt value ("yes") reaches the agent and fails the ADD with a message naming the
 * annotation, instead of silently starting the pod without its EIP.
 */
export const EIP_FLAG_ANNOTATIONS = annotationKeys(REQUEST_ANNOTATIONS.podWithEip);

/** Annotations that name the user's own EIP; any non-empty value asks for it. */
export const EIP_INSTANCE_ID_ANNOTATIONS = annotationKeys(REQUEST_ANNOTATIONS.podEipInstanceId);

/** Whether a pod's annotations ask for an EIP: the plugin skips the agent for pods that ask for none; the agent answers those at once. */
export function requestsEip(annotations: Readonly<Record<string, string | undefined>>): boolean {
  for (const key of EIP_FLAG_ANNOTATIONS) {
    const value = annotations[key];
    if (value !== undefined && value.trim().toLowerCase() !== 'false') return true;
  }
  for (const key of EIP_INSTANCE_ID_ANNOTATIONS) {
    const value = annotations[key];
    if (value !== undefined && value !== '') return true;
  }
  return false;
}
