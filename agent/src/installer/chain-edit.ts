/**
 * Text edits that chain podeip into a node's CNI config and take it out again. Every edit
 * replaces one span of the original text, so the bytes of everything else stay as they were,
 * and removing our entry restores the file exactly.
 */
import { isDeepStrictEqual } from 'node:util';
import { SUPPORTED_CNI_VERSIONS } from '../../../lib/cni-contract.js';
import { InstallerError } from './installer-error.js';
import { member, parseWithSpans, textOf, type ArraySpan, type JsonSpan, type ObjectSpan } from './json-spans.js';

export const PLUGIN_TYPE = 'podeip';
/** Top-level key of a conflist podeip made from a lone .conf: the file it came from. */
export const CONVERTED_FROM_KEY = 'podeip.io/converted-from';

export type PodeipEntry = Record<string, unknown> & { type: typeof PLUGIN_TYPE };

function topObject(text: string, file: string): ObjectSpan {
  let root: JsonSpan;
  try {
    root = parseWithSpans(text);
  } catch (error) {
    throw new InstallerError(
      'InvalidCniConfig',
      `${file} is not valid JSON (${(error as Error).message}); fix or remove it, then run install-cni again`,
    );
  }
  if (root.kind !== 'object') throw new InstallerError('InvalidCniConfig', `${file} must hold a JSON object`);
  return root;
}

function pluginsOf(text: string, root: ObjectSpan, file: string): ArraySpan {
  const plugins = member(root, 'plugins');
  if (plugins?.kind !== 'array' || plugins.items.length === 0) {
    throw new InstallerError(
      'InvalidCniConfig',
      `${file} has no "plugins" list; a conflist chains at least the primary plugin`,
    );
  }
  const version = member(root, 'cniVersion');
  const cniVersion = version ? (JSON.parse(textOf(text, version)) as unknown) : undefined;
  if (typeof cniVersion !== 'string' || !(SUPPORTED_CNI_VERSIONS as readonly string[]).includes(cniVersion)) {
    throw new InstallerError(
      'UnsupportedCniVersion',
      `${file} has cniVersion ${JSON.stringify(cniVersion)}; podeip chains into ${SUPPORTED_CNI_VERSIONS.join(', ')}`,
    );
  }
  return plugins;
}

function isOurs(text: string, item: JsonSpan): boolean {
  if (item.kind !== 'object') return false;
  const type = member(item, 'type');
  return type !== undefined && textOf(text, type) === JSON.stringify(PLUGIN_TYPE);
}

function ourItems(text: string, plugins: ArraySpan): number[] {
  return plugins.items.flatMap((item, index) => (isOurs(text, item) ? [index] : []));
}

/** Whitespace that starts the line `offset` is on, when only whitespace precedes it there. */
function lineIndent(text: string, offset: number): string | undefined {
  const lineStart = text.lastIndexOf('\n', offset - 1) + 1;
  const before = text.slice(lineStart, offset);
  return /^[ \t]*$/.test(before) ? before : undefined;
}

/** Our entry in the layout of its neighbours: one line if they share a line, else indented. */
function render(entry: PodeipEntry, indent: string | undefined): string {
  if (indent === undefined) return JSON.stringify(entry);
  return JSON.stringify(entry, null, 2).split('\n').join(`\n${indent}`);
}

/** The conflist with our entry last (or updated in place); the same text when nothing changes. */
export function chainInto(text: string, entry: PodeipEntry, file: string): string {
  const root = topObject(text, file);
  const plugins = pluginsOf(text, root, file);
  const ours = ourItems(text, plugins);
  if (ours.length > 1) {
    throw new InstallerError(
      'InvalidCniConfig',
      `${file} lists the podeip plugin ${ours.length} times; remove all but one, then run install-cni again`,
    );
  }
  if (ours.length === 1) {
    const item = plugins.items[ours[0]!]!;
    if (isDeepStrictEqual(JSON.parse(textOf(text, item)), entry)) return text;
    return text.slice(0, item.start) + render(entry, lineIndent(text, item.start)) + text.slice(item.end);
  }
  const last = plugins.items[plugins.items.length - 1]!;
  const indent = lineIndent(text, last.start);
  const separator = indent === undefined ? ', ' : `,\n${indent}`;
  return text.slice(0, last.end) + separator + render(entry, indent) + text.slice(last.end);
}

/** The conflist without our entry: exactly the text before chainInto when it appended it. */
export function unchainFrom(text: string, file: string): string {
  const root = topObject(text, file);
  const plugins = member(root, 'plugins');
  if (plugins?.kind !== 'array') return text;
  const ours = ourItems(text, plugins);
  let edited = text;
  for (const index of ours.reverse()) {
    const item = plugins.items[index]!;
    const previous = plugins.items[index - 1];
    const next = plugins.items[index + 1];
    // Take the comma and layout that joined it to the previous item (or, when first, to the next).
    const [from, to] = previous ? [previous.end, item.end] : next ? [item.start, next.start] : [item.start, item.end];
    edited = edited.slice(0, from) + edited.slice(to);
  }
  return edited;
}

export function hasOurEntry(text: string): boolean {
  try {
    const root = parseWithSpans(text);
    if (root.kind !== 'object') return false;
    const plugins = member(root, 'plugins');
    return plugins?.kind === 'array' && ourItems(text, plugins).length > 0;
  } catch {
    return false;
  }
}

/**
 * A lone .conf (one plugin) as a conflist of that plugin and ours. The original text goes in
 * verbatim as the first item, so uninstall can write back the very same bytes.
 */
export function convertConf(confText: string, confFile: string, entry: PodeipEntry): string {
  const root = topObject(confText, confFile);
  const type = member(root, 'type');
  if (type === undefined || member(root, 'plugins') !== undefined) {
    throw new InstallerError(
      'InvalidCniConfig',
      `${confFile} is neither a conflist nor a single plugin config with "type"`,
    );
  }
  const name = member(root, 'name');
  const version = member(root, 'cniVersion');
  if (name === undefined || version === undefined) {
    throw new InstallerError('InvalidCniConfig', `${confFile} needs "name" and "cniVersion" to be chained`);
  }
  const converted = [
    '{',
    `  "cniVersion": ${textOf(confText, version)},`,
    `  "name": ${textOf(confText, name)},`,
    `  ${JSON.stringify(CONVERTED_FROM_KEY)}: ${JSON.stringify(confFile)},`,
    `  "plugins": [${confText},`,
    `    ${render(entry, '    ')}`,
    '  ]',
    '}',
    '',
  ].join('\n');
  pluginsOf(converted, topObject(converted, confFile), confFile);
  return converted;
}

export interface Unconverted {
  file: string;
  text: string;
}

/**
 * For a conflist podeip converted: the original .conf (name and bytes) when the list still
 * holds just that plugin and ours; undefined when it was not converted or others chained more.
 */
export function unconvert(text: string, file: string): Unconverted | undefined {
  const root = topObject(text, file);
  const marker = member(root, CONVERTED_FROM_KEY);
  const plugins = member(root, 'plugins');
  if (
    marker === undefined ||
    plugins?.kind !== 'array' ||
    plugins.items.length !== 2 ||
    !isOurs(text, plugins.items[1]!)
  ) {
    return undefined;
  }
  const original = plugins.items[0]!;
  const comma = text.indexOf(',', original.end);
  return { file: JSON.parse(textOf(text, marker)) as string, text: text.slice(plugins.start + 1, comma) };
}
