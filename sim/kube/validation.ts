/**
 * Defaulting and validation of built-in types: the subset of the real server's rules that
 * catches client mistakes the agent and its tests could make (missing names, bad names, pods
 * without containers, events.k8s.io/v1 events missing required fields).
 */
import { canonical } from './canonical.js';
import type { KubeObject, ResourceType } from './resources.js';
import { normalizeTimes } from './times.js';
import type { StatusCause } from './status.js';

const SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const LABEL_NAMED = new Set(['namespaces', 'services']);

export function validateName(t: ResourceType, name: string): StatusCause[] {
  const label = LABEL_NAMED.has(t.plural) && !t.group;
  const ok = label ? LABEL.test(name) && name.length <= 63 : SUBDOMAIN.test(name) && name.length <= 253;
  if (ok || t.storage === 'events' || t.group === 'rbac.authorization.k8s.io') return [];
  const what = label
    ? "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character"
    : "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character";
  return [{ reason: 'FieldValueInvalid', message: `Invalid value: "${name}": ${what}`, field: 'metadata.name' }];
}

export function defaultBuiltin(t: ResourceType, obj: KubeObject): void {
  if (t.group === '' && t.plural === 'pods') defaultPod(obj);
  if (t.group === '' && t.plural === 'secrets') obj.type ||= 'Opaque';
  if (t.group === '' && t.plural === 'namespaces' && obj.metadata.name) {
    obj.metadata.labels = { ...obj.metadata.labels, 'kubernetes.io/metadata.name': obj.metadata.name };
  }
  normalizeTimes(t, obj);
}

function defaultPod(pod: KubeObject): void {
  const spec = (pod.spec ??= {});
  spec.restartPolicy ??= 'Always';
  spec.terminationGracePeriodSeconds ??= 30;
  spec.dnsPolicy ??= 'ClusterFirst';
  spec.schedulerName ??= 'default-scheduler';
  spec.securityContext ??= {};
  spec.enableServiceLinks ??= true;
  spec.priority ??= 0;
  for (const c of [...(spec.initContainers ?? []), ...(spec.containers ?? [])]) {
    if (typeof c !== 'object' || c === null) continue;
    c.imagePullPolicy ??=
      typeof c.image === 'string' && (c.image.endsWith(':latest') || !/:[^/]+$/.test(c.image))
        ? 'Always'
        : 'IfNotPresent';
    c.terminationMessagePath ??= '/dev/termination-log';
    c.terminationMessagePolicy ??= 'File';
    c.resources ??= {};
  }
}

export function validateBuiltin(t: ResourceType, obj: KubeObject): StatusCause[] {
  if (t.group === '' && t.plural === 'pods') return validatePod(obj);
  if (t.group === 'events.k8s.io') return validateEventV1(obj);
  if (t.group === '' && t.plural === 'events') return validateCoreEvent(obj);
  if (t.group === 'coordination.k8s.io') return validateLease(obj);
  return [];
}

function required(field: string): StatusCause {
  return { reason: 'FieldValueRequired', message: 'Required value', field };
}

function validatePod(pod: KubeObject): StatusCause[] {
  const causes: StatusCause[] = [];
  const containers = pod.spec?.containers;
  if (!Array.isArray(containers) || containers.length === 0) return [required('spec.containers')];
  containers.forEach((c: KubeObject, i: number) => {
    if (!c?.name) causes.push(required(`spec.containers[${i}].name`));
    if (!c?.image) causes.push(required(`spec.containers[${i}].image`));
  });
  return causes;
}

function validateEventV1(e: KubeObject): StatusCause[] {
  const causes: StatusCause[] = [];
  for (const field of ['eventTime', 'reportingController', 'reportingInstance', 'action', 'reason']) {
    if (!e[field]) causes.push(required(field));
  }
  if (e.type !== undefined && e.type !== 'Normal' && e.type !== 'Warning') {
    causes.push({
      reason: 'FieldValueInvalid',
      message: `Invalid value: "${e.type}": has invalid value: ${e.type}`,
      field: 'type',
    });
  }
  return causes;
}

function validateCoreEvent(e: KubeObject): StatusCause[] {
  const ns = e.involvedObject?.namespace;
  if (ns && ns !== e.metadata.namespace) {
    return [
      {
        reason: 'FieldValueInvalid',
        message: `Invalid value: "${ns}": does not match event.namespace`,
        field: 'involvedObject.namespace',
      },
    ];
  }
  return [];
}

function validateLease(lease: KubeObject): StatusCause[] {
  const d = lease.spec?.leaseDurationSeconds;
  if (d !== undefined && (!Number.isInteger(d) || d <= 0)) {
    return [
      {
        reason: 'FieldValueInvalid',
        message: `Invalid value: ${JSON.stringify(d)}: must be greater than 0`,
        field: 'spec.leaseDurationSeconds',
      },
    ];
  }
  return [];
}

const POD_MUTABLE =
  'Forbidden: pod updates may not change fields other than `spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)';

/** Rules that compare an update with the stored object (pod spec immutability). */
export function validateBuiltinUpdate(t: ResourceType, obj: KubeObject, old: KubeObject): StatusCause[] {
  if (
    t.group === '' &&
    t.plural === 'pods' &&
    canonical(mutablePartsCleared(obj.spec)) !== canonical(mutablePartsCleared(old.spec))
  ) {
    return [{ reason: 'FieldValueForbidden', message: POD_MUTABLE, field: 'spec' }];
  }
  return [];
}

function mutablePartsCleared(spec: KubeObject | undefined): KubeObject {
  const copy: KubeObject = structuredClone(spec ?? {});
  for (const list of ['containers', 'initContainers']) {
    for (const c of copy[list] ?? []) if (c && typeof c === 'object') delete c.image;
  }
  delete copy.activeDeadlineSeconds;
  delete copy.tolerations;
  delete copy.terminationGracePeriodSeconds;
  delete copy.schedulingGates;
  return copy;
}
