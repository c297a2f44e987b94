/**
 * Running host commands and long-lived child processes for the e2e harness. Every child is
 * tracked by PID so cleanup can stop exactly what we started.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { PodeipError } from '../../lib/errors.js';

export class CommandFailedError extends PodeipError {
  constructor(
    readonly command: string,
    readonly exitCode: number | null,
    readonly stderr: string,
  ) {
    super('E2eCommandFailed', `${command} exited with ${exitCode}: ${stderr.trim().slice(-2000)}`);
  }
}

export interface RunOptions {
  env?: NodeJS.ProcessEnv;
  input?: string;
  /** Resolve with the result instead of throwing on a non-zero exit. */
  allowFailure?: boolean;
}

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function run(cmd: string, args: string[], opts: RunOptions = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, {
      env: opts.env ?? process.env,
      stdio: [opts.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout!.setEncoding('utf8').on('data', (d: string) => {
      stdout += d;
    });
    child.stderr!.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
    });
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0 && !opts.allowFailure)
        reject(new CommandFailedError([cmd, ...args].join(' '), code, stderr || stdout));
      else resolve({ code, stdout, stderr });
    });
    if (opts.input !== undefined) {
      // A command that exits without reading its input must fail by its exit code, not EPIPE.
      child.stdin!.on('error', () => undefined);
      child.stdin!.end(opts.input);
    }
  });
}

/**
 * A background process whose output goes to a log file; stopped by its own PID. Its stdout
 * lines are also kept, for start-up announcements (the simulators print their endpoints as
 * JSON) and for reading what the agent logged.
 */
export class Daemon {
  private exited: Promise<number | null>;
  private exitCode: number | null | undefined;
  readonly stdoutLines: string[] = [];
  /** The last stderr lines, for saying why it died (the log file may lag behind). */
  readonly stderrTail: string[] = [];

  private constructor(
    readonly name: string,
    readonly child: ChildProcess,
    readonly logFile: string,
  ) {
    this.exited = new Promise((resolve) => {
      child.on('exit', (code, signal) => {
        this.exitCode = code ?? (signal ? -1 : null);
        resolve(this.exitCode);
      });
    });
    let partial = '';
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      const parts = (partial + chunk).split('\n');
      partial = parts.pop()!;
      this.stdoutLines.push(...parts);
    });
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
      this.stderrTail.push(...chunk.split('\n').filter(Boolean));
      this.stderrTail.splice(0, Math.max(0, this.stderrTail.length - 40));
    });
  }

  /** The first stdout line that parses as a JSON object, once the process printed it. */
  async firstJsonLine(what: string, timeoutMs = 20000): Promise<Record<string, unknown>> {
    return waitFor(
      what,
      async () => {
        for (const line of this.stdoutLines) {
          if (!line.startsWith('{')) continue;
          try {
            return JSON.parse(line) as Record<string, unknown>;
          } catch {
            // not JSON after all
          }
        }
        return undefined;
      },
      { timeoutMs, abort: () => (this.running ? undefined : this.exitedError()) },
    );
  }

  /** Why it is gone: its last output lines, from memory since the log file may lag behind. */
  exitedError(): DaemonExitedError {
    const tail = [...this.stdoutLines.slice(-20), ...this.stderrTail.slice(-20)].join('\n');
    return new DaemonExitedError(this.name, this.exitCode, tail, this.logFile);
  }

  static start(name: string, cmd: string, args: string[], env: NodeJS.ProcessEnv, logFile: string): Daemon {
    const log = createWriteStream(logFile, { flags: 'a' });
    const child = spawn(cmd, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.pipe(log, { end: false });
    child.stderr.pipe(log, { end: false });
    child.on('error', (err) => log.write(`spawn error: ${err.message}\n`));
    return new Daemon(name, child, logFile);
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }
  get running(): boolean {
    return this.exitCode === undefined && this.child.pid !== undefined;
  }

  /** SIGTERM, then SIGKILL after `graceMs`. Resolves once the process is gone. */
  async stop(graceMs = 5000): Promise<void> {
    if (!this.running) return;
    process.kill(this.pid, 'SIGTERM');
    const timer = setTimeout(() => {
      if (this.running) process.kill(this.pid, 'SIGKILL');
    }, graceMs);
    await this.exited;
    clearTimeout(timer);
  }
}

export class DaemonExitedError extends PodeipError {
  constructor(name: string, exitCode: number | null | undefined, tail: string, logFile: string) {
    super('E2eDaemonExited', `${name} exited (${exitCode}) unexpectedly; its last output (${logFile}):\n${tail}`);
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export class WaitTimeoutError extends PodeipError {
  constructor(what: string, ms: number, last: string) {
    super('E2eWaitTimeout', `timed out after ${ms} ms waiting for ${what}${last ? `; last: ${last}` : ''}`);
  }
}

export interface WaitOptions {
  timeoutMs?: number;
  stepMs?: number;
  /** Checked each round: an error returned here ends the wait at once (e.g. the daemon died). */
  abort?: () => Error | undefined;
}

/**
 * Poll `probe` until it returns a value (not undefined), or fail naming what we waited for.
 * A probe that throws counts as "not yet"; its last message is kept for the timeout error.
 */
export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  opts: WaitOptions = {},
): Promise<T> {
  const timeoutMs = opts.timeoutMs ?? 15000;
  const deadline = Date.now() + timeoutMs;
  let last = '';
  for (;;) {
    const fatal = opts.abort?.();
    if (fatal) throw fatal;
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (err) {
      last = (err as Error).message;
    }
    if (Date.now() > deadline) throw new WaitTimeoutError(what, timeoutMs, last);
    await sleep(opts.stepMs ?? 50);
  }
}
