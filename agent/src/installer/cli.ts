/**
 * podeip-agent install-cni   [--bin-dir D] [--conf-dir D] [--plugin PATH] [--socket-path P]
 *                            [--timeout-seconds N] [--log-file F] [--watch]
 * podeip-agent uninstall-cni [--bin-dir D] [--conf-dir D]
 * What the DaemonSet's init container runs; each action is a JSON log line on stdout.
 */
import { watch as fsWatch } from 'node:fs';
import { join, resolve } from 'node:path';
import { createLogger, type Logger } from '../log/logger.js';
import { PodeipError } from '../../../lib/errors.js';
import { helpText, parseCommandLine, type CommandSpec } from '../../../lib/cli.js';
import { packageRoot } from '../../../lib/package-root.js';
import { DEFAULT_SOCKET_PATH, POD_ANNOTATIONS_CAPABILITY } from '../../../lib/cni-contract.js';
import { PLUGIN_TYPE, type PodeipEntry } from './chain-edit.js';
import { chainPrimary, installCni, uninstallCni, type InstallAction } from './install.js';
import { InstallerError } from './installer-error.js';

export const DEFAULT_BIN_DIR = '/opt/cni/bin';
export const DEFAULT_CONF_DIR = '/etc/cni/net.d';
/** The executable `npm run build:plugin` writes, in the package's dist/. */
export const DEFAULT_PLUGIN = join(packageRoot(), 'dist/bin/podeip');

const COMMON_FLAGS: CommandSpec['flags'] = {
  'bin-dir': { type: 'string', value: 'DIR', help: 'the CNI bin dir (absolute)', default: DEFAULT_BIN_DIR },
  'conf-dir': {
    type: 'string',
    value: 'DIR',
    help: "the CNI config dir holding the primary plugin's conflist (absolute)",
    default: DEFAULT_CONF_DIR,
  },
};

export const INSTALL_COMMAND: CommandSpec = {
  command: 'podeip-agent install-cni',
  summary: `Copies the podeip plugin into the CNI bin dir and appends a podeip entry to the node's primary CNI
config (a lone .conf becomes a .conflist), atomically and idempotently, leaving the rest of the file
byte for byte. With --watch it keeps running and puts the entry back within seconds whenever the
primary CNI rewrites its config (Terway does on every restart): the DaemonSet runs it that way as a
sidecar container.`,
  flags: {
    ...COMMON_FLAGS,
    plugin: { type: 'string', value: 'PATH', help: 'the plugin executable to copy', default: '<dist>/bin/podeip' },
    'socket-path': {
      type: 'string',
      value: 'PATH',
      help: 'the agent socket written into the podeip entry (absolute)',
      default: DEFAULT_SOCKET_PATH,
    },
    'timeout-seconds': {
      type: 'string',
      value: 'N',
      help: "the plugin's timeout for one call to the agent, in (0, 3600]",
    },
    'log-file': { type: 'string', value: 'PATH', help: 'a file the plugin appends its errors to (absolute)' },
    watch: { type: 'boolean', help: 'keep running and re-chain after every rewrite of the conf dir' },
  },
};

export const UNINSTALL_COMMAND: CommandSpec = {
  command: 'podeip-agent uninstall-cni',
  summary: 'Removes exactly what install-cni added: the podeip entry of the primary conflist and the plugin.',
  flags: COMMON_FLAGS,
};

function absolute(flag: string, value: string | undefined): string | undefined {
  if (value !== undefined && !value.startsWith('/')) {
    throw new InstallerError('InvalidInstallerFlag', `--${flag} must be an absolute path; got "${value}"`);
  }
  return value;
}

function timeoutSeconds(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const seconds = Number(value);
  if (!Number.isFinite(seconds) || seconds <= 0 || seconds > 3600) {
    throw new InstallerError(
      'InvalidInstallerFlag',
      `--timeout-seconds must be a number of seconds in (0, 3600]; got "${value}"`,
    );
  }
  return seconds;
}

interface InstallerFlags {
  'bin-dir'?: string;
  'conf-dir'?: string;
  plugin?: string;
  'socket-path'?: string;
  'timeout-seconds'?: string;
  'log-file'?: string;
  watch?: boolean;
  help?: boolean;
}

