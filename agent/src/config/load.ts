import { readFile } from 'node:fs/promises';
import { parse as parseYaml, YAMLParseError } from 'yaml';
import type { z } from 'zod';
import { closest } from '../../../lib/did-you-mean.js';
import { PodeipError } from '../../../lib/errors.js';
import { configSchema, type ParsedConfig } from './schema.js';

export class ConfigError extends PodeipError {
  constructor(
    readonly file: string,
    readonly problems: string[],
  ) {
    super('InvalidConfig', `invalid config ${file}:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}

/** The validated config, with the aliases of the spec resolved into one place. */
export interface AgentConfig extends ParsedConfig {
  vpcID: string;
}

export async function loadConfigFile(file: string): Promise<AgentConfig> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new ConfigError(file, [`cannot read the file: ${(err as Error).message}`]);
  }
  return parseConfig(text, file);
}

export function parseConfig(text: string, file = '<config>'): AgentConfig {
  let raw: unknown;
  try {
    raw = parseYaml(text) ?? {};
  } catch (err) {
    const where = err instanceof YAMLParseError ? ` at line ${err.linePos?.[0].line}` : '';
    throw new ConfigError(file, [`not valid YAML${where}: ${(err as Error).message.split('\n')[0]}`]);
  }
  // Every problem in one pass: the rules across keys are checked on the raw document too, so a
  // missing vpcID shows up together with a typo elsewhere, not after it is fixed.
  const result = configSchema.safeParse(raw);
  const problems = [
    ...(result.success ? [] : result.error.issues.flatMap(describeIssue)),
    ...crossKeyProblems(isObject(raw) ? raw : {}),
  ];
  if (!result.success || problems.length > 0) throw new ConfigError(file, problems);
  return { ...result.data, vpcID: (result.data.vpcID ?? result.data.networkController.vpcid)! };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function crossKeyProblems(raw: Record<string, unknown>): string[] {
  const problems: string[] = [];
  const networkController = isObject(raw.networkController) ? raw.networkController : {};
  const credential = isObject(raw.credential) ? raw.credential : {};
  const vpcID = raw.vpcID;
  const fromNetworkController = networkController.vpcid;
  if (vpcID && fromNetworkController && vpcID !== fromNetworkController) {
    problems.push(
      `vpcID ${JSON.stringify(vpcID)} and networkController.vpcid ${JSON.stringify(fromNetworkController)} disagree: keep one of them`,
    );
  }
  if (!vpcID && !fromNetworkController)
    problems.push('vpcID: required (or networkController.vpcid): the VPC id of the cluster, e.g. "vpc-bp1rkq0zxxxxxx"');
  const { accessKey, accessSecret } = credential;
  if (Boolean(accessKey) !== Boolean(accessSecret)) {
    problems.push(
      "credential: set both accessKey and accessSecret, or neither (then RRSA or the node's RAM role is used)",
    );
  }
  if (raw.enableRRSA === true && accessKey)
    problems.push('enableRRSA and credential.accessKey are both set: choose one way to authenticate');
  return problems;
}

/** The keys the schema allows in the object at `path` (for "did you mean"). */
function knownKeys(path: PropertyKey[]): string[] {
  let schema: unknown = configSchema;
  for (const key of path) schema = objectShape(schema)?.[String(key)];
  return Object.keys(objectShape(schema) ?? {});
}

function objectShape(schema: unknown): Record<string, unknown> | undefined {
  let current = schema as
    { _zod?: { def: { type: string; innerType?: unknown; shape?: Record<string, unknown> } } } | undefined;
  while (current?._zod && (current._zod.def.type === 'default' || current._zod.def.type === 'optional'))
    current = current._zod.def.innerType as typeof current;
  return current?._zod?.def.type === 'object' ? current._zod.def.shape : undefined;
}

function describeIssue(issue: z.core.$ZodIssue): string[] {
  const path = issue.path.map(String).join('.');
  if (issue.code === 'unrecognized_keys') {
    const where = path ? ` in ${path}` : '';
    const known = knownKeys(issue.path);
    return issue.keys.map((k) => {
      const suggestion = closest(k, known);
      const hint = suggestion
        ? `did you mean ${path ? `${path}.` : ''}${suggestion}?`
        : 'check the spelling against docs/configuration.md';
      return `${path ? `${path}.${k}` : k}: unknown key${where}; ${hint}`;
    });
  }
  return [`${path || '(top level)'}: ${issue.message}`];
}
