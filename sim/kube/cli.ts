/**
 * `podeip-sim kube --listen HOST:PORT [--kubeconfig-out FILE] [--faults FILE] [--state FILE]
 * [--watch-window N] [--token T] [--tls] [--bookmark-interval-ms N]`
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { parse as parseYaml } from 'yaml';
import { PodeipError } from '../../lib/errors.js';
import { parseFaultConfig } from './faults.js';
import { startKubeSim, type KubeSimOptions } from './server.js';

const USAGE = `usage: podeip-sim kube --listen HOST:PORT [--kubeconfig-out FILE] [--faults FILE] [--state FILE]
                      [--watch-window N] [--token T] [--tls] [--bookmark-interval-ms N]
Serves the Kubernetes API over HTTP. See docs/simulators-kube.md.`;

export class CliUsageError extends PodeipError {
  constructor(message: string) {
    super('KUBE_SIM_USAGE', `${message}\n${USAGE}`);
  }
}

export function parseCli(argv: string[]): KubeSimOptions {
  const { values } = parseArgs({
    args: argv,
    options: {
      listen: { type: 'string' },
      'kubeconfig-out': { type: 'string' },
      faults: { type: 'string' },
      state: { type: 'string' },
      'watch-window': { type: 'string' },
      token: { type: 'string' },
      tls: { type: 'boolean' },
      'bookmark-interval-ms': { type: 'string' },
      help: { type: 'boolean' },
    },
    strict: true,
  });
  if (values.help) throw new CliUsageError('');
  if (!values.listen) throw new CliUsageError('--listen is required, e.g. --listen 127.0.0.1:0');
  const m = /^(\[[^\]]+\]|[^:]+):(\d+)$/.exec(values.listen);
  if (!m) throw new CliUsageError(`--listen must be HOST:PORT, got "${values.listen}"`);
  const options: KubeSimOptions = { host: m[1]!.replace(/^\[|\]$/g, ''), port: Number(m[2]) };
  if (values['kubeconfig-out']) options.kubeconfigPath = values['kubeconfig-out'];
  if (values.state) options.statePath = values.state;
  if (values.token) options.token = values.token;
  if (values.tls) options.tls = true;
  if (values['watch-window'] !== undefined) options.watchWindow = positiveInt('--watch-window', values['watch-window']);
  if (values['bookmark-interval-ms'] !== undefined) options.bookmarkIntervalMs = positiveInt('--bookmark-interval-ms', values['bookmark-interval-ms']);
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
  let options: KubeSimOptions;
  try {
    options = parseCli(argv);
  } catch (err) {
    process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 2;
    return;
  }
  const sim = await startKubeSim(options);
  process.stdout.write(`${JSON.stringify({ msg: 'podeip-sim kube listening', url: sim.url, kubeconfig: sim.kubeconfigPath })}\n`);
  const stop = (): void => {
    sim.close().then(() => process.exit(0), () => process.exit(1));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}
