/**
 * `podeip-sim kube --listen HOST:PORT [flags]` (--help describes every flag)
 */
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { PodeipError } from '../../lib/errors.js';
import { parseCommandLine, helpText, type CommandSpec } from '../../lib/cli.js';
import { parseFaultConfig } from './faults.js';
import { startKubeSim, type KubeSimOptions } from './server.js';

export const KUBE_SIM_COMMAND: CommandSpec = {
  command: 'podeip-sim kube',
  summary: `Serves a simulated Kubernetes API over HTTP (or HTTPS with --tls) for kubectl and client-node.
On start it prints one JSON line with its URL and kubeconfig, then serves until SIGINT/SIGTERM.`,
  flags: {
    listen: { type: 'string', value: 'HOST:PORT', help: 'where to serve (required; port 0 = any free port)' },
    'kubeconfig-out': { type: 'string', value: 'FILE', help: 'write a kubeconfig for this server here' },
    faults: { type: 'string', value: 'FILE', help: 'YAML fault injection rules (docs/simulators-kube.md)' },
    state: { type: 'string', value: 'FILE', help: 'load objects from this file at start and save them there on stop' },
    'watch-window': {
      type: 'string',
      value: 'N',
      help: 'how many recent changes a watch may resume from (older: 410 Gone)',
    },
    token: { type: 'string', value: 'TOKEN', help: 'require this bearer token' },
    tls: { type: 'boolean', help: 'serve HTTPS with a self-signed certificate (in the kubeconfig)' },
    'bookmark-interval-ms': { type: 'string', value: 'N', help: 'how often watches that asked for bookmarks get one' },
  },
  footer: 'Full reference: docs/simulators-kube.md',
};

export class CliUsageError extends PodeipError {
  constructor(message: string) {
    super('KUBE_SIM_USAGE', `${message} (podeip-sim kube --help describes every flag)`);
  }
}

/** 'help' when --help was asked. */
export function parseCli(argv: string[]): KubeSimOptions | 'help' {
  let parsed;
  try {
    parsed = parseCommandLine(KUBE_SIM_COMMAND, argv);
  } catch (err) {
    throw new CliUsageError((err as Error).message.replace(/ \(podeip-sim kube --help describes every flag\)$/, ''));
  }
  if (parsed.help) return 'help';
  const values = parsed.values as Record<string, string | undefined> & { tls?: boolean };
  if (!values.listen) throw new CliUsageError('--listen is required, e.g. --listen 127.0.0.1:0');
  const m = /^(\[[^\]]+\]|[^:]+):(\d+)$/.exec(values.listen);
  if (!m) throw new CliUsageError(`--listen must be HOST:PORT, got "${values.listen}"`);
  const options: KubeSimOptions = { host: m[1]!.replace(/^\[|\]$/g, ''), port: Number(m[2]) };
  if (values['kubeconfig-out']) options.kubeconfigPath = values['kubeconfig-out'];
  if (values.state) options.statePath = values.state;
  if (values.token) options.token = values.token;
  if (values.tls) options.tls = true;
  if (values['watch-window'] !== undefined) options.watchWindow = positiveInt('--watch-window', values['watch-window']);
  if (values['bookmark-interval-ms'] !== undefined)
    options.bookmarkIntervalMs = positiveInt('--bookmark-interval-ms', values['bookmark-interval-ms']);
  if (values.faults) {
    let raw: unknown;
    try {
      raw = parseYaml(readFileSync(values.faults, 'utf8'));
    } catch (err) {
      throw new CliUsageError(`--faults ${values.faults}: ${(err as Error).message}`);
    }
    options.faults = parseFaultConfig(raw, values.faults);
  }
  return options;
}

function positiveInt(flag: string, text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n <= 0) throw new CliUsageError(`${flag} must be a positive integer, got "${text}"`);
  return n;
}

export async function main(argv: string[]): Promise<void> {
  let options: KubeSimOptions | 'help';
  try {
    options = parseCli(argv);
  } catch (err) {
    process.stderr.write(`podeip-sim kube: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 2;
    return;
  }
  if (options === 'help') {
    process.stdout.write(helpText(KUBE_SIM_COMMAND));
    return;
  }
  const sim = await startKubeSim(options);
  process.stdout.write(
    `${JSON.stringify({ msg: 'podeip-sim kube listening', url: sim.url, kubeconfig: sim.kubeconfigPath })}\n`,
  );
  const stop = (): void => {
    sim.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}
