/**
 * bin/podeip-agent as a real child process, the way a DaemonSet runs it: a YAML config file,
 * NODE_NAME and KUBECONFIG in the environment, JSON logs to a file. Benches measure its RSS;
 * chaos tests kill -9 it at chosen moments and start it again on the same state dir.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { PodeipError } from '../../lib/errors.js';

export const AGENT_BIN = fileURLToPath(new URL('../../../bin/podeip-agent', import.meta.url));

export class AgentStartError extends PodeipError {
  constructor(message: string) {
    super('AgentStartFailed', message);
  }
}

export interface AgentProcessOptions {
  /** The whole config document (written as YAML). */
  config: Record<string, unknown>;
  configFile: string;
  logFile: string;
  nodeName: string;
  kubeconfig: string;
  /** Where /readyz and /metrics answer (config agent.metricsListen). */
  metricsUrl: string;
  extraEnv?: Record<string, string>;
}

export class AgentProcess {
  private child: ChildProcess | undefined;
  private exit: Promise<number | null> | undefined;

  private extraEnv: Record<string, string>;

  constructor(readonly options: AgentProcessOptions) {
    this.extraEnv = options.extraEnv ?? {};
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** Environment for the next start (e.g. PODEIP_FAILPOINTS), replacing the previous extra env. */
  setExtraEnv(env: Record<string, string>): void {
    this.extraEnv = env;
  }

  /** Resolves with the exit code (null after a signal) once the process is gone. */
  async exited(): Promise<number | null> {
    return this.exit ?? null;
  }
  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Starts the agent and resolves once /readyz answers 200. */
  async start(timeoutMs = 90_000): Promise<void> {
    await this.launch();
    await this.ready(timeoutMs);
  }

  /** Starts the process without waiting for it to be ready. */
  async launch(): Promise<void> {
    await writeFile(this.options.configFile, stringify(this.options.config));
    const log = createWriteStream(this.options.logFile, { flags: 'a' });
    const env: Record<string, string> = {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      NODE_NAME: this.options.nodeName,
      KUBECONFIG: this.options.kubeconfig,
      ...this.extraEnv,
    };
    const child = spawn(process.execPath, [AGENT_BIN, '--config', this.options.configFile], {
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout.pipe(log, { end: false });
    child.stderr.pipe(log, { end: false });
    this.child = child;
    this.exit = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
  }

  /** Resolves once /readyz answers 200. */
  async ready(timeoutMs = 90_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (!this.running)
        throw new AgentStartError(
          `podeip-agent exited during start; see ${this.options.logFile}:\n${await this.logTail()}`,
        );
      try {
        if ((await fetch(`${this.options.metricsUrl}/readyz`)).status === 200) return;
      } catch {
        // not listening yet
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new AgentStartError(
      `podeip-agent not ready within ${timeoutMs} ms; see ${this.options.logFile}:\n${await this.logTail()}`,
    );
  }

  /** SIGTERM and wait (SIGKILL after graceMs). */
  async stop(graceMs = 10_000): Promise<void> {
    if (!this.running) return;
    this.child!.kill('SIGTERM');
    const timer = setTimeout(() => this.child?.kill('SIGKILL'), graceMs);
    await this.exit;
    clearTimeout(timer);
  }

  /** kill -9: no chance to clean up, as when a node loses power mid-call. */
  async kill9(): Promise<void> {
    if (!this.running) return;
    this.child!.kill('SIGKILL');
    await this.exit;
  }

  /** /readyz's status and body; undefined while nothing listens. */
  async readyz(): Promise<{ status: number; body: string } | undefined> {
    try {
      const response = await fetch(`${this.options.metricsUrl}/readyz`);
      return { status: response.status, body: await response.text() };
    } catch {
      return undefined;
    }
  }

  async metrics(): Promise<string> {
    return (await fetch(`${this.options.metricsUrl}/metrics`)).text();
  }

  /** Resident set size in bytes, from /proc. */
  async rssBytes(): Promise<number> {
    const status = await readFile(`/proc/${this.pid}/status`, 'utf8');
    const kb = /VmRSS:\s+(\d+) kB/.exec(status)?.[1];
    return kb ? Number(kb) * 1024 : NaN;
  }

  async logTail(lines = 30): Promise<string> {
    try {
      return (await readFile(this.options.logFile, 'utf8')).trimEnd().split('\n').slice(-lines).join('\n');
    } catch {
      return '(no log)';
    }
  }
}

/** Sum of a Prometheus counter's samples whose labels include all of `labels`. */
export function sumMetric(exposition: string, name: string, labels: Record<string, string> = {}): number {
  let total = 0;
  for (const line of exposition.split('\n')) {
    if (!line.startsWith(name)) continue;
    const match = /^([a-zA-Z_:][\w:]*)(\{([^}]*)\})?\s+(\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const body = match[3] ?? '';
    if (Object.entries(labels).every(([k, v]) => body.includes(`${k}="${v}"`))) total += Number(match[4]);
  }
  return total;
}