function parse(spec: CommandSpec, argv: string[]): InstallerFlags {
  // Defaults are shown in the help but applied below, where a relative path is refused.
  const withoutDefaults = {
    ...spec,
    flags: Object.fromEntries(Object.entries(spec.flags).map(([k, f]) => [k, { ...f, default: undefined }])),
  };
  try {
    const parsed = parseCommandLine(withoutDefaults, argv);
    return { ...parsed.values, help: parsed.help };
  } catch (error) {
    throw new InstallerError('InvalidInstallerFlag', (error as Error).message);
  }
}

interface Job {
  confDir: string;
  watch: boolean;
  run(): InstallAction[];
  /** What a change in the conf dir needs redone: the conflist only (the binary is checked on resync). */
  rechain(): InstallAction[];
}

function job(command: string, argv: string[]): Job | undefined {
  const spec = command === 'install-cni' ? INSTALL_COMMAND : UNINSTALL_COMMAND;
  const flags = parse(spec, argv);
  if (flags.help) {
    process.stdout.write(helpText(spec));
    return undefined;
  }
  const binDir = absolute('bin-dir', flags['bin-dir']) ?? DEFAULT_BIN_DIR;
  const confDir = absolute('conf-dir', flags['conf-dir']) ?? DEFAULT_CONF_DIR;
  if (command === 'uninstall-cni') {
    const run = () => uninstallCni({ binDir, confDir });
    return { confDir, watch: false, run, rechain: run };
  }
  const timeout = timeoutSeconds(flags['timeout-seconds']);
  const logFile = absolute('log-file', flags['log-file']);
  const entry: PodeipEntry = {
    type: PLUGIN_TYPE,
    socketPath: absolute('socket-path', flags['socket-path']) ?? DEFAULT_SOCKET_PATH,
    ...(timeout !== undefined ? { timeoutSeconds: timeout } : {}),
    ...(logFile !== undefined ? { logFile } : {}),
    capabilities: { [POD_ANNOTATIONS_CAPABILITY]: true },
  };
  const pluginSource = flags.plugin === undefined ? DEFAULT_PLUGIN : resolve(flags.plugin);
  return {
    confDir,
    watch: flags.watch ?? false,
    run: () => installCni({ binDir, confDir, pluginSource, entry }),
    rechain: () => [chainPrimary({ confDir, entry })],
  };
}

function logActions(logger: Logger, command: string, actions: InstallAction[], onlyChanges: boolean): void {
  for (const action of actions) {
    if (!onlyChanges || action.changed) logger.info(action.action, { command, path: action.path });
  }
}

const WATCH_SETTLE_MS = 200;
/** A cheap re-check of the conflist alone (a few KB), in case an inotify event is missed. */
const WATCH_POLL_MS = 1000;
/** The whole install, plugin binary included. */
const WATCH_RESYNC_MS = 60_000;

/**
 * Re-chains whenever the conf dir changes (and every second in case an event was missed), and
 * re-runs the whole idempotent install every minute. Runs until the process is stopped.
 */
async function watch(logger: Logger, command: string, work: Job): Promise<never> {
  const attempt = (step: () => InstallAction[]): void => {
    try {
      logActions(logger, command, step(), true);
    } catch (error) {
      logger.error((error as Error).message, { command, code: error instanceof PodeipError ? error.code : 'Internal' });
    }
  };
  let pending: NodeJS.Timeout | undefined;
  const onChange = () => {
    clearTimeout(pending);
    // Let the primary CNI finish writing its file before we read it.
    pending = setTimeout(() => attempt(work.rechain), WATCH_SETTLE_MS);
  };
  fsWatch(work.confDir, { persistent: true }, onChange);
  setInterval(() => attempt(work.rechain), WATCH_POLL_MS);
  setInterval(() => attempt(work.run), WATCH_RESYNC_MS);
  logger.info('watching for changes', { command, path: work.confDir });
  return new Promise<never>(() => {});
}

/** argv: the subcommand (install-cni | uninstall-cni) and its flags. Sets exitCode 1 on failure. */
export async function main(
  argv: string[],
  logger: Logger = createLogger({ fields: { component: 'install-cni' } }),
): Promise<void> {
  const [command = '', ...rest] = argv;
  try {
    if (command !== 'install-cni' && command !== 'uninstall-cni') {
      throw new InstallerError('InvalidInstallerFlag', `unknown command "${command}": install-cni or uninstall-cni`);
    }
    const work = job(command, rest);
    if (work === undefined) return;
    logActions(logger, command, work.run(), false);
    if (work.watch) await watch(logger, command, work);
  } catch (error) {
    const code = error instanceof PodeipError ? error.code : 'Internal';
    logger.error((error as Error).message, { command, code });
    process.exitCode = 1;
  }
}
