/**
 * podeip-agent --config FILE            run the node agent in the foreground
 * podeip-agent check-config FILE        validate a config file and exit
 * podeip-agent install-cni [flags]      put the plugin and its conflist entry in place (sidecar with --watch)
 * podeip-agent uninstall-cni [flags]    remove exactly what install-cni added
 * podeip-agent --version
 */
import { PodeipError } from '../../lib/errors.js';
import { CliUsageError, exitWithUsageError, helpText, parseCommandLine, type CommandSpec } from '../../lib/cli.js';
import { AGENT_VERSION } from './version.js';

export const AGENT_COMMAND: CommandSpec = {
  command: 'podeip-agent',
  summary: `Runs the podeip node agent in the foreground: serves the podeip CNI plugin on a unix socket and
binds EIPs to pods of this node.

Commands:
  podeip-agent check-config FILE     validate a config file, list every problem, exit 1 if any
  podeip-agent install-cni [flags]   put the plugin and its conflist entry in place (--help for flags)
  podeip-agent uninstall-cni [flags] remove exactly what install-cni added`,
  flags: {
    config: {
      type: 'string',
      short: 'c',
      value: 'FILE',
      help: 'the YAML config file (docs/configuration.md); required to run',
    },
    version: { type: 'boolean', help: 'print the version and exit' },
  },
  footer: "Environment: NODE_NAME (required: the node's name), KUBECONFIG (else the in-cluster config).",
};

export const CHECK_CONFIG_COMMAND: CommandSpec = {
  command: 'podeip-agent check-config',
  args: 'FILE',
  summary:
    'Validates an agent config file as the agent reads it at start, lists every problem in one pass\n(with "did you mean" for a mistyped key) and exits 1 if there is any, 0 if the file is good.',
  flags: {},
};

export async function main(argv: string[]): Promise<void> {
  const [first] = argv;
  if (first === 'install-cni' || first === 'uninstall-cni') {
    const installer = await import('./installer/cli.js');
    await installer.main(argv);
    return;
  }
  if (first === 'check-config') return checkConfig(argv.slice(1));
  const parsed = parseOrExit(AGENT_COMMAND, argv);
  if (parsed.help) return void process.stdout.write(helpText(AGENT_COMMAND));
  if (parsed.values.version) return void process.stdout.write(`${AGENT_VERSION}\n`);
  const config = parsed.values.config as string | undefined;
  if (!config) exitWithUsageError(new CliUsageError('podeip-agent', '--config FILE is required'));

  const { runAgent } = await import('./main.js');
  try {
    await runAgent({ configPath: config, env: process.env });
  } catch (err) {
    if (err instanceof PodeipError) {
      process.stderr.write(`podeip-agent: ${err.code}: ${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
}

async function checkConfig(argv: string[]): Promise<void> {
  const parsed = parseOrExit(CHECK_CONFIG_COMMAND, argv, true);
  if (parsed.help) return void process.stdout.write(helpText(CHECK_CONFIG_COMMAND));
  if (parsed.positionals.length !== 1)
    exitWithUsageError(new CliUsageError(CHECK_CONFIG_COMMAND.command, 'give exactly one FILE'));
  const file = parsed.positionals[0]!;
  const { ConfigError, loadConfigFile } = await import('./config/load.js');
  try {
    await loadConfigFile(file);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    process.stderr.write(
      `${file}: ${err.problems.length} problem${err.problems.length > 1 ? 's' : ''}\n${err.problems.map((p) => `  - ${p}\n`).join('')}`,
    );
    process.exit(1);
  }
  process.stdout.write(`${file}: ok\n`);
}

function parseOrExit(spec: CommandSpec, argv: string[], positionals = false): ReturnType<typeof parseCommandLine> {
  try {
    return parseCommandLine(spec, argv, { positionals });
  } catch (err) {
    if (err instanceof CliUsageError) exitWithUsageError(err);
    throw err;
  }
}
