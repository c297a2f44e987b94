/**
 * Validates Kubernetes objects offline against schemas generated from Kubernetes' upstream
 * OpenAPI document, in two passes:
 * - kubernetes-models (and @kubernetes-models/prometheus-operator for the PodMonitor CRD): the
 *   upstream schemas compiled to JSON-schema validators: types, required fields, formats, enums.
 * - unknown fields, as the API server's strict field validation (kubectl's default) rejects them:
 *   the upstream OpenAPI does not say `additionalProperties: false`, so schema validators accept a
 *   misspelt `livenessProb`. @kubernetes/client-node's models are generated from the same
 *   document and list every field of every type; a field they do not list is an error.
 */
import * as clientNode from '@kubernetes/client-node';
import type { KubeObject } from './kustomize.js';

interface AttributeInfo {
  baseName: string;
  type: string;
}
interface GeneratedModel {
  getAttributeTypeMap(): AttributeInfo[];
}

/** Where each API group's models live in the kubernetes-models packages. */
function modelModule(apiVersion: string, kind: string): string {
  if (apiVersion.startsWith('monitoring.coreos.com/'))
    return `@kubernetes-models/prometheus-operator/${apiVersion}/${kind}`;
  return `kubernetes-models/${apiVersion}/${kind}`;
}

/**
 * The object as the API server decodes it. Secret data is base64 that kustomize wraps at 70
 * columns; Go's base64 decoder skips line breaks, the JSON-schema "byte" format does not.
 */
function asDecoded(object: KubeObject): KubeObject {
  if (object.apiVersion !== 'v1' || object.kind !== 'Secret' || typeof object.data !== 'object' || object.data === null)
    return object;
  const data = Object.fromEntries(
    Object.entries(object.data as Record<string, string>).map(([k, v]) => [k, v.replace(/[\r\n]/g, '')]),
  );
  return { ...object, data };
}

async function schemaErrors(object: KubeObject): Promise<string[]> {
  let module: Record<string, unknown>;
  try {
    module = (await import(modelModule(object.apiVersion, object.kind))) as Record<string, unknown>;
  } catch {
    return [`${object.apiVersion} ${object.kind}: no upstream schema for this apiVersion and kind`];
  }
  const Model = module[object.kind] as (new (data: unknown) => { validate(): void }) | undefined;
  if (!Model) return [`${object.apiVersion} ${object.kind}: no upstream schema for this kind`];
  try {
    new Model(asDecoded(object)).validate();
    return [];
  } catch (err) {
    return String((err as Error).message)
      .split('\n')
      .filter(Boolean);
  }
}

function generatedModel(type: string): GeneratedModel | undefined {
  const candidate = (clientNode as unknown as Record<string, unknown>)[type];
  return typeof candidate === 'function' && 'getAttributeTypeMap' in candidate
    ? (candidate as unknown as GeneratedModel)
    : undefined;
}

/** The client-node model of a built-in kind: apps/v1 DaemonSet -> V1DaemonSet. */
function builtInModelName(apiVersion: string, kind: string): string {
  const version = apiVersion.split('/').pop() ?? apiVersion;
  return `${version.charAt(0).toUpperCase()}${version.slice(1)}${kind}`;
}

/** Core (v1) and the groups Kubernetes itself serves: apps, rbac.authorization.k8s.io, ... */
function isBuiltInGroup(apiVersion: string): boolean {
  const group = apiVersion.includes('/') ? apiVersion.split('/')[0]! : '';
  return !group.includes('.') || group.endsWith('.k8s.io');
}

/**
 * Fields the generated models type as `any` although the schema says what they hold:
 * JSONSchemaProps.items and .additionalProperties are schemas themselves (or a boolean).
 */
const SCHEMA_VALUED: Record<string, Record<string, string>> = {
  V1JSONSchemaProps: { items: 'V1JSONSchemaProps', additionalProperties: 'V1JSONSchemaProps' },
};

export function unknownFields(value: unknown, type: string, path: string): string[] {
  if (value === null || value === undefined) return [];
  const array = /^Array<(.+)>$/.exec(type);
  if (array) return Array.isArray(value) ? value.flatMap((v, i) => unknownFields(v, array[1]!, `${path}[${i}]`)) : [];
  const map = /^\{ \[key: string\]: (.+); \}$/.exec(type);
  if (map) {
    return typeof value === 'object'
      ? Object.entries(value).flatMap(([k, v]) => unknownFields(v, map[1]!, `${path}.${k}`))
      : [];
  }
  const model = generatedModel(type);
  if (!model || typeof value !== 'object' || Array.isArray(value)) return [];
  const fields = new Map(model.getAttributeTypeMap().map((a) => [a.baseName, a.type]));
  const errors: string[] = [];
  for (const [key, child] of Object.entries(value)) {
    const childType = fields.get(key);
    if (childType === undefined) {
      errors.push(`${path}.${key}: unknown field (${type} has ${[...fields.keys()].join(', ')})`);
      continue;
    }
    const schemaValued = SCHEMA_VALUED[type]?.[key];
    errors.push(
      ...unknownFields(child, schemaValued && typeof child === 'object' ? schemaValued : childType, `${path}.${key}`),
    );
  }
  return errors;
}

/**
 * Every problem of one object, each prefixed with the object's kind and name; [] when valid.
 * Kinds defined by CRDs (here the PodMonitor) get the schema pass only.
 */
export async function validateKubeObject(object: KubeObject): Promise<string[]> {
  const label = `${object.kind}/${object.metadata?.name}`;
  const errors = await schemaErrors(object);
  const builtIn = builtInModelName(object.apiVersion, object.kind);
  if (isBuiltInGroup(object.apiVersion) && generatedModel(builtIn)) errors.push(...unknownFields(object, builtIn, ''));
  return errors.map((e) => `${label}: ${e}`);
}
