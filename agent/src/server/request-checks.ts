/**
 * Transport-level checks of what the plugin sends, before anything reaches the binding logic:
 * a malformed message gets INVALID_ARGUMENT naming the field and creates nothing anywhere.
 */
import { isIPv4 } from 'node:net';
import { PodeipError } from '../../../lib/errors.js';
import type { AttachRequest, CheckRequest, DetachRequest, PodRef, Sandbox } from '../../../lib/agent-proto.js';

export class InvalidRequestError extends PodeipError {
  constructor(field: string, problem: string) {
    super('InvalidRequest', `${field}: ${problem}`);
  }
}

export class IncompatibleClientError extends PodeipError {
  constructor(clientVersion: string, agentVersion: string) {
    super(
      'IncompatibleClient',
      `client_version "${clientVersion}" is not compatible with agent ${agentVersion}: install the podeip plugin shipped with this agent (podeip-agent install-cni)`,
    );
  }
}

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/;

function majorOf(version: string): string | undefined {
  return /^v?(\d+)\.\d+\.\d+/.exec(version)?.[1];
}

export function checkClientVersion(clientVersion: string, agentVersion: string): void {
  if (!clientVersion) throw new InvalidRequestError('client_version', 'required: the plugin must send its version');
  const major = majorOf(clientVersion);
  if (major === undefined)
    throw new InvalidRequestError('client_version', `"${clientVersion}" is not a semantic version`);
  if (major !== majorOf(agentVersion)) throw new IncompatibleClientError(clientVersion, agentVersion);
}

export function checkPod(pod: PodRef | undefined | null): PodRef {
  if (!pod) throw new InvalidRequestError('pod', 'required (K8S_POD_NAMESPACE and K8S_POD_NAME from CNI_ARGS)');
  if (!DNS_LABEL.test(pod.namespace))
    throw new InvalidRequestError('pod.namespace', `"${pod.namespace}" is not a namespace name (K8S_POD_NAMESPACE)`);
  if (!DNS_SUBDOMAIN.test(pod.name))
    throw new InvalidRequestError('pod.name', `"${pod.name}" is not a pod name (K8S_POD_NAME)`);
  return pod;
}

export function checkSandbox(sandbox: Sandbox | undefined | null): Sandbox {
  if (!sandbox?.containerId) throw new InvalidRequestError('sandbox.container_id', 'required (CNI_CONTAINERID)');
  if (!sandbox.ifname) throw new InvalidRequestError('sandbox.ifname', 'required (CNI_IFNAME)');
  return sandbox;
}

export function checkIpv4(field: string, value: string, required: boolean): void {
  if (!value && !required) return;
  if (!isIPv4(value))
    throw new InvalidRequestError(
      field,
      `"${value}" is not an IPv4 address (taken from the primary plugin's prevResult)`,
    );
}

/**
 * The one check of a request's identity in the agent: the binding service takes pod, sandbox and
 * pod IPv4 as well formed. An Attach or a Check needs the pod's IPv4; a Detach may come without it.
 */
export function checkRequest(req: AttachRequest | CheckRequest | DetachRequest, ipv4Required: boolean): void {
  checkPod(req.pod);
  checkSandbox(req.sandbox);
  checkIpv4('pod_ipv4', req.podIpv4, ipv4Required);
}
