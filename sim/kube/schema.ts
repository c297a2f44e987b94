/**
 * openAPIV3Schema handling for custom resources in the order a real server applies it: prune
 * unknown fields, fill defaults, then validate types, required, enum and bounds. Of the CEL
 * `x-kubernetes-validations`, only the immutability rule `self == oldSelf` is evaluated (on
 * update); other rules are stored with the CRD and not enforced.
 */
import type { JsonSchemaProps } from './crd-types.js';
import type { StatusCause } from './status.js';
import { isMap } from './patch.js';

const ROOT_KEPT = new Set(['apiVersion', 'kind', 'metadata']);

/** Prunes fields the schema does not declare (returning their paths) and fills defaults, in place. */
export function pruneAndDefault(obj: Record<string, unknown>, schema: JsonSchemaProps): string[] {
  const pruned: string[] = [];
  for (const [k, v] of Object.entries(obj)) {
    if (ROOT_KEPT.has(k)) continue;
    const child = schema.properties?.[k];
    if (child) obj[k] = walk(v, child, k, pruned);
    else if (!schema['x-kubernetes-preserve-unknown-fields']) {
      delete obj[k];
      pruned.push(k);
    }
  }
  applyDefaults(obj, schema);
  return pruned;
}

function walk(value: unknown, schema: JsonSchemaProps, path: string, pruned: string[]): unknown {
  const embedded = schema['x-kubernetes-embedded-resource'] === true;
  const keepUnknown = schema['x-kubernetes-preserve-unknown-fields'] === true || schema.additionalProperties === true;
  if (isMap(value)) {
    for (const [k, v] of Object.entries(value)) {
      if (embedded && ROOT_KEPT.has(k)) continue;
      const child =
        schema.properties?.[k] ?? (isMap(schema.additionalProperties) ? schema.additionalProperties : undefined);
      if (child) value[k] = walk(v, child, `${path}.${k}`, pruned);
      else if (!keepUnknown) {
        delete value[k];
        pruned.push(`${path}.${k}`);
      }
    }
    applyDefaults(value, schema);
  } else if (Array.isArray(value) && schema.items) {
    return value.map((v, i) => walk(v, schema.items!, `${path}[${i}]`, pruned));
  }
  return value;
}

function applyDefaults(value: Record<string, unknown>, schema: JsonSchemaProps): void {
  for (const [k, child] of Object.entries(schema.properties ?? {})) {
    if (value[k] === undefined && child.default !== undefined)
      value[k] = walk(structuredClone(child.default), child, k, []);
  }
}

export function validate(
  obj: Record<string, unknown>,
  schema: JsonSchemaProps,
  old?: Record<string, unknown>,
): StatusCause[] {
  const causes: StatusCause[] = [];
  for (const name of schema.required ?? []) {
    if (obj[name] === undefined) causes.push(required(name));
  }
  for (const [k, child] of Object.entries(schema.properties ?? {})) {
    if (k === 'metadata' || obj[k] === undefined) continue;
    check(obj[k], child, k, old?.[k], causes);
  }
  return causes;
}

function required(field: string): StatusCause {
  return { reason: 'FieldValueRequired', message: 'Required value', field };
}

function typeName(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  return typeof value;
}

function matchesType(value: unknown, schema: JsonSchemaProps): boolean {
  if (schema['x-kubernetes-int-or-string']) return typeof value === 'string' || Number.isInteger(value);
  switch (schema.type) {
    case undefined:
      return true;
    case 'object':
      return isMap(value);
    case 'array':
      return Array.isArray(value);
    case 'string':
      return typeof value === 'string';
    case 'integer':
      return Number.isInteger(value);
    case 'number':
      return typeof value === 'number';
    case 'boolean':
      return typeof value === 'boolean';
    default:
      return true;
  }
}

function shown(value: unknown): string {
  return typeof value === 'string' ? `"${value}"` : JSON.stringify(value);
}

function check(value: unknown, schema: JsonSchemaProps, path: string, old: unknown, causes: StatusCause[]): void {
  if (value === null) {
    if (!schema.nullable)
      causes.push({
        reason: 'FieldValueTypeInvalid',
        message: `Invalid value: "null": ${path} in body must be of type ${schema.type ?? 'object'}: "null"`,
        field: path,
      });
    return;
  }
  if (!matchesType(value, schema)) {
    const actual = typeName(value);
    const expected = schema['x-kubernetes-int-or-string'] ? 'integer or string' : schema.type;
    causes.push({
      reason: 'FieldValueTypeInvalid',
      message: `Invalid value: "${actual}": ${path} in body must be of type ${expected}: "${actual}"`,
      field: path,
    });
    return;
  }
  if (schema.enum && !schema.enum.some((e) => JSON.stringify(e) === JSON.stringify(value))) {
    causes.push({
      reason: 'FieldValueNotSupported',
      message: `Unsupported value: ${shown(value)}: supported values: ${schema.enum.map(shown).join(', ')}`,
      field: path,
    });
  }
  checkBounds(value, schema, path, causes);
  for (const rule of schema['x-kubernetes-validations'] ?? []) {
    if (
      old !== undefined &&
      /^\s*self\s*==\s*oldSelf\s*$/.test(rule.rule) &&
      JSON.stringify(value) !== JSON.stringify(old)
    ) {
      causes.push({
        reason: 'FieldValueInvalid',
        message: `Invalid value: "${typeName(value)}": ${rule.message ?? `failed rule: ${rule.rule}`}`,
        field: path,
      });
    }
  }
  if (isMap(value)) {
    for (const name of schema.required ?? []) if (value[name] === undefined) causes.push(required(`${path}.${name}`));
    const oldMap = isMap(old) ? old : undefined;
    for (const [k, v] of Object.entries(value)) {
      const child =
        schema.properties?.[k] ?? (isMap(schema.additionalProperties) ? schema.additionalProperties : undefined);
      if (child && v !== undefined) check(v, child, `${path}.${k}`, oldMap?.[k], causes);
    }
  } else if (Array.isArray(value) && schema.items) {
    value.forEach((v, i) => check(v, schema.items!, `${path}[${i}]`, undefined, causes));
  }
}

function checkBounds(value: unknown, schema: JsonSchemaProps, path: string, causes: StatusCause[]): void {
  const fail = (why: string): void => {
    causes.push({
      reason: 'FieldValueInvalid',
      message: `Invalid value: ${shown(value)}: ${path} in body ${why}`,
      field: path,
    });
  };
  if (typeof value === 'number') {
    if (schema.minimum !== undefined && value < schema.minimum)
      fail(`should be greater than or equal to ${schema.minimum}`);
    if (schema.maximum !== undefined && value > schema.maximum)
      fail(`should be less than or equal to ${schema.maximum}`);
  }
  if (typeof value === 'string') {
    if (schema.minLength !== undefined && value.length < schema.minLength)
      fail(`should be at least ${schema.minLength} chars long`);
    if (schema.maxLength !== undefined && value.length > schema.maxLength)
      fail(`should be at most ${schema.maxLength} chars long`);
    if (schema.pattern !== undefined && !new RegExp(schema.pattern, 'u').test(value))
      fail(`should match '${schema.pattern}'`);
  }
  if (Array.isArray(value)) {
    if (schema.minItems !== undefined && value.length < schema.minItems)
      fail(`should have at least ${schema.minItems} items`);
    if (schema.maxItems !== undefined && value.length > schema.maxItems)
      fail(`should have at most ${schema.maxItems} items`);
  }
}
