/**
 * Moves objects between their stored form and the form a served type returns. Events are kept
 * once, in core/v1 shape, and shown through events.k8s.io/v1 with that API's field names (the
 * deprecated* fields carry the core-only ones), as the real conversion does. Custom resources'
 * versions differ only in apiVersion (conversion strategy None).
 */
import { apiVersionOf, type KubeObject, type ResourceType } from './resources.js';

const EVENTS_V1 = 'events.k8s.io';

/** core name -> events.k8s.io/v1 name */
const EVENT_RENAMES: [string, string][] = [
  ['involvedObject', 'regarding'],
  ['message', 'note'],
  ['reportingComponent', 'reportingController'],
  ['source', 'deprecatedSource'],
  ['firstTimestamp', 'deprecatedFirstTimestamp'],
  ['lastTimestamp', 'deprecatedLastTimestamp'],
  ['count', 'deprecatedCount'],
];

export function toServed(t: ResourceType, stored: KubeObject): KubeObject {
  const out = t.group === EVENTS_V1 && t.plural === 'events' ? coreEventToV1(stored) : stored;
  out.apiVersion = apiVersionOf(t);
  out.kind = t.kind;
  return out;
}

/**
 * The served form for reading only (selector matching): shares structure with `stored` and may
 * lack apiVersion/kind, so a caller must neither mutate nor return it.
 */
export function servedView(t: ResourceType, stored: KubeObject): KubeObject {
  return t.group === EVENTS_V1 && t.plural === 'events' ? coreEventToV1(stored) : stored;
}

export function toStored(t: ResourceType, served: KubeObject, storedApiVersion: string): KubeObject {
  const out = t.group === EVENTS_V1 && t.plural === 'events' ? v1EventToCore(served) : served;
  out.apiVersion = storedApiVersion;
  out.kind = t.kind;
  return out;
}

function coreEventToV1(e: KubeObject): KubeObject {
  const out: KubeObject = {};
  const renames = new Map(EVENT_RENAMES);
  for (const [k, v] of Object.entries(e)) {
    if (k === 'series' && v) out.series = { count: v.count, lastObservedTime: v.lastObservedTime };
    else out[renames.get(k) ?? k] = v;
  }
  return out;
}

function v1EventToCore(e: KubeObject): KubeObject {
  const out: KubeObject = {};
  const renames = new Map(EVENT_RENAMES.map(([core, v1]) => [v1, core]));
  for (const [k, v] of Object.entries(e)) out[renames.get(k) ?? k] = v;
  return out;
}
