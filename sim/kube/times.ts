/**
 * Timestamps the way a real server stores typed fields: metav1.Time with second precision,
 * metav1.MicroTime with six fractional digits, both in UTC. Custom resources are untyped JSON
 * and keep what the client sent.
 */
import type { KubeObject, ResourceType } from './resources.js';

const RFC3339 = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)$/;

export function toSeconds(value: unknown): unknown {
  if (typeof value !== 'string' || !RFC3339.test(value)) return value;
  return new Date(value).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export function toMicros(value: unknown): unknown {
  const m = typeof value === 'string' ? RFC3339.exec(value) : null;
  if (!m) return value;
  const whole = new Date(`${m[1]}${m[3]}`).toISOString().slice(0, 19);
  return `${whole}.${(m[2] ?? '').padEnd(6, '0').slice(0, 6)}Z`;
}

const CONDITION_TIMES = ['lastTransitionTime', 'lastProbeTime', 'lastHeartbeatTime', 'lastUpdateTime'];

function apply(obj: KubeObject | undefined, fields: string[], fn: (v: unknown) => unknown): void {
  if (!obj || typeof obj !== 'object') return;
  for (const f of fields) if (obj[f] !== undefined) obj[f] = fn(obj[f]);
}

/** Normalises the time fields of built-in types in place (served form). */
export function normalizeTimes(t: ResourceType, obj: KubeObject): void {
  if (t.custom) return;
  for (const c of Array.isArray(obj.status?.conditions) ? obj.status.conditions : [])
    apply(c, CONDITION_TIMES, toSeconds);
  if (t.plural === 'leases') apply(obj.spec, ['acquireTime', 'renewTime'], toMicros);
  if (t.plural === 'events') {
    apply(obj, ['eventTime'], toMicros);
    apply(obj.series, ['lastObservedTime'], toMicros);
    apply(obj, ['firstTimestamp', 'lastTimestamp', 'deprecatedFirstTimestamp', 'deprecatedLastTimestamp'], toSeconds);
  }
}
