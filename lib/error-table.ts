/**
 * Every error code the agent answers with, and what it means on each side of the contract: the
 * gRPC status the agent returns (with the code in the `podeip-error-code` trailer, see
 * proto/podeip/v1/agent.proto), the CNI error code the plugin prints, whether the runtime should
 * simply try again, what it means and what to do. docs/troubleshooting.md's table is these rows (a
 * test renders them and compares).
 */

/** gRPC status names (grpc/doc/statuscodes.md); both grpc-js's `status` and the plugin's GrpcStatus are keyed by them. */
export type GrpcStatusName =
  | 'INVALID_ARGUMENT'
  | 'FAILED_PRECONDITION'
  | 'PERMISSION_DENIED'
  | 'RESOURCE_EXHAUSTED'
  | 'UNAVAILABLE'
  | 'DEADLINE_EXCEEDED'
  | 'INTERNAL';

/** Well-known CNI error codes (CNI spec, "Error" section) the plugin returns; podeip's own are 100 and up. */
export const CniCode = {
  incompatibleVersion: 1,
  invalidEnvironment: 4,
  invalidNetworkConfig: 7,
  tryAgainLater: 11,
} as const;

export interface AgentErrorSpec {
  grpc: GrpcStatusName;
  /** The CNI code the plugin reports. */
  cni: number;
  /** The work goes on in the agent; the runtime's retry picks it up (CNI 11). */
  retryable: boolean;
  /** What an error of this code means, for any instance of it (the thrown message says which). */
  meaning: string;
  /** What the user does about it: the plugin adds it to the CNI error's details. */
  fix: string;
}

type Texts = Pick<AgentErrorSpec, 'meaning' | 'fix'>;
const retry = (grpc: GrpcStatusName, texts: Texts): AgentErrorSpec => ({
  grpc,
  cni: CniCode.tryAgainLater,
  retryable: true,
  ...texts,
});
const fail = (grpc: GrpcStatusName, cni: number, texts: Texts): AgentErrorSpec => ({
  grpc,
  cni,
  retryable: false,
  ...texts,
});

const WORK_GOES_ON = 'The work goes on; the retry picks up the same EIP.';

