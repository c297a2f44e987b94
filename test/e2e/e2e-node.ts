/**
 * The simulated Kubernetes node the suite runs on: a private containerd with the bridge chain,
 * a locally built sandbox image and a CRI client, all under one temp dir, each piece registered
 * for cleanup as soon as it exists.
 */
import { mkdirSync, mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CleanupStack, HostState } from './cleanup.js';
import { type BridgeNetwork, writeBridgeConflist } from './cni-config.js';
import { Containerd, containerdPaths } from './containerd.js';
import { CriClient } from './cri-client.js';
import { buildPauseImage } from './pause-image.js';
import { PodRunner } from './pods.js';
import { waitFor } from './proc.js';

export const TMP_PREFIX = 'podeip-e2e-';
export const SANDBOX_IMAGE = 'podeip.local/e2e/pause:1';
export const BRIDGE_NAME = 'podeip-e2e0';
export const NETWORK_NAME = 'podeip-e2e';
export const POD_SUBNET = '10.244.77.0/24';
export const POD_GATEWAY = '10.244.77.1';
/** host-local hands out only these; the cloud topology gives each to one of the node's ENIs. */
export const POD_RANGE_START = '10.244.77.2';
export const POD_RANGE_END = '10.244.77.97';
export const CGROUP_PARENT = '/podeip-e2e';

const ipv4ToInt = (ip: string): number => ip.split('.').reduce((n, octet) => n * 256 + Number(octet), 0);

const intToIpv4 = (n: number): string => [24, 16, 8, 0].map((shift) => (n >>> shift) & 255).join('.');

/** Every address host-local may hand out on our bridge, in order. */
export function podRangeIps(): string[] {
  const first = ipv4ToInt(POD_RANGE_START);
  return Array.from({ length: ipv4ToInt(POD_RANGE_END) - first + 1 }, (_, i) => intToIpv4(first + i));
}

/** True for an address host-local may hand out on our bridge. */
export function isPodIp(ip: string): boolean {
  if (!/^\d+\.\d+\.\d+\.\d+$/.test(ip)) return false;
  const n = ipv4ToInt(ip);
  return n >= ipv4ToInt(POD_RANGE_START) && n <= ipv4ToInt(POD_RANGE_END);
}
const CNI_RESULTS_DIR = '/var/lib/cni/results';

function listDir(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

export class E2eNode {
  readonly containerd: Containerd;
  readonly network: BridgeNetwork;
  readonly cri: CriClient;
  readonly pods: PodRunner;

  private constructor(
    readonly tmpDir: string,
    readonly cleanup: CleanupStack,
    readonly host: HostState,
  ) {
    this.containerd = new Containerd(containerdPaths(join(tmpDir, 'containerd')), SANDBOX_IMAGE);
    this.network = {
      name: NETWORK_NAME,
      bridge: BRIDGE_NAME,
      subnet: POD_SUBNET,
      gateway: POD_GATEWAY,
      ipamDataDir: join(tmpDir, 'ipam'),
      rangeStart: POD_RANGE_START,
      rangeEnd: POD_RANGE_END,
    };
    this.cri = new CriClient(this.containerd.paths.socket);
    mkdirSync(join(tmpDir, 'pod-logs'), { recursive: true });
    this.pods = new PodRunner(this.cri, CGROUP_PARENT, join(tmpDir, 'pod-logs'));
  }

  /**
   * Creates the temp dir and registers the host sweep first, so it runs last and even when a
   * later step fails.
   */
  /** Undoes earlier runs that were killed before their cleanup ran. */
  static recoverAbandonedRuns(): Promise<string[]> {
    return HostState.recoverAbandoned(tmpdir(), TMP_PREFIX);
  }

  static create(cleanup: CleanupStack): E2eNode {
    const tmpDir = mkdtempSync(join(tmpdir(), TMP_PREFIX));
    const host = HostState.capture({
      tmpDir,
      bridgeName: BRIDGE_NAME,
      networkName: NETWORK_NAME,
      cgroupParent: CGROUP_PARENT,
      runcRoot: containerdPaths(join(tmpDir, 'containerd')).runcRoot,
    });
    const node = new E2eNode(tmpDir, cleanup, host);
    cleanup.add('host state', async () => {
      const errors = await host.restore();
      if (errors.length) throw new Error(errors.join('; '));
    });
    return node;
  }

  get cniConfDir(): string {
    return this.containerd.paths.cniConfDir;
  }
  get cniBinDir(): string {
    return this.containerd.paths.cniBinDir;
  }

  /** containerd up with the bridge-only chain and the sandbox image imported; returns its version. */
  async start(): Promise<string> {
    this.containerd.prepare();
    writeBridgeConflist(this.cniConfDir, this.network);
    this.cleanup.add('containerd', () => this.containerd.stop());
    this.cleanup.add('CRI client', () => this.cri.close());
    await this.containerd.start();
    const image = await buildPauseImage(join(this.tmpDir, 'pause-image'), SANDBOX_IMAGE);
    await this.containerd.importImage(image);
    await this.cri.waitReady();
    await this.waitChain(['bridge']);
    const version = await this.cri.version();
    if (version.runtimeName !== 'containerd' || version.runtimeApiVersion !== 'v1') {
      throw new Error(`expected containerd speaking CRI v1, got ${JSON.stringify(version)}`);
    }
    return `${version.runtimeName} ${version.runtimeVersion}, CRI ${version.runtimeApiVersion}`;
  }

  /**
   * What the network chain still holds for a sandbox: libcni cache entries and host-local IP
   * reservations (files named by IP whose first line is the container id). Empty once torn down.
   */
  networkTracesOf(sandboxId: string): string[] {
    const traces = listDir(CNI_RESULTS_DIR)
      .filter((entry) => entry.includes(`-${sandboxId}-`))
      .map((e) => join(CNI_RESULTS_DIR, e));
    const ipamDir = join(this.network.ipamDataDir, this.network.name);
    for (const entry of listDir(ipamDir)) {
      const file = join(ipamDir, entry);
      try {
        if (readFileSync(file, 'utf8').split(/\s/)[0] === sandboxId) traces.push(`${file} (host-local reservation)`);
      } catch {
        // a lock file or a reservation released meanwhile
      }
    }
    return traces;
  }

  /** The plugin types of our network in the CNI config containerd has loaded, in chain order. */
  async loadedChain(): Promise<string[]> {
    const loaded = JSON.parse((await this.cri.loadedCniConfig()) || '{}') as {
      Networks?: { Config: { Name: string; Plugins: { Network: { type: string } }[] } }[];
    };
    const ours = loaded.Networks?.find((n) => n.Config.Name === this.network.name);
    return ours?.Config.Plugins.map((p) => p.Network.type) ?? [];
  }

  /** Waits until containerd reloaded our conflist (it watches conf_dir) with exactly `chain`. */
  async waitChain(chain: string[], timeoutMs = 15000): Promise<void> {
    await waitFor(
      `containerd to load the chain ${chain.join(' -> ')}`,
      async () => {
        const loaded = await this.loadedChain();
        if (loaded.join() === chain.join()) return true;
        throw new Error(`loaded: ${loaded.join(' -> ')}`);
      },
      { timeoutMs, stepMs: 100 },
    );
  }
}
