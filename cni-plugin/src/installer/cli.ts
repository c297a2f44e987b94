/**
 * podeip-agent install-cni   [--bin-dir D] [--conf-dir D] [--plugin PATH] [--socket-path P]
 *                            [--timeout-seconds N] [--log-file F] [--watch]
 * podeip-agent uninstall-cni [--bin-dir D] [--conf-dir D]
 * What the DaemonSet's init container runs; each action is a JSON log line on stdout.
 */
import { watch as fsWatch } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { createLogger, type Logger } from '../../../agent/src/log/logger.js';
import { PodeipError } from '../../../lib/errors.js';
import { packageRoot } from '../../../lib/package-root.js';
import { DEFAULT_SOCKET_PATH, POD_ANNOTATIONS_CAPABILITY } from '../net-conf.js';
import { PLUGIN_TYPE, type PodeipEntry } from './chain-edit.js';
import { installCni, uninstallCni, type InstallAction } from './install.js';
import { InstallerError } from './installer-error.js';

export const DEFAULT_BIN_DIR = '/opt/cni/bin';
export const DEFAULT_CONF_DIR = '/etc/cni/net.d';
/** The executable `npm run build:plugin` writes, in the package's dist/. */
export const DEFAULT_PLUGIN = join(packageRoot(), 'dist/bin/podeip');

const USAGE = `usage: podeip-agent install-cni [--bin-dir ${DEFAULT_BIN_DIR}] [--conf-dir ${DEFAULT_CONF_DIR}]
           [--plugin ${'<dist>/bin/podeip'}] [--socket-path ${DEFAULT_SOCKET_PATH}]
           [--timeout-seconds N] [--log-file /var/log/podeip-cni.log] [--watch]
       podeip-agent uninstall-cni [--bin-dir D] [--conf-dir D]
install-cni copies the plugin into the CNI bin dir and appends a podeip entry to the node's
primary CNI config (a lone .conf becomes a .conflist); uninstall-cni removes exactly that.
--watch keeps running and puts the entry back whenever the primary CNI rewrites its config
(Terway does on every restart): run it as a sidecar, not as an init container.
`;

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
    throw new InstallerError('InvalidInstallerFlag', `--timeout-seconds must be a number of seconds in (0, 3600]; got "${value}"`);
  }
  return seconds;
}

function parse(argv: string[]) {
  try {
    return parseArgs({
      args: argv,
      allowPositionals: false,
      options: {
        'bin-dir': { type: 'string' },
        'conf-dir': { type: 'string' },
        'plugin': { type: 'string' },
        'socket-path': { type: 'string' },
        'timeout-seconds': { type: 'string' },
        'log-file': { type: 'string' },
        'watch': { type: 'boolean' },
        'help': { type: 'boolean', short: 'h' },
      },
    }).values;
  } catch (error) {
    throw new InstallerError('InvalidInstallerFlag', `${(error as Error).message}\n${USAGE}`);
  }
}

interface Job { confDir: string; watch: boolean; run(): InstallAction[] }

function job(command: string, argv: string[]): Job | undefined {
  const flags = parse(argv);
  if (flags.help) {
    process.stdout.write(USAGE);
    return undefined;
  }
  const binDir = absolute('bin-dir', flags['bin-dir']) ?? DEFAULT_BIN_DIR;
  const confDir = absolute('conf-dir', flags['conf-dir']) ?? DEFAULT_CONF_DIR;
  if (command === 'uninstall-cni') return { confDir, watch: false, run: () => uninstallCni({ binDir, confDir }) };
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
  return { confDir, watch: flags.watch ?? false, run: () => installCni({ binDir, confDir, pluginSource, entry }) };
}

function logActions(logger: Logger, command: string, actions: InstallAction[], onlyChanges: boolean): void {
  for (const action of actions) {
    if (!onlyChanges || action.changed) logger.info(action.action, { command, path: action.path });
  }
}

const WATCH_SETTLE_MS = 200;
const WATCH_RESYNC_MS = 60_000;

/**
 * Re-runs the (idempotent) install whenever the conf dir changes, and every minute in case an
 * event was missed. Runs until the process is stopped.
 */
async function watch(logger: Logger, command: string, work: Job): Promise<never> {
  let pending: NodeJS.Timeout | undefined;
  const rerun = () => {
    clearTimeout(pending);
    // Let the primary CNI finish writing its file before we read it.
    pending = setTimeout(() => {
      try {
        logActions(logger, command, work.run(), true);
      } catch (error) {
        logger.error((error as Error).message, { command, code: error instanceof PodeipError ? error.code : 'Internal' });
      }
    }, WATCH_SETTLE_MS);
  };
  fsWatch(work.confDir, { persistent: true }, rerun);
  setInterval(rerun, WATCH_RESYNC_MS);
  logger.info('watching for changes', { command, path: work.confDir });
  return new Promise<never>(() => {});
}

/** argv: the subcommand (install-cni | uninstall-cni) and its flags. Sets exitCode 1 on failure. */
export async function main(argv: string[], logger: Logger = createLogger({ fields: { component: 'install-cni' } })): Promise<void> {
  const [command = '', ...rest] = argv;
  try {
    if (command !== 'install-cni' && command !== 'uninstall-cni') {
      throw new InstallerError('InvalidInstallerFlag', `unknown command "${command}"\n${USAGE}`);
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
