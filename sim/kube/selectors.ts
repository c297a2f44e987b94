/**
 * labelSelector and fieldSelector parsing and matching with the real server's grammar and errors
 * (an unknown field label is a 400 naming it).
 */
import type { KubeObject } from './resources.js';
import { badRequest } from './status.js';

type LabelOp = 'exists' | '!exists' | '=' | '!=' | 'in' | 'notin' | 'gt' | 'lt';

interface LabelRequirement {
  key: string;
  op: LabelOp;
  values: string[];
}

export type Matcher = (obj: KubeObject) => boolean;

export function parseLabelSelector(selector: string | undefined): Matcher {
  if (!selector || !selector.trim()) return () => true;
  const requirements = splitTopLevel(selector).map(parseLabelRequirement);
  return (obj) => {
    const labels: Record<string, string> = obj.metadata?.labels ?? {};
    return requirements.every((r) => labelMatches(r, labels));
  };
}

function splitTopLevel(selector: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let current = '';
  for (const ch of selector) {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (ch === ',' && depth === 0) {
      parts.push(current);
      current = '';
    } else current += ch;
  }
  parts.push(current);
  return parts.map((p) => p.trim()).filter((p) => p.length > 0);
}

const SET_RE = /^([A-Za-z0-9./_-]+)\s+(in|notin)\s+\(([^)]*)\)$/;
const EQ_RE = /^([A-Za-z0-9./_-]+)\s*(==|=|!=|>|<)\s*([A-Za-z0-9._-]*)$/;
const EXISTS_RE = /^(!?)\s*([A-Za-z0-9./_-]+)$/;

function parseLabelRequirement(text: string): LabelRequirement {
  let m = SET_RE.exec(text);
  if (m)
    return {
      key: m[1]!,
      op: m[2] as LabelOp,
      values: m[3]!
        .split(',')
        .map((v) => v.trim())
        .filter((v) => v),
    };
  m = EQ_RE.exec(text);
  if (m) {
    const op = m[2] === '==' || m[2] === '=' ? '=' : m[2] === '!=' ? '!=' : m[2] === '>' ? 'gt' : 'lt';
    return { key: m[1]!, op, values: [m[3]!] };
  }
  m = EXISTS_RE.exec(text);
  if (m) return { key: m[2]!, op: m[1] ? '!exists' : 'exists', values: [] };
  throw badRequest(
    `unable to parse requirement: found '${text}', expected: key, !key, key=value, key!=value, key in (v1,v2) or key notin (v1,v2)`,
  );
}

function labelMatches(r: LabelRequirement, labels: Record<string, string>): boolean {
  const has = Object.prototype.hasOwnProperty.call(labels, r.key);
  const value = labels[r.key];
  switch (r.op) {
    case 'exists':
      return has;
    case '!exists':
      return !has;
    case '=':
      return has && value === r.values[0];
    case '!=':
      return !has || value !== r.values[0];
    case 'in':
      return has && r.values.includes(value!);
    case 'notin':
      return !has || !r.values.includes(value!);
    case 'gt':
      return has && Number(value) > Number(r.values[0]);
    case 'lt':
      return has && Number(value) < Number(r.values[0]);
  }
}

interface FieldRequirement {
  field: string;
  equal: boolean;
  value: string;
}

/**
 * `fieldValue` maps a selector label onto the object (it knows aliases such as events' `source`);
 * `supported` lists the labels this resource accepts besides metadata.name and metadata.namespace.
 */
export function parseFieldSelector(
  selector: string | undefined,
  supported: string[],
  fieldValue: (obj: KubeObject, field: string) => string,
): Matcher {
  if (!selector || !selector.trim()) return () => true;
  const requirements = splitUnescaped(selector, ',').map(parseFieldRequirement);
  for (const r of requirements) {
    if (r.field !== 'metadata.name' && r.field !== 'metadata.namespace' && !supported.includes(r.field)) {
      throw badRequest(`field label not supported: ${r.field}`);
    }
  }
  return (obj) => requirements.every((r) => (fieldValue(obj, r.field) === r.value) === r.equal);
}

function parseFieldRequirement(text: string): FieldRequirement {
  const m = /^([^!=]+?)\s*(==|=|!=)\s*(.*)$/.exec(text.trim());
  if (!m) throw badRequest(`invalid selector: '${text}'; can't understand '${text}'`);
  return { field: m[1]!.trim(), equal: m[2] !== '!=', value: unescape(m[3]!.trim()) };
}

function splitUnescaped(text: string, sep: string): string[] {
  const parts: string[] = [];
  let current = '';
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (ch === '\\' && i + 1 < text.length) {
      current += ch + text[i + 1];
      i++;
    } else if (ch === sep) {
      parts.push(current);
      current = '';
    } else current += ch;
  }
  parts.push(current);
  return parts.filter((p) => p.trim().length > 0);
}

function unescape(value: string): string {
  return value.replace(/\\(.)/g, '$1');
}

/** Dotted-path lookup rendered as a field selector compares it: booleans and numbers as text, missing as "". */
export function fieldAtPath(obj: KubeObject, path: string): string {
  let cur: unknown = obj;
  for (const part of path.split('.')) {
    if (cur === null || typeof cur !== 'object') return '';
    cur = (cur as Record<string, unknown>)[part];
  }
  if (cur === undefined || cur === null) return '';
  return typeof cur === 'object' ? JSON.stringify(cur) : String(cur);
}
