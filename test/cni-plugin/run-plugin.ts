/** Runs the built plugin binary as the runtime does: a fresh process, only CNI_* env, stdin. */
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const PLUGIN_BINARY = fileURLToPath(new URL('../../bin/podeip', import.meta.url));

export interface PluginRun {
  stdout: string;
  stderr: string;
  exitCode: number | null;
  ms: number;
}

/** A working directory far from the repository, as a runtime's would be. */
const WORK_DIR = mkdtempSync(join(tmpdir(), 'podeip-cwd-'));

/**
 * Runs at most a few plugin processes at once: a test file's tests run concurrently, and dozens
 * of 40 MB executables starting together only thrash a small CI machine.
 */
const MAX_PARALLEL_RUNS = 4;
let running = 0;
const waiting: (() => void)[] = [];

async function slot<T>(work: () => Promise<T>): Promise<T> {
  if (running >= MAX_PARALLEL_RUNS) await new Promise<void>((resolve) => waiting.push(resolve));
  running += 1;
  try {
    return await work();
  } finally {
    running -= 1;
    waiting.shift()?.();
  }
}

export function runPlugin(
  env: Record<string, string>,
  stdin: string,
  binary = PLUGIN_BINARY,
  args: string[] = [],
): Promise<PluginRun> {
  return slot(() => spawnPlugin(env, stdin, binary, args));
}

function spawnPlugin(env: Record<string, string>, stdin: string, binary: string, args: string[]): Promise<PluginRun> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(binary, args, { env, cwd: WORK_DIR, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
    });
    child.on('error', reject);
    child.on('close', (exitCode) => resolve({ stdout, stderr, exitCode, ms: performance.now() - started }));
    child.stdin.end(stdin);
  });
}

export interface CniEnvOptions {
  command: string;
  containerId?: string;
  netns?: string;
  ifname?: string;
  args?: string;
}

export const POD_ARGS = {
  K8S_POD_NAMESPACE: 'games',
  K8S_POD_NAME: 'udp-0',
  K8S_POD_UID: '0b6e7d0c-1111-4c3e-9a37-5d1c0b2f3a10',
  K8S_POD_INFRA_CONTAINER_ID: 'sandbox-1',
  IgnoreUnknown: '1',
};

export function cniArgs(order: (keyof typeof POD_ARGS)[] = Object.keys(POD_ARGS) as (keyof typeof POD_ARGS)[]): string {
  return order.map((key) => `${key}=${POD_ARGS[key]}`).join(';');
}

export function cniEnv(options: CniEnvOptions): Record<string, string> {
  const env: Record<string, string> = {
    CNI_COMMAND: options.command,
    CNI_CONTAINERID: options.containerId ?? 'sandbox-1',
    CNI_NETNS: options.netns ?? '/var/run/netns/cni-1234',
    CNI_IFNAME: options.ifname ?? 'eth0',
    CNI_ARGS: options.args ?? cniArgs(),
    CNI_PATH: '/opt/cni/bin',
  };
  return env;
}

/** prevResult as the bridge plugin writes it: bridge, host veth, then the pod's eth0. */
export function bridgePrevResult(cniVersion: string): Record<string, unknown> {
  const pre100 = cniVersion.startsWith('0.');
  return {
    cniVersion,
    interfaces: [
      { name: 'cni0', mac: '6a:2b:3c:4d:5e:6f' },
      { name: 'veth1a2b3c4d', mac: '7a:2b:3c:4d:5e:70' },
      { name: 'eth0', mac: '8a:2b:3c:4d:5e:71', sandbox: '/var/run/netns/cni-1234' },
    ],
    ips: [{ ...(pre100 ? { version: '4' } : {}), address: '10.244.77.4/24', gateway: '10.244.77.1', interface: 2 }],
    routes: [{ dst: '0.0.0.0/0' }],
    dns: {},
  };
}

export interface NetConfOptions {
  cniVersion?: string;
  socketPath?: string;
  annotations?: Record<string, string>;
  prevResult?: Record<string, unknown> | null;
  extra?: Record<string, unknown>;
}

export function netConf(options: NetConfOptions = {}): string {
  const cniVersion = options.cniVersion ?? '1.0.0';
  const conf: Record<string, unknown> = {
    cniVersion,
    name: 'podnet',
    type: 'podeip',
    ...(options.socketPath !== undefined ? { socketPath: options.socketPath } : {}),
    ...(options.annotations !== undefined
      ? { runtimeConfig: { 'io.kubernetes.cri.pod-annotations': options.annotations } }
      : {}),
    ...(options.prevResult === null ? {} : { prevResult: options.prevResult ?? bridgePrevResult(cniVersion) }),
    ...options.extra,
  };
  return JSON.stringify(conf);
}
