/**
 * The three patch formats a real server accepts: JSON patch (RFC 6902), JSON merge patch
 * (RFC 7386) and strategic merge patch. Strategic merge needs each list's patch strategy, which
 * a real server reads from Go struct tags; here the built-in types' merge keys are listed by
 * field name, which is unambiguous for the types this simulator serves.
 */
import jsonpatch from 'fast-json-patch';
import type { KubeObject } from './resources.js';
import { KubeApiError, badRequest, unsupportedMediaType } from './status.js';

export const JSON_PATCH = 'application/json-patch+json';
export const MERGE_PATCH = 'application/merge-patch+json';
export const STRATEGIC_MERGE_PATCH = 'application/strategic-merge-patch+json';
export const APPLY_PATCH = 'application/apply-patch+yaml';

type Json = unknown;
type JsonMap = Record<string, Json>;

export function applyPatch(
  contentType: string,
  original: KubeObject,
  patch: Json,
  strategicAllowed: boolean,
): KubeObject {
  const type = contentType.split(';')[0]!.trim();
  const accepted = strategicAllowed ? [JSON_PATCH, MERGE_PATCH, STRATEGIC_MERGE_PATCH] : [JSON_PATCH, MERGE_PATCH];
  if (type === JSON_PATCH) return applyJsonPatch(original, patch);
  if (type === MERGE_PATCH) return requireObject(mergePatch(original, patch));
  if (type === STRATEGIC_MERGE_PATCH && strategicAllowed) {
    if (!isMap(patch)) throw badRequest('strategic merge patch body must be a JSON object');
    return requireObject(strategicMerge(original, patch));
  }
  throw unsupportedMediaType(accepted);
}

function requireObject(value: Json): KubeObject {
  if (!isMap(value)) throw badRequest('the patch did not produce an object');
  return value;
}

function applyJsonPatch(original: KubeObject, patch: Json): KubeObject {
  if (!Array.isArray(patch)) throw badRequest('json patch body must be a JSON array of operations');
  try {
    return jsonpatch.applyPatch(structuredClone(original), patch as jsonpatch.Operation[], true, true).newDocument;
  } catch (err) {
    const message = err instanceof Error ? err.message.split('\n')[0]! : String(err);
    throw new KubeApiError(
      422,
      'Invalid',
      `the server rejected our request due to an error in our request: ${message}`,
    );
  }
}

export function mergePatch(original: Json, patch: Json): Json {
  if (!isMap(patch)) return structuredClone(patch);
  const result: JsonMap = isMap(original) ? structuredClone(original) : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete result[k];
    else result[k] = mergePatch(result[k], v);
  }
  return result;
}

const MERGE_KEYS: Record<string, string> = {
  conditions: 'type',
  containers: 'name',
  initContainers: 'name',
  ephemeralContainers: 'name',
  env: 'name',
  volumes: 'name',
  volumeMounts: 'mountPath',
  volumeDevices: 'devicePath',
  imagePullSecrets: 'name',
  ownerReferences: 'uid',
  hostAliases: 'ip',
  podIPs: 'ip',
  hostIPs: 'ip',
  addresses: 'type',
  taints: 'key',
  topologySpreadConstraints: 'topologyKey',
  secrets: 'name',
  resourceClaims: 'name',
};

/** Lists of scalars that strategic merge unions instead of replacing. */
const PRIMITIVE_MERGE = new Set(['finalizers']);

const SET_ORDER = '$setElementOrder/';
const DELETE_FROM_PRIMITIVE = '$deleteFromPrimitiveList/';

export function strategicMerge(original: Json, patch: JsonMap): Json | undefined {
  if (patch.$patch === 'delete') return undefined;
  if (patch.$patch === 'replace') return stripDirectives(patch);
  const result: JsonMap = isMap(original) ? structuredClone(original) : {};
  const orders: [string, Json[]][] = [];
  for (const [k, v] of Object.entries(patch)) {
    if (k === '$patch' || k === '$retainKeys') continue;
    if (k.startsWith(SET_ORDER)) {
      if (Array.isArray(v)) orders.push([k.slice(SET_ORDER.length), v]);
      continue;
    }
    if (k.startsWith(DELETE_FROM_PRIMITIVE)) {
      const field = k.slice(DELETE_FROM_PRIMITIVE.length);
      const current = result[field];
      if (Array.isArray(current) && Array.isArray(v)) result[field] = current.filter((x) => !v.includes(x));
      continue;
    }
    if (v === null) {
      delete result[k];
    } else if (isMap(v)) {
      const merged = strategicMerge(result[k], v);
      if (merged === undefined) delete result[k];
      else result[k] = merged;
    } else if (Array.isArray(v)) {
      result[k] = mergeList(k, result[k], v);
    } else {
      result[k] = v;
    }
  }
  const retain = patch.$retainKeys;
  if (Array.isArray(retain)) {
    for (const k of Object.keys(result)) if (!retain.includes(k)) delete result[k];
  }
  for (const [field, order] of orders) {
    const list = result[field];
    if (Array.isArray(list)) result[field] = applyOrder(field, list, order);
  }
  return result;
}

function mergeKeyFor(field: string, elements: Json[]): string | undefined {
  if (field === 'ports') return elements.some((e) => isMap(e) && 'containerPort' in e) ? 'containerPort' : 'port';
  return MERGE_KEYS[field];
}

function mergeList(field: string, original: Json, patch: Json[]): Json[] {
  const current = Array.isArray(original) ? structuredClone(original) : [];
  if (patch.some((e) => isMap(e) && e.$patch === 'replace')) {
    return patch.filter((e) => !(isMap(e) && e.$patch === 'replace')).map(stripDirectives);
  }
  if (PRIMITIVE_MERGE.has(field)) {
    const out = [...current];
    for (const v of patch) if (!out.includes(v)) out.push(v);
    return out;
  }
  const key = mergeKeyFor(field, [...current, ...patch]);
  if (!key) return patch.map(stripDirectives);
  for (const element of patch) {
    if (!isMap(element)) continue;
    const index = current.findIndex((c) => isMap(c) && c[key] === element[key]);
    if (element.$patch === 'delete') {
      if (index >= 0) current.splice(index, 1);
      continue;
    }
    if (index >= 0) current[index] = strategicMerge(current[index], element) ?? current[index];
    else current.push(stripDirectives(element));
  }
  return current;
}

/** `$setElementOrder`: listed elements first, in the given order; anything else keeps its place after them. */
function applyOrder(field: string, list: Json[], order: Json[]): Json[] {
  const key = mergeKeyFor(field, list);
  const identity = (e: Json): Json => (key && isMap(e) ? e[key] : e);
  const wanted = order.map(identity);
  const ranked = list
    .filter((e) => wanted.includes(identity(e)))
    .sort((a, b) => wanted.indexOf(identity(a)) - wanted.indexOf(identity(b)));
  return [...ranked, ...list.filter((e) => !wanted.includes(identity(e)))];
}

function stripDirectives(value: Json): Json {
  if (Array.isArray(value)) return value.map(stripDirectives);
  if (!isMap(value)) return value;
  const out: JsonMap = {};
  for (const [k, v] of Object.entries(value)) {
    if (k.startsWith('$')) continue;
    out[k] = stripDirectives(v);
  }
  return out;
}

export function isMap(value: Json): value is JsonMap {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
