/**
 * Pod sandboxes as kubelet asks for them, with the time each CRI step takes.
 */
import { randomUUID } from 'node:crypto';
import type { CriClient, PodSandboxConfig } from './cri-client.js';

export interface PodSpec {
  namespace: string;
  name: string;
  uid: string;
  annotations: Record<string, string>;
  attempt?: number;
}

export function newPodSpec(namespace: string, name: string, annotations: Record<string, string> = {}): PodSpec {
  return { namespace, name, uid: randomUUID(), annotations };
}

/**
 * kubelet passes the pod's annotations plus the two it adds to every pod it admits, so a real
 * sandbox never has an empty annotation map.
 */
function kubeletAnnotations(pod: PodSpec): Record<string, string> {
  return {
    ...pod.annotations,
    'kubernetes.io/config.source': 'api',
    'kubernetes.io/config.seen': new Date().toISOString(),
  };
}

export function sandboxConfig(pod: PodSpec, cgroupParent: string, logDir: string): PodSandboxConfig {
  return {
    metadata: { name: pod.name, uid: pod.uid, namespace: pod.namespace, attempt: pod.attempt ?? 0 },
    hostname: pod.name,
    logDirectory: logDir,
    dnsConfig: { servers: [], searches: [], options: [] },
    labels: {
      'io.kubernetes.pod.name': pod.name,
      'io.kubernetes.pod.namespace': pod.namespace,
      'io.kubernetes.pod.uid': pod.uid,
    },
    annotations: kubeletAnnotations(pod),
    linux: {
      cgroupParent,
      securityContext: { namespaceOptions: { network: 'POD', pid: 'CONTAINER', ipc: 'POD' } },
    },
  };
}

export interface RunningPod {
  spec: PodSpec;
  sandboxId: string;
  ip: string;
  runMs: number;
}

export interface TimingSample {
  runMs: number[];
  teardownMs: number[];
}

/** Runs and tears down sandboxes, recording the durations under a label (e.g. "bridge only"). */
export class PodRunner {
  readonly timings = new Map<string, TimingSample>();

  constructor(
    private readonly cri: CriClient,
    private readonly cgroupParent: string,
    private readonly logDir: string,
  ) {}

  private sample(label: string): TimingSample {
    let s = this.timings.get(label);
    if (!s) this.timings.set(label, (s = { runMs: [], teardownMs: [] }));
    return s;
  }

  /**
   * RunPodSandbox then PodSandboxStatus; `label` set means the run time is recorded. `onReturn`
   * runs the moment RunPodSandbox returned, before anything else (to catch the world as the
   * pod's first container would find it).
   */
  async run(pod: PodSpec, label?: string, onReturn?: () => Promise<void>): Promise<RunningPod> {
    const start = performance.now();
    const sandboxId = await this.cri.runPodSandbox(sandboxConfig(pod, this.cgroupParent, this.logDir));
    const runMs = performance.now() - start;
    await onReturn?.();
    if (label) this.sample(label).runMs.push(runMs);
    const status = await this.cri.podSandboxStatus(sandboxId);
    return { spec: pod, sandboxId, ip: status.network?.ip ?? '', runMs };
  }

  /**
   * StopPodSandbox then RemovePodSandbox (kubelet's order), timed as one teardown. `betweenSteps`
   * runs after Stop (what kubelet does meanwhile, and checks) and is not part of the time.
   */
  async teardown(sandboxId: string, label?: string, betweenSteps?: () => Promise<void>): Promise<number> {
    const stopStart = performance.now();
    await this.cri.stopPodSandbox(sandboxId);
    const stopMs = performance.now() - stopStart;
    await betweenSteps?.();
    const removeStart = performance.now();
    await this.cri.removePodSandbox(sandboxId);
    const ms = stopMs + performance.now() - removeStart;
    if (label) this.sample(label).teardownMs.push(ms);
    return ms;
  }
}

export function median(values: number[]): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}
