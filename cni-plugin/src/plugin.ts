/**
 * One CNI invocation: environment + stdin in, stdout + exit code out. Everything the process
 * touches (agent connection, log sink, clock) comes in as a collaborator.
 */
import type { Logger } from '../../lib/logger.js';
import type { ConnectAgent } from './agent-api.js';
import { CniError, toCniErrorObject } from './cni-error.js';
import { readCniEnv, readCommand } from './cni-env.js';
import { SUPPORTED_CNI_VERSIONS } from '../../lib/cni-contract.js';
import { isSupportedVersion, LATEST_CNI_VERSION, requireVersionFor } from './cni-versions.js';
import * as commands from './commands.js';
import { parseNetConf } from './net-conf.js';
import { errorText } from '../../lib/error-text.js';

export interface PluginDeps {
  connectAgent: ConnectAgent;
  /** The log for a config's `logFile`, or a silent one when it has none. */
  createLogger(logFile: string | undefined): Logger;
  now(): number;
}

export interface PluginOutput {
  stdout: string;
  exitCode: number;
}

type Env = Readonly<Record<string, string | undefined>>;

/** The cniVersion to answer in when the config could not be fully read. */
function bestEffortVersion(stdin: string): string {
  try {
    const version = (JSON.parse(stdin) as { cniVersion?: unknown }).cniVersion;
    if (typeof version === 'string' && isSupportedVersion(version)) return version;
  } catch {
    /* not JSON: answer in the latest version */
  }
  return LATEST_CNI_VERSION;
}

function versionInfo(stdin: string): string {
  return JSON.stringify({ cniVersion: bestEffortVersion(stdin), supportedVersions: SUPPORTED_CNI_VERSIONS });
}

function unexpected(error: unknown): CniError {
  return new CniError('Internal', 199, `podeip plugin failed unexpectedly: ${errorText(error)}`, '', { cause: error });
}

export async function runPlugin(env: Env, stdin: string, deps: PluginDeps): Promise<PluginOutput> {
  const started = deps.now();
  let logger: Logger | undefined;
  try {
    if (readCommand(env) === 'VERSION') return { stdout: versionInfo(stdin), exitCode: 0 };
    const conf = parseNetConf(stdin);
    logger = deps.createLogger(conf.logFile);
    const cniEnv = readCniEnv(env);
    requireVersionFor(cniEnv.command, conf.cniVersion);
    logger = logger.child({
      command: cniEnv.command,
      containerId: cniEnv.containerId,
      ifname: cniEnv.ifname,
      pod: `${cniEnv.k8s.podNamespace}/${cniEnv.k8s.podName}`,
      cniVersion: conf.cniVersion,
    });
    const context: commands.CommandContext = { env: cniEnv, conf, connectAgent: deps.connectAgent, logger };
    const outcome =
      cniEnv.command === 'ADD'
        ? await commands.add(context)
        : cniEnv.command === 'DEL'
          ? await commands.del(context)
          : cniEnv.command === 'CHECK'
            ? await commands.check(context)
            : cniEnv.command === 'STATUS'
              ? await commands.status()
              : await commands.gc(context);
    logger.info('cni command succeeded', { agentCalled: outcome.agentCalled, durationMs: deps.now() - started });
    return { stdout: outcome.result === undefined ? '' : JSON.stringify(outcome.result), exitCode: 0 };
  } catch (error) {
    const cniError = error instanceof CniError ? error : unexpected(error);
    logger?.error('cni command failed', {
      code: cniError.code,
      cniCode: cniError.cniCode,
      error: cniError.message,
      durationMs: deps.now() - started,
    });
    return { stdout: JSON.stringify(toCniErrorObject(cniError, bestEffortVersion(stdin))), exitCode: 1 };
  }
}
