import { helpText, parseCommandLine, type CommandSpec } from '../../lib/cli.js';
import { readJsonFile } from './config-file.js';
import { SimConfigError } from './errors.js';
import { DEFAULT_ACCESS_KEY_ID, DEFAULT_ACCESS_KEY_SECRET, startCloudSim, type CloudSimOptions } from './index.js';
import { allActions } from './actions/all.js';
import { resolveFaults } from './faults.js';
import { parseListen } from './net.js';
import { rateLimitsFromFlag, resolveRateLimits } from './rate-limit.js';
import { parseTopology } from './topology.js';

export const CLOUD_SIM_COMMAND: CommandSpec = {
  command: 'podeip-sim cloud',
  summary: `Simulated Alibaba Cloud VPC (2016-04-28) + ECS (2014-05-26) OpenAPI for podeip tests.
On start it prints one JSON line with the bound endpoints, then serves until SIGINT/SIGTERM.`,
  flags: {
    listen: {
      type: 'string',
      value: 'HOST:PORT',
      help: 'OpenAPI endpoint (port 0 = any free port)',
      default: '127.0.0.1:8110',
    },
    'access-key-id': { type: 'string', value: 'ID', help: 'accepted AccessKeyId', default: DEFAULT_ACCESS_KEY_ID },
    'access-key-secret': { type: 'string', value: 'SECRET', help: 'its secret', default: DEFAULT_ACCESS_KEY_SECRET },
    topology: {
      type: 'string',
      value: 'FILE',
      help: 'JSON topology (default: built-in, cn-hangzhou, 3 instances x 3 ENIs x 10 IPs)',
    },
    'association-delay-ms': {
      type: 'string',
      value: 'N',
      help: 'how long Associating/Unassociating/Releasing/BINDING last',
      default: '500',
    },
    'latency-ms': { type: 'string', value: 'N', help: 'latency added to every OpenAPI call', default: '0' },
    'rate-limits': {
      type: 'string',
      value: 'documented|off|FILE',
      help: 'per-action per-account limits',
      default: 'documented',
    },
    'eip-quota': { type: 'string', value: 'N', help: 'EIPs the account may hold', default: '20' },
    faults: {
      type: 'string',
      value: 'FILE',
      help: 'JSON per-action faults (errors, latency, drops, commit-then-drop)',
    },
    'inspect-listen': {
      type: 'string',
      value: 'HOST:PORT',
      help: 'inspection/control endpoint',
      default: '127.0.0.1:8111',
    },
    'metadata-listen': {
      type: 'string',
      value: 'HOST:PORT',
      help: 'serve ECS instance metadata (IMDSv2) for one instance',
    },
    'metadata-instance': { type: 'string', value: 'ID', help: "which instance (default: the topology's first)" },
    'metadata-imdsv2-required': { type: 'boolean', help: 'refuse metadata GETs without a session token' },
    'sts-listen': {
      type: 'string',
      value: 'HOST:PORT',
      help: 'serve STS AssumeRoleWithOIDC over HTTPS (self-signed, SAN IP 127.0.0.1)',
    },
    'sts-cert-out': {
      type: 'string',
      value: 'FILE',
      help: 'write the STS certificate (PEM) here (for NODE_EXTRA_CA_CERTS)',
    },
  },
  footer: 'Full reference: docs/simulators-cloud.md',
};

/** Flags whose default above is only documentation: the simulator applies it itself. */
const DOCUMENTED_DEFAULTS = new Set([
  'access-key-id',
  'access-key-secret',
  'association-delay-ms',
  'latency-ms',
  'eip-quota',
]);
const PARSE_SPEC: CommandSpec = {
  ...CLOUD_SIM_COMMAND,
  flags: Object.fromEntries(
    Object.entries(CLOUD_SIM_COMMAND.flags).map(([k, f]) => [
      k,
      DOCUMENTED_DEFAULTS.has(k) ? { ...f, default: undefined } : f,
    ]),
  ),
};

function intFlag(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value)) throw new SimConfigError(`${flag} "${value}": expected a whole number >= 0`);
  return Number(value);
}

