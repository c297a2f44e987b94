import { readFile } from 'node:fs/promises';
import { parse as parseYaml, YAMLParseError } from 'yaml';
import type { z } from 'zod';
import { PodeipError } from '../../../lib/errors.js';
import { configSchema, type ParsedConfig } from './schema.js';

export class ConfigError extends PodeipError {
  constructor(readonly file: string, readonly problems: string[]) {
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
  const result = configSchema.safeParse(raw);
  if (!result.success) throw new ConfigError(file, result.error.issues.map(describeIssue));
  return resolveAliases(result.data, file);
}

function resolveAliases(config: ParsedConfig, file: string): AgentConfig {
  const fromNetworkController = config.networkController.vpcid;
  if (config.vpcID && fromNetworkController && config.vpcID !== fromNetworkController) {
    throw new ConfigError(file, [`vpcID "${config.vpcID}" and networkController.vpcid "${fromNetworkController}" disagree: keep one of them`]);
  }
  const vpcID = config.vpcID ?? fromNetworkController;
  if (!vpcID) throw new ConfigError(file, ['vpcID: required (or networkController.vpcid): the VPC id of the cluster, e.g. "vpc-bp1rkq0zxxxxxx"']);
  const { accessKey, accessSecret } = config.credential;
  if (Boolean(accessKey) !== Boolean(accessSecret)) {
    throw new ConfigError(file, ['credential: set both accessKey and accessSecret, or neither (then RRSA or the node\'s RAM role is used)']);
  }
  if (config.enableRRSA && accessKey) {
    throw new ConfigError(file, ['enableRRSA and credential.accessKey are both set: choose one way to authenticate']);
  }
  return { ...config, vpcID };
}

function describeIssue(issue: z.core.$ZodIssue): string {
  const path = issue.path.map(String).join('.');
  if (issue.code === 'unrecognized_keys') {
    const where = path ? ` in ${path}` : '';
    return `${issue.keys.map((k) => (path ? `${path}.${k}` : k)).join(', ')}: unknown key${issue.keys.length > 1 ? 's' : ''}${where}; check the spelling against docs/configuration.md`;
  }
  return `${path || '(top level)'}: ${issue.message}`;
}
