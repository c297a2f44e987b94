/**
 * A private containerd 1.6: its own root, state, sockets, runc root and CNI dirs, all under one
 * temp dir, started with a clean environment (CNI plugins inherit it) and stopped by PID.
 */
import { existsSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Daemon, run, waitFor } from './proc.js';

/** The reference plugins from containernetworking-plugins the chain uses. */
const REFERENCE_PLUGINS = ['bridge', 'host-local', 'loopback', 'portmap'];
const REFERENCE_PLUGIN_DIR = '/usr/lib/cni';
export const CLEAN_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

export interface ContainerdPaths {
  root: string;
  state: string;
  socket: string;
  runcRoot: string;
  cniBinDir: string;
  cniConfDir: string;
  configFile: string;
  logFile: string;
}

export function containerdPaths(baseDir: string): ContainerdPaths {
  return {
    root: join(baseDir, 'root'),
    state: join(baseDir, 'state'),
    socket: join(baseDir, 'containerd.sock'),
    runcRoot: join(baseDir, 'runc'),
    cniBinDir: join(baseDir, 'cni', 'bin'),
    cniConfDir: join(baseDir, 'cni', 'net.d'),
    configFile: join(baseDir, 'config.toml'),
    logFile: join(baseDir, 'containerd.log'),
  };
}

export function renderConfig(p: ContainerdPaths, sandboxImage: string): string {
  const cri = 'plugins."io.containerd.grpc.v1.cri"';
  return `version = 2
root = ${JSON.stringify(p.root)}
state = ${JSON.stringify(p.state)}
# Keep the runtime v1 plugin: the CRI plugin fails to load in 1.6 without it.
disabled_plugins = [
  "io.containerd.snapshotter.v1.aufs",
  "io.containerd.snapshotter.v1.btrfs",
  "io.containerd.snapshotter.v1.zfs",
  "io.containerd.snapshotter.v1.devmapper",
]

[grpc]
  address = ${JSON.stringify(p.socket)}

[ttrpc]
  address = ${JSON.stringify(p.socket + '.ttrpc')}

[plugins."io.containerd.internal.v1.opt"]
  path = ${JSON.stringify(join(p.root, 'opt'))}

[${cri}]
  sandbox_image = ${JSON.stringify(sandboxImage)}
  netns_mounts_under_state_dir = true
  # No CAP_SYS_RESOURCE on these VMs: without this runc fails with "can't get final child's PID".
  restrict_oom_score_adj = true
  stream_server_address = "127.0.0.1"
  stream_server_port = "0"

[${cri}.cni]
  bin_dir = ${JSON.stringify(p.cniBinDir)}
  conf_dir = ${JSON.stringify(p.cniConfDir)}
  max_conf_num = 1

[${cri}.containerd]
  snapshotter = "overlayfs"
  default_runtime_name = "runc"

[${cri}.containerd.runtimes.runc]
  runtime_type = "io.containerd.runc.v2"

[${cri}.containerd.runtimes.runc.options]
  Root = ${JSON.stringify(p.runcRoot)}
  SystemdCgroup = false
`;
}

export class Containerd {
  private daemon: Daemon | undefined;

  constructor(
    readonly paths: ContainerdPaths,
    private readonly sandboxImage: string,
  ) {}

  /** Creates the dirs and config, and links the reference CNI plugins into our bin dir. */
  prepare(): void {
    const p = this.paths;
    for (const dir of [p.root, p.state, p.runcRoot, p.cniBinDir, p.cniConfDir]) mkdirSync(dir, { recursive: true });
    for (const plugin of REFERENCE_PLUGINS) {
      const link = join(p.cniBinDir, plugin);
      if (!existsSync(link)) symlinkSync(join(REFERENCE_PLUGIN_DIR, plugin), link);
    }
    writeFileSync(p.configFile, renderConfig(p, this.sandboxImage));
  }

  async start(): Promise<void> {
    this.daemon = Daemon.start(
      'containerd',
      '/usr/bin/env',
      ['-i', `PATH=${CLEAN_PATH}`, 'containerd', '--config', this.paths.configFile, '--log-level', 'info'],
      process.env,
      this.paths.logFile,
    );
    const daemon = this.daemon;
    await waitFor('containerd socket', async () => (existsSync(this.paths.socket) ? true : undefined), {
      timeoutMs: 20000,
      abort: () => (daemon.running ? undefined : daemon.exitedError()),
    });
  }

  async stop(): Promise<void> {
    await this.daemon?.stop(10000);
  }

  async importImage(tarball: string): Promise<void> {
    await run('ctr', ['--address', this.paths.socket, '-n', 'k8s.io', 'images', 'import', tarball]);
  }
}