/** Turns argv into startCloudSim options; throws SimConfigError naming the bad flag. */
export function optionsFromArgv(argv: string[]): CloudSimOptions | 'help' {
  let parsed;
  try {
    parsed = parseCommandLine(PARSE_SPEC, argv);
  } catch (error) {
    throw new SimConfigError((error as Error).message);
  }
  if (parsed.help) return 'help';
  const v = parsed.values as Record<string, string | undefined> & {
    listen: string;
    'inspect-listen': string;
    'rate-limits': string;
    'metadata-imdsv2-required'?: boolean;
  };
  if (v['metadata-listen'] === undefined && (v['metadata-instance'] !== undefined || v['metadata-imdsv2-required'])) {
    throw new SimConfigError('--metadata-instance and --metadata-imdsv2-required need --metadata-listen');
  }
  if (v['sts-listen'] === undefined && v['sts-cert-out'] !== undefined)
    throw new SimConfigError('--sts-cert-out needs --sts-listen');
  for (const flag of ['listen', 'inspect-listen', 'metadata-listen', 'sts-listen'] as const) {
    const value = v[flag];
    if (value !== undefined) parseListen(value, `--${flag}`);
  }
  // Validated here as well as in startCloudSim so that errors name the flag and the file.
  const actionNames = allActions().names();
  const options: CloudSimOptions = {
    listen: v.listen,
    inspectListen: v['inspect-listen'],
    rateLimits: resolveRateLimits(
      rateLimitsFromFlag(v['rate-limits']),
      actionNames,
      `--rate-limits ${v['rate-limits']}`,
    ),
  };
  if (v['access-key-id'] !== undefined) options.accessKeyId = v['access-key-id'];
  if (v['access-key-secret'] !== undefined) options.accessKeySecret = v['access-key-secret'];
  if (v.topology !== undefined)
    options.topology = parseTopology(readJsonFile(v.topology, '--topology'), `--topology ${v.topology}`);
  if (v.faults !== undefined)
    options.faults = resolveFaults(readJsonFile(v.faults, '--faults'), actionNames, `--faults ${v.faults}`);
  const delay = intFlag(v['association-delay-ms'], '--association-delay-ms');
  if (delay !== undefined) options.associationDelayMs = delay;
  const latency = intFlag(v['latency-ms'], '--latency-ms');
  if (latency !== undefined) options.latencyMs = latency;
  const quota = intFlag(v['eip-quota'], '--eip-quota');
  if (quota !== undefined) options.eipQuota = quota;
  if (v['metadata-listen'] !== undefined) {
    options.metadata = {
      listen: v['metadata-listen'],
      ...(v['metadata-instance'] === undefined ? {} : { instanceId: v['metadata-instance'] }),
      imdsv2Required: v['metadata-imdsv2-required'] ?? false,
    };
  }
  if (v['sts-listen'] !== undefined) {
    options.sts = {
      listen: v['sts-listen'],
      ...(v['sts-cert-out'] === undefined ? {} : { certOut: v['sts-cert-out'] }),
    };
  }
  return options;
}

export async function main(argv: string[]): Promise<void> {
  let options: CloudSimOptions | 'help';
  try {
    options = optionsFromArgv(argv);
  } catch (error) {
    if (!(error instanceof SimConfigError)) throw error;
    process.stderr.write(`podeip-sim cloud: ${error.message}\n`);
    process.exitCode = 2;
    return;
  }
  if (options === 'help') {
    process.stdout.write(helpText(CLOUD_SIM_COMMAND));
    return;
  }
  let sim;
  try {
    sim = await startCloudSim(options);
  } catch (error) {
    process.stderr.write(`podeip-sim cloud: ${(error as Error).message}\n`);
    process.exitCode = error instanceof SimConfigError ? 2 : 1;
    return;
  }
  process.stdout.write(
    `${JSON.stringify({
      endpoint: sim.endpoint,
      inspectEndpoint: sim.inspectEndpoint,
      ...(sim.metadataEndpoint === undefined ? {} : { metadataEndpoint: sim.metadataEndpoint }),
      ...(sim.stsEndpoint === undefined ? {} : { stsEndpoint: sim.stsEndpoint, stsCertFile: sim.stsCertFile }),
      regionId: sim.regionId,
      accessKeyId: sim.accessKeyId,
    })}\n`,
  );
  const stop = (): void => {
    void sim.close().then(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}
