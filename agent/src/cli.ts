/**
 * podeip-agent --config FILE            run the node agent in the foreground
 * podeip-agent install-cni [flags]      put the plugin and its conflist entry in place (init container)
 * podeip-agent uninstall-cni [flags]    remove exactly what install-cni added
 * podeip-agent --version
 */
import { parseArgs } from 'node:util';
import { PodeipError } from '../../lib/errors.js';
import { AGENT_VERSION } from './version.js';

const USAGE = `usage: podeip-agent --config FILE
       podeip-agent install-cni|uninstall-cni [--help]
       podeip-agent --version
Environment: NODE_NAME (required), KUBECONFIG (else in-cluster config).
`;

export async function main(argv: string[]): Promise<void> {
  const [first] = argv;
  if (first === 'install-cni' || first === 'uninstall-cni') {
    const installer = await import('../../cni-plugin/src/installer/cli.js');
    await installer.main(argv);
    return;
  }
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        config: { type: 'string', short: 'c' },
        version: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (err) {
    exitWith(`${(err as Error).message}\n${USAGE}`);
  }
  if (values.help) return void process.stdout.write(USAGE);
  if (values.version) return void process.stdout.write(`${AGENT_VERSION}\n`);
  if (!values.config) exitWith(`--config FILE is required\n${USAGE}`);

  const { runAgent } = await import('./main.js');
  try {
    await runAgent({ configPath: values.config, env: process.env });
  } catch (err) {
    if (err instanceof PodeipError) exitWith(`${err.code}: ${err.message}`);
    throw err;
  }
}

function exitWith(message: string): never {
  process.stderr.write(`podeip-agent: ${message}\n`);
  process.exit(2);
}
