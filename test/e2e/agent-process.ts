/**
 * podeip-agent as the DaemonSet would run it on our node: its YAML config in the temp dir,
 * NODE_NAME and KUBECONFIG from the environment, gRPC on a unix socket the plugin dials, and
 * /metrics, /readyz on a loopback port it picks. Stopped and started again by the agent-down scenarios.
 */
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { Daemon, waitFor } from './proc.js';
import { REPO_ROOT } from './sims.js';

const PODEIP_AGENT = join(REPO_ROOT, 'bin', 'podeip-agent');

export interface AgentSettings {
  nodeName: string;
  kubeconfig: string;
  clusterId: string;
  regionId: string;
  vpcId: string;
  accessKeyId: string;
  accessKeySecret: string;
  cloudEndpoint: string;
  metadataEndpoint: string;
  socketPath: string;
  stateDir: string;
  configFile: string;
  logFile: string;
}

const READY_MESSAGE = 'podeip-agent ready';

export class AgentProcess {
  private daemon: Daemon | undefined;
  /** HOST:PORT of /metrics and /readyz; the agent listens on port 0 and logs what it got. */
  private metricsAddress = '';

  constructor(readonly settings: AgentSettings) {
    writeFileSync(
      settings.configFile,
      stringify({
        clusterID: settings.clusterId,
        regionID: settings.regionId,
        vpcID: settings.vpcId,
        enableControllers: ['eip'],
        networkController: { eipController: { maxConcurrentReconciles: 4, garbageCollectionPeriodInMinutes: 1 } },
        credential: { accessKey: settings.accessKeyId, accessSecret: settings.accessKeySecret },
        agent: {
          socketPath: settings.socketPath,
          stateDir: settings.stateDir,
          metricsListen: '127.0.0.1:0',
          attachTimeoutSeconds: 30,
          logLevel: 'debug',
        },
        cloud: {
          vpcEndpoint: settings.cloudEndpoint,
          ecsEndpoint: settings.cloudEndpoint,
          protocol: 'http',
          metadataEndpoint: `http://${settings.metadataEndpoint}`,
        },
      }),
    );
  }

  get running(): boolean {
    return this.daemon?.running ?? false;
  }

  /**
   * Starts the agent and waits for its "ready" log line (which names the metrics address), its
   * socket, and /readyz answering 200.
   */
  async start(): Promise<void> {
    if (this.running) return;
    const s = this.settings;
    const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', NODE_NAME: s.nodeName, KUBECONFIG: s.kubeconfig };
    const daemon = Daemon.start(
      'podeip-agent',
      process.execPath,
      [PODEIP_AGENT, '--config', s.configFile],
      env,
      s.logFile,
    );
    this.daemon = daemon;
    await waitFor(
      'podeip-agent to be ready (log line, socket and /readyz)',
      async () => {
        const ready = daemon.stdoutLines.map(parseLogLine).find((l) => l?.message === READY_MESSAGE);
        if (typeof ready?.metrics !== 'string' || !existsSync(s.socketPath)) return undefined;
        this.metricsAddress = ready.metrics;
        const res = await fetch(`http://${this.metricsAddress}/readyz`);
        return res.status === 200 ? true : undefined;
      },
      { timeoutMs: 60000, stepMs: 100, abort: () => (daemon.running ? undefined : daemon.exitedError()) },
    );
  }

  async stop(): Promise<void> {
    await this.daemon?.stop(10000);
  }

  /** podeip_cni_requests_total as "command result" -> count (e.g. "add success": 3). */
  async cniRequests(): Promise<Record<string, number>> {
    const text = await (await fetch(`http://${this.metricsAddress}/metrics`)).text();
    const counts: Record<string, number> = {};
    for (const line of text.split('\n')) {
      const m = /^podeip_cni_requests_total\{([^}]*)\}\s+(\S+)/.exec(line);
      if (!m) continue;
      const label = (name: string) => new RegExp(`${name}="([^"]*)"`).exec(m[1]!)?.[1] ?? '';
      counts[`${label('command')} ${label('result')}`] = Number(m[2]);
    }
    return counts;
  }
}

function parseLogLine(line: string): Record<string, unknown> | undefined {
  try {
    return JSON.parse(line) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}

/** Sum of the counts whose key starts with `prefix` (e.g. "add", or "del success"). */
export function countOf(counts: Record<string, number>, prefix: string): number {
  return Object.entries(counts)
    .filter(([key]) => key === prefix || key.startsWith(`${prefix} `))
    .reduce((a, [, v]) => a + v, 0);
}