export const AGENT_ERRORS = {
  AgentNotReady: retry('UNAVAILABLE', {
    meaning: "The node's agent is not ready yet (starting, or its journal or the PodEIP CRD is not available).",
    fix: 'Wait: the kubelet retries. If it lasts, check the agent pod on that node (`podeipctl`, its log).',
  }),
  CloudThrottled: retry('RESOURCE_EXHAUSTED', {
    meaning: `The cloud throttled the account's OpenAPI calls. ${WORK_GOES_ON}`,
    fix: 'Wait: the kubelet retries. If it lasts, see `podeip_cloud_throttled_total` and `cloud.rateLimitShare`.',
  }),
  EipQuotaExceeded: retry('RESOURCE_EXHAUSTED', {
    meaning: "Another EIP would pass the account's EIP quota in the region (`cloud.eipQuota`, or the cloud said so).",
    fix: 'Raise the EIP quota (20 pay-as-you-go EIPs per account by default) or release unused EIPs; the retry then goes through.',
  }),
  CloudUnavailable: retry('UNAVAILABLE', {
    meaning: `The cloud's API failed or did not answer. ${WORK_GOES_ON}`,
    fix: "Wait: the kubelet retries. If it lasts, check the agent's log and the cloud endpoint it reaches.",
  }),
  DeadlineExceeded: retry('DEADLINE_EXCEEDED', {
    meaning: `The attach outlived \`agent.attachTimeoutSeconds\`. ${WORK_GOES_ON}`,
    fix: 'Wait: the kubelet retries and gets the same EIP.',
  }),
  JournalUnwritable: retry('UNAVAILABLE', {
    meaning:
      "The agent's state dir (`agent.stateDir`, `/var/lib/podeip` on the node) is full or read-only; the agent is not ready (`/readyz` 503) until a write succeeds again (it tries every 10 s).",
    fix: "Free space on the node's disk or fix the mount; the retry then goes through. Nothing was created in the cloud.",
  }),
  InvalidAnnotation: fail('INVALID_ARGUMENT', 100, {
    meaning:
      "An annotation has a bad value; the message lists every one (the first ten; a long value is quoted by its first 64 characters and its length). Also: `eip-resource-group-id`, `eip-public-ip-address-pool-id` or `eip-common-bandwidth-package-id` names something that does not exist in the region (the message gives the cloud's own code).",
    fix: 'Fix the pod template (`docs/annotations.md`). Nothing is left in the cloud: an EIP allocated before the cloud refused its bandwidth package is released again.',
  }),
  InvalidRequest: fail('INVALID_ARGUMENT', CniCode.invalidEnvironment, {
    meaning:
      'The runtime passed the plugin too little to go on (a missing `CNI_ARGS` field, no IPv4 for the interface in `prevResult`).',
    fix: 'Check the primary CNI plugin runs before `podeip` in the chain and gives the pod an IPv4 address.',
  }),
  EipInUseElsewhere: fail('FAILED_PRECONDITION', 101, {
    meaning: 'The EIP of `pod-eip-instanceid` is bound to something else.',
    fix: 'Unbind it, give each pod its own EIP, or set `allowEipRob: true`.',
  }),
  CloudPermissionDenied: fail('PERMISSION_DENIED', 102, {
    meaning: "The agent's identity lacks a permission.",
    fix: 'Attach `manifests/ram-policy.json` to the role or user the agent uses (`docs/install.md`).',
  }),
  NotStatefulPod: fail('FAILED_PRECONDITION', 103, {
    meaning: '`pod-eip-release-strategy` is `Never` or a duration on a pod that is not stateful.',
    fix: "Use `Follow`, a StatefulSet, or add the owner's kind to `customStatefulWorkloadKinds`.",
  }),
  ForeignController: fail('FAILED_PRECONDITION', 104, {
    meaning: '`eip-controller` names another controller.',
    fix: 'Remove the annotation or set it to `podeip` (`docs/annotations.md`).',
  }),
  IncompatibleClient: fail('FAILED_PRECONDITION', 105, {
    meaning: 'Plugin and agent versions do not match (mid-upgrade).',
    fix: 'Transient during an upgrade; the init container installs the matching plugin.',
  }),
  EipNotFound: fail('FAILED_PRECONDITION', 106, {
    meaning: 'The named EIP, or the one a PodEIP records, does not exist.',
    fix: 'Fix `pod-eip-instanceid`, or delete the stale PodEIP.',
  }),
  EipNotBound: fail('FAILED_PRECONDITION', 107, {
    meaning: "CHECK found the pod's EIP no longer forwarding to its IP (someone unbound it).",
    fix: 'Delete the pod; its replacement is bound again.',
  }),
  PodNotFound: fail('FAILED_PRECONDITION', 108, {
    meaning: 'The agent could not find the pod in the API server.',
    fix: "Usually a pod deleted during its creation; otherwise check the agent's API access.",
  }),
  EniNotFound: fail('FAILED_PRECONDITION', 109, {
    meaning: "No ENI of this node holds the pod's IP.",
    fix: "The primary CNI's IP is not an ENI IP of this instance (not Terway ENI/ENIIP mode?).",
  }),
  EipNotGranted: fail('FAILED_PRECONDITION', 110, {
    meaning:
      "The EIP named by `pod-eip-instanceid` (or a Static PodEIP) is not granted to the pod's namespace (`staticEipPolicy: Granted`).",
    fix: 'An admin adds the EIP id to the Namespace annotation `podeip.io/allowed-eips`, or the namespace to the EIP\'s tag `podeip.io/allowed-namespaces` (`docs/annotations.md`, "Grants"). The kubelet\'s retry picks it up within 5 s.',
  }),
  UntrustedPodEip: fail('FAILED_PRECONDITION', 111, {
    meaning:
      'A PodEIP named after the pod names an EIP podeip did not allocate for this pod (a hand-written PodEIP). podeip does not act on it.',
    fix: "Check where the PodEIP came from, then `kubectl delete podeip -n <ns> <pod>`; the pod's next sandbox gets a new EIP.",
  }),
  Internal: fail('INTERNAL', 199, {
    meaning: 'A bug.',
    fix: "The agent's log has the stack: please report it.",
  }),
} as const satisfies Record<string, AgentErrorSpec>;

export type AgentErrorCode = keyof typeof AGENT_ERRORS;

/** The spec of a code from a trailer, or undefined for a code this version does not know (a newer agent). */
export function agentErrorSpec(code: string): AgentErrorSpec | undefined {
  return Object.hasOwn(AGENT_ERRORS, code) ? AGENT_ERRORS[code as AgentErrorCode] : undefined;
}
