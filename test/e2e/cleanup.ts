/**
 * Undoing everything the e2e run did to the host, even when it failed halfway: the harness
 * registers a step for each thing it starts (LIFO), and `HostState` sweeps what containerd, runc
 * and the CNI plugins leave outside our control (shims, mounts, links, cgroups, caches,
 * ip_forward).
 */
import { existsSync, readdirSync, readFileSync, rmSync, rmdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { run } from './proc.js';

type Step = { name: string; fn: () => Promise<void> | void };

export class CleanupStack {
  private steps: Step[] = [];
  private running: Promise<string[]> | undefined;

  add(name: string, fn: () => Promise<void> | void): void {
    this.steps.push({ name, fn });
  }

  /**
   * Runs every step, newest first; a failing step does not stop the others. Returns the errors.
   * A second caller (the signal handler racing the normal exit) waits for the same run.
   */
  runAll(): Promise<string[]> {
    this.running ??= this.runSteps();
    return this.running;
  }

  private async runSteps(): Promise<string[]> {
    const errors: string[] = [];
    for (const step of this.steps.reverse()) {
      try {
        await step.fn();
      } catch (err) {
        errors.push(`${step.name}: ${(err as Error).message}`);
      }
    }
    return errors;
  }
}

const IP_FORWARD = '/proc/sys/net/ipv4/ip_forward';
const SHIM_SOCKETS = '/run/containerd/s';
const CNI_RESULTS = '/var/lib/cni/results';

export interface HostFootprint {
  /** The temp dir holding containerd's root/state/sockets, runc's root and the CNI dirs. */
  tmpDir: string;
  bridgeName: string;
  /** The conflist's `name`: libcni's result cache entries start with it. */
  networkName: string;
  /** cgroup_parent given to every sandbox (relative to each controller's mount). */
  cgroupParent: string;
  /** runc --root for containerd's runtime (per-namespace subdirs below it). */
  runcRoot: string;
}

function listDir(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

/** What the host looked like before a run touched it. */
interface HostSnapshot {
  /** The e2e runner's PID: a snapshot whose runner is gone belongs to an abandoned run. */
  runnerPid: number;
  footprint: HostFootprint;
  ipForward: string;
  hadRunContainerd: boolean;
  shimSocketsBefore: string[];
  hadVarLibCni: boolean;
  cniResultsBefore: string[];
}

const SNAPSHOT_FILE = 'host-state.json';

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * What the host looked like before we touched it, and how to put it back. The snapshot is also
 * written into the run's temp dir, so a run killed with SIGKILL can be undone by the next one.
 */
export class HostState {
  private readonly ipForward: string;
  private readonly hadRunContainerd: boolean;
  private readonly shimSocketsBefore: Set<string>;
  private readonly hadVarLibCni: boolean;
  private readonly cniResultsBefore: Set<string>;
  private readonly footprint: HostFootprint;

  private constructor(snapshot: HostSnapshot) {
    this.footprint = snapshot.footprint;
    this.ipForward = snapshot.ipForward;
    this.hadRunContainerd = snapshot.hadRunContainerd;
    this.shimSocketsBefore = new Set(snapshot.shimSocketsBefore);
    this.hadVarLibCni = snapshot.hadVarLibCni;
    this.cniResultsBefore = new Set(snapshot.cniResultsBefore);
  }

  /** Takes the snapshot now (before anything is started) and saves it in the temp dir. */
  static capture(footprint: HostFootprint): HostState {
    const snapshot: HostSnapshot = {
      runnerPid: process.pid,
      footprint,
      ipForward: readFileSync(IP_FORWARD, 'utf8').trim(),
      hadRunContainerd: existsSync('/run/containerd'),
      shimSocketsBefore: listDir(SHIM_SOCKETS),
      hadVarLibCni: existsSync('/var/lib/cni'),
      cniResultsBefore: listDir(CNI_RESULTS),
    };
    writeFileSync(join(footprint.tmpDir, SNAPSHOT_FILE), JSON.stringify(snapshot, null, 2));
    return new HostState(snapshot);
  }

  /**
   * Undoes runs whose runner died without cleaning up (SIGKILL, OOM): every `<prefix>*` temp dir
   * whose snapshot names a runner that no longer exists. Returns the dirs it restored.
   */
  static async recoverAbandoned(parentDir: string, prefix: string): Promise<string[]> {
    const recovered: string[] = [];
    for (const entry of listDir(parentDir).filter((e) => e.startsWith(prefix))) {
      let snapshot: HostSnapshot;
      try {
        snapshot = JSON.parse(readFileSync(join(parentDir, entry, SNAPSHOT_FILE), 'utf8')) as HostSnapshot;
      } catch {
        continue;
      }
      if (isAlive(snapshot.runnerPid)) continue;
      await new HostState(snapshot).restore();
      recovered.push(join(parentDir, entry));
    }
    return recovered;
  }

  /**
   * libcni's cache entries from our run: our network's, and containerd's built-in loopback
   * network's ("cni-loopback-<sandbox>-lo") that appeared since we started.
   */
  private ourCniResults(): string[] {
    return listDir(CNI_RESULTS).filter(
      (entry) =>
        !this.cniResultsBefore.has(entry) &&
        (entry.startsWith(`${this.footprint.networkName}-`) || entry.startsWith('cni-loopback-')),
    );
  }

  /** Every step is best-effort and independent; returns what could not be undone. */
  async restore(): Promise<string[]> {
    const errors: string[] = [];
    const attempt = async (what: string, fn: () => Promise<void> | void) => {
      try {
        await fn();
      } catch (err) {
        errors.push(`${what}: ${(err as Error).message}`);
      }
    };
    await attempt('runc containers', () => this.deleteRuncContainers());
    await attempt('leftover processes', () => this.killProcessesUnderTmpDir());
    await attempt('mounts', () => this.unmountUnderTmpDir());
    await attempt('links', () => this.deleteLinks());
    await attempt('cgroups', () => this.removeCgroups());
    await attempt('/run/containerd', () => this.removeShimSockets());
    await attempt('/var/lib/cni', () => this.removeCniResults());
    await attempt('ip_forward', () => writeFileSync(IP_FORWARD, `${this.ipForward}\n`));
    await attempt('temp dir', () => rmSync(this.footprint.tmpDir, { recursive: true, force: true }));
    return errors;
  }

  /** What is still on the host after restore(); empty when the run left nothing behind. */
  async leftovers(): Promise<string[]> {
    const found: string[] = [];
    const { tmpDir, bridgeName, cgroupParent } = this.footprint;
    if (existsSync(tmpDir)) found.push(`temp dir ${tmpDir}`);
    if (mountPointsUnder(tmpDir).length) found.push(`mounts under ${tmpDir}`);
    if (processesMentioning(tmpDir).length) found.push(`processes started from ${tmpDir}`);
    if ((await run('ip', ['link', 'show', bridgeName], { allowFailure: true })).code === 0)
      found.push(`link ${bridgeName}`);
    const parent = cgroupParent.replace(/^\/+/, '');
    for (const controller of listDir('/sys/fs/cgroup')) {
      if (existsSync(join('/sys/fs/cgroup', controller, parent))) found.push(`cgroup ${controller}/${parent}`);
    }
    for (const entry of this.ourCniResults()) found.push(`${CNI_RESULTS}/${entry}`);
    if (!this.hadVarLibCni && existsSync('/var/lib/cni')) found.push('/var/lib/cni');
    if (!this.hadRunContainerd && existsSync('/run/containerd')) found.push('/run/containerd');
    for (const entry of listDir(SHIM_SOCKETS)) {
      if (!this.shimSocketsBefore.has(entry)) found.push(`${SHIM_SOCKETS}/${entry}`);
    }
    const ipForward = readFileSync(IP_FORWARD, 'utf8').trim();
    if (ipForward !== this.ipForward) found.push(`net.ipv4.ip_forward is ${ipForward}, was ${this.ipForward}`);
    return found;
  }

  private async deleteRuncContainers(): Promise<void> {
    for (const ns of listDir(this.footprint.runcRoot)) {
      const root = join(this.footprint.runcRoot, ns);
      for (const id of listDir(root)) {
        await run('runc', ['--root', root, 'delete', '--force', id], { allowFailure: true });
      }
    }
  }

  /** Shims outlive containerd; they name our socket (under tmpDir) on their command line. */
  private async killProcessesUnderTmpDir(): Promise<void> {
    for (const pid of processesMentioning(this.footprint.tmpDir)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  }

  private async unmountUnderTmpDir(): Promise<void> {
    for (const point of mountPointsUnder(this.footprint.tmpDir)) {
      await run('umount', ['-l', point], { allowFailure: true });
    }
  }

  private async deleteLinks(): Promise<void> {
    const { bridgeName } = this.footprint;
    const ports = await run('ip', ['-j', 'link', 'show', 'master', bridgeName], { allowFailure: true });
    if (ports.code === 0 && ports.stdout.trim()) {
      for (const link of JSON.parse(ports.stdout) as { ifname: string }[]) {
        await run('ip', ['link', 'delete', link.ifname], { allowFailure: true });
      }
    }
    const bridge = await run('ip', ['link', 'show', bridgeName], { allowFailure: true });
    if (bridge.code === 0) await run('ip', ['link', 'delete', bridgeName]);
  }

  private removeCgroups(): void {
    const parent = this.footprint.cgroupParent.replace(/^\/+/, '');
    const roots = new Set<string>();
    for (const controller of listDir('/sys/fs/cgroup')) {
      const dir = join('/sys/fs/cgroup', controller, parent);
      if (existsSync(dir)) roots.add(dir);
    }
    if (existsSync(join('/sys/fs/cgroup', parent, 'cgroup.procs'))) roots.add(join('/sys/fs/cgroup', parent));
    for (const root of roots) removeCgroupTree(root);
  }

  private removeShimSockets(): void {
    for (const entry of listDir(SHIM_SOCKETS)) {
      if (!this.shimSocketsBefore.has(entry)) rmSync(join(SHIM_SOCKETS, entry), { force: true });
    }
    if (!this.hadRunContainerd) removeEmptyTree('/run/containerd');
  }

  private removeCniResults(): void {
    for (const entry of this.ourCniResults()) rmSync(join(CNI_RESULTS, entry), { force: true });
    if (!this.hadVarLibCni) removeEmptyTree('/var/lib/cni');
  }
}

/** Deepest first, so nested mounts come off before their parents. */
function mountPointsUnder(dir: string): string[] {
  const prefix = dir + '/';
  return readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((line) => line.split(' ')[4])
    .filter((point): point is string => point !== undefined && point.startsWith(prefix))
    .map((point) => point.replace(/\\040/g, ' '))
    .sort((a, b) => b.length - a.length);
}

/** PIDs whose command line names `dir` (containerd's shims carry our socket path). */
function processesMentioning(dir: string): number[] {
  const pids: number[] = [];
  for (const entry of listDir('/proc')) {
    const pid = Number(entry);
    if (!Number.isInteger(pid) || pid === process.pid) continue;
    try {
      if (readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(dir)) pids.push(pid);
    } catch {
      // exited meanwhile
    }
  }
  return pids;
}

/** cgroup dirs are removed with rmdir, children first (their files cannot be unlinked). */
function removeCgroupTree(dir: string): void {
  for (const entry of listDir(dir)) {
    const child = join(dir, entry);
    try {
      if (statSync(child).isDirectory()) removeCgroupTree(child);
    } catch {
      // raced with the kernel removing it
    }
  }
  rmdirSync(dir);
}

function removeEmptyTree(dir: string): void {
  if (!existsSync(dir)) return;
  for (const entry of listDir(dir)) {
    const child = join(dir, entry);
    if (statSync(child).isDirectory()) removeEmptyTree(child);
  }
  if (listDir(dir).length === 0) rmdirSync(dir);
}
