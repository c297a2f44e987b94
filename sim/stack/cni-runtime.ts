/**
 * Plays the container runtime's part for the chained `podeip` plugin: runs the real binary with
 * the CNI environment and a network config carrying the primary plugin's prevResult, exactly as
 * containerd does after its bridge/terway plugin (and DEL twice, the second time without netns).
 */
import { runWithInput } from './child-output.js';
import { fileURLToPath } from 'node:url';
import { PodeipError } from '../../lib/errors.js';

export const PLUGIN_BINARY = fileURLToPath(new URL('../../bin/podeip', import.meta.url));

export interface SandboxRef {
  namespace: string;
  name: string;
  uid: string;
  containerId: string;
  /** The address the primary plugin gave the pod. */
  ipv4: string;
  annotations?: Record<string, string>;
}

export interface PluginOutcome {
  exitCode: number | null;
  stdout: string;
  stderr: string;
  ms: number;
  /** The parsed stdout: the passed-through prevResult on success, the CNI error object on failure. */
  result: Record<string, unknown> | undefined;
}

export class PluginCrashError extends PodeipError {
  constructor(command: string, outcome: { exitCode: number | null; stderr: string }) {
    super(
      'PluginCrashed',
      `podeip ${command} exited ${outcome.exitCode} without a CNI result on stdout: ${outcome.stderr.slice(-500)}`,
    );
  }
}

export interface CniRuntimeOptions {
  socketPath: string;
  binary?: string;
  /** Whether the runtime passes pod annotations (containerd with the capability does). */
  passAnnotations?: boolean;
  timeoutSeconds?: number;
}

export class CniRuntime {
  constructor(private readonly options: CniRuntimeOptions) {}

  add(sandbox: SandboxRef): Promise<PluginOutcome> {
    return this.invoke('ADD', sandbox, `/var/run/netns/cni-${sandbox.containerId.slice(0, 8)}`, true);
  }

  /** The runtime's first DEL (StopPodSandbox): netns and prevResult from its cache. */
  delWithNetns(sandbox: SandboxRef): Promise<PluginOutcome> {
    return this.invoke('DEL', sandbox, `/var/run/netns/cni-${sandbox.containerId.slice(0, 8)}`, true);
  }

  /** The runtime's second DEL (RemovePodSandbox): no netns, no prevResult. */
  delWithoutNetns(sandbox: SandboxRef): Promise<PluginOutcome> {
    return this.invoke('DEL', sandbox, '', false);
  }

  check(sandbox: SandboxRef): Promise<PluginOutcome> {
    return this.invoke('CHECK', sandbox, `/var/run/netns/cni-${sandbox.containerId.slice(0, 8)}`, true);
  }

  private netConf(sandbox: SandboxRef, withPrevResult: boolean): Record<string, unknown> {
    const conf: Record<string, unknown> = {
      cniVersion: '1.0.0',
      name: 'podeip-sim-net',
      type: 'podeip',
      socketPath: this.options.socketPath,
      ...(this.options.timeoutSeconds ? { timeoutSeconds: this.options.timeoutSeconds } : {}),
    };
    if (this.options.passAnnotations !== false) {
      conf.runtimeConfig = { 'io.kubernetes.cri.pod-annotations': sandbox.annotations ?? {} };
    }
    if (withPrevResult) {
      conf.prevResult = {
        cniVersion: '1.0.0',
        interfaces: [
          { name: 'cni0', mac: '0a:58:0a:f4:00:01' },
          { name: `veth${sandbox.containerId.slice(0, 6)}`, mac: '0a:58:0a:f4:00:02' },
          { name: 'eth0', mac: '0a:58:0a:f4:00:03', sandbox: `/var/run/netns/cni-${sandbox.containerId.slice(0, 8)}` },
        ],
        ips: [{ address: `${sandbox.ipv4}/24`, gateway: sandbox.ipv4.replace(/\.\d+$/, '.1'), interface: 2 }],
      };
    }
    return conf;
  }

  /** The environment and stdin of one plugin call, as containerd would give them. */
  invocation(
    command: 'ADD' | 'DEL' | 'CHECK',
    sandbox: SandboxRef,
    netns = `/var/run/netns/cni-${sandbox.containerId.slice(0, 8)}`,
    withPrevResult = true,
  ): { env: Record<string, string>; stdin: string } {
    const env = {
      CNI_COMMAND: command,
      CNI_CONTAINERID: sandbox.containerId,
      CNI_NETNS: netns,
      CNI_IFNAME: 'eth0',
      CNI_PATH: '/opt/cni/bin',
      CNI_ARGS: `IgnoreUnknown=1;K8S_POD_NAMESPACE=${sandbox.namespace};K8S_POD_NAME=${sandbox.name};K8S_POD_INFRA_CONTAINER_ID=${sandbox.containerId};K8S_POD_UID=${sandbox.uid}`,
    };
    return { env, stdin: JSON.stringify(this.netConf(sandbox, withPrevResult)) };
  }

  private async invoke(
    command: 'ADD' | 'DEL' | 'CHECK',
    sandbox: SandboxRef,
    netns: string,
    withPrevResult: boolean,
  ): Promise<PluginOutcome> {
    const { env, stdin } = this.invocation(command, sandbox, netns, withPrevResult);
    const started = performance.now();
    const { exitCode, stdout, stderr } = await runWithInput(this.options.binary ?? PLUGIN_BINARY, [], stdin, { env });
    let result: Record<string, unknown> | undefined;
    try {
      result = stdout ? (JSON.parse(stdout) as Record<string, unknown>) : undefined;
    } catch {
      result = undefined;
    }
    if (!result && !(command === 'DEL' && exitCode === 0)) throw new PluginCrashError(command, { exitCode, stderr });
    return { exitCode, stdout, stderr, ms: performance.now() - started, result };
  }
}
