/**
 * The simulated Kubernetes node the suite runs on: a private containerd with the bridge chain,
 * a locally built sandbox image and a CRI client, all under one temp dir, each piece registered
 * for cleanup as soon as it exists.
 */
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CleanupStack, HostState } from './cleanup.js';
import { type BridgeNetwork, writeBridgeConflist } from './cni-config.js';
import { Containerd, containerdPaths } from './containerd.js';
import { CriClient } from './cri-client.js';
import { buildPauseImage } from './pause-image.js';
import { PodRunner } from './pods.js';
import { waitFor } from './proc.js';

export const SANDBOX_IMAGE = 'podeip.local/e2e/pause:1';
export const BRIDGE_NAME = 'podeip-e2e0';
export const NETWORK_NAME = 'podeip-e2e';
export const POD_SUBNET = '10.244.77.0/24';
export const POD_GATEWAY = '10.244.77.1';
export const CGROUP_PARENT = '/podeip-e2e';

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
    };
    this.cri = new CriClient(this.containerd.paths.socket);
    mkdirSync(join(tmpDir, 'pod-logs'), { recursive: true });
    this.pods = new PodRunner(this.cri, CGROUP_PARENT, join(tmpDir, 'pod-logs'));
  }

  /**
   * Creates the temp dir and registers the host sweep first, so it runs last and even when a
   * later step fails.
   */
  static create(cleanup: CleanupStack): E2eNode {
    const tmpDir = mkdtempSync(join(tmpdir(), 'podeip-e2e-'));
    const host = new HostState({
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

  get cniConfDir(): string { return this.containerd.paths.cniConfDir; }
  get cniBinDir(): string { return this.containerd.paths.cniBinDir; }

  /** containerd up with the bridge-only chain and the sandbox image imported. */
  async start(): Promise<void> {
    this.containerd.prepare();
    writeBridgeConflist(this.cniConfDir, this.network);
    this.cleanup.add('containerd', () => this.containerd.stop());
    this.cleanup.add('CRI client', () => this.cri.close());
    await this.containerd.start();
    const image = await buildPauseImage(join(this.tmpDir, 'pause-image'), SANDBOX_IMAGE);
    await this.containerd.importImage(image);
    await this.cri.waitReady();
  }

  /** Waits until containerd's loaded CNI config contains `needle` (it reloads on file events). */
  async waitCniConfigContains(needle: string, timeoutMs = 15000): Promise<void> {
    await waitFor(`containerd to load a CNI config containing ${needle}`, async () =>
      ((await this.cri.loadedCniConfig()).includes(needle) ? true : undefined), { timeoutMs, stepMs: 100 });
  }
}
