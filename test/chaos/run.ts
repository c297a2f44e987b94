/**
 * The chaos suite: kill -9 the agent at randomized points of attach, detach and release,
 * restart it, replay what the runtime would (a new sandbox after a failed ADD, DEL twice),
 * and check the invariants of docs/architecture.md against the simulators' state:
 *   1. no EIP we allocated is left without an owner (leak);
 *   2. no EIP is bound twice, and none points at a pod's IP after its DEL succeeded;
 *   3. an EIP we did not allocate (static) is never released.
 *
 * With `--pool` the agent runs a warm pool (warmPool.enabled, recycle on), and a 'pooled' mode runs
 * three auto pods at once through it (two of them asking for a bandwidth no idle EIP has), so
 * each pooled iteration takes, refills, sets a bandwidth, recycles and releases. Two of every
 * three iterations are pooled and go round the pool's kill points in a seeded order, so 20
 * iterations kill at each of them; a pool kill point chosen but never reached fails the run.
 * Checked as well:
 *   4. no pool EIP is ever handed to two pods; at the end every EIP left is an idle pool EIP the
 *      node's journal holds exactly once.
 *
 *   node dist/test/chaos/run.js [--seed N] [--iterations 200] [--pool]
 * Prints the seed (replay with --seed) and the counts, and ends with "N passed, N failed".
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Registry } from 'prom-client';
import Database from 'better-sqlite3';
import { SimulatedCluster, type SimNode } from '../../sim/stack/cluster.js';
import type { PluginOutcome, SandboxRef } from '../../sim/stack/cni-runtime.js';
import { createCloudClient, type ClosableCloudClient } from '../../agent/src/cloud/index.js';
import { silentLogger } from '../../agent/src/log/logger.js';
import { KILL_POINTS, type KillPoint, type Mode } from './kill-points.js';
import { Rng } from './rng.js';
import { cloudEips, PodEips, until, type CloudEip } from './world.js';

const TAG_POD_UID = 'podeip.io/pod-uid';
const TAG_POOL = 'podeip.io/pool';
const POOL = { enabled: true, minIdle: 2, maxIdle: 4, maxTotal: 10, quotaReserve: 0, recycle: true };
const CNI_TRY_AGAIN = 11;

interface IterationReport {
  index: number;
  mode: Mode;
  kill: string;
  killed: boolean;
  problems: string[];
  ms: number;
}

class Harness {
  readonly reports: IterationReport[] = [];
  private problems: string[] = [];
  private statefulSetUid = '';

  constructor(
    private readonly cluster: SimulatedCluster,
    readonly node: SimNode,
    private readonly userCloud: ClosableCloudClient,
    private readonly podEips: PodEips,
    private readonly rng: Rng,
  ) {}

  async prepare(): Promise<void> {
    await this.cluster.kubectl.run(['apply', '-f', '-'], {
      input: JSON.stringify({
        apiVersion: 'apps/v1',
        kind: 'StatefulSet',
        metadata: { name: 'game', namespace: 'default' },
        spec: {
          serviceName: 'game',
          selector: { matchLabels: { app: 'game' } },
          template: { metadata: { labels: { app: 'game' } }, spec: { containers: [{ name: 'g', image: 'g' }] } },
        },
      }),
    });
    this.statefulSetUid = (
      await this.cluster.kubectl.run(['get', 'statefulset', 'game', '-o', 'jsonpath={.metadata.uid}'])
    ).trim();
  }

  private get agent() {
    return this.node.agent;
  }

  private problem(text: string): void {
    this.problems.push(text);
  }

  private recovering: Promise<void> | undefined;

  /** The agent died (as planned): start it again, unarmed, with a healthy cloud; concurrent pods share one restart. */
  private recover(): Promise<void> {
    this.recovering ??= (async () => {
      this.cluster.cloud.setFaults({});
      this.agent.setExtraEnv({});
      if (!this.agent.running) await this.agent.start();
    })().finally(() => {
      this.recovering = undefined;
    });
    return this.recovering;
  }

  /** Runs a plugin command the way the runtime keeps retrying it until the agent answers. */
  private async untilAnswered(what: string, command: () => Promise<PluginOutcome>): Promise<PluginOutcome> {
    for (let attempt = 1; attempt <= 20; attempt++) {
      const outcome = await command();
      if (outcome.exitCode === 0) return outcome;
      if (!this.agent.running) {
        await this.recover();
        continue;
      }
      if ((outcome.result as { code?: number } | undefined)?.code === CNI_TRY_AGAIN) {
        await new Promise((resolve) => setTimeout(resolve, 250));
        continue;
      }
      return outcome;
    }
    throw new Error(`${what} never succeeded`);
  }

  private eipsOf(podUid: string): CloudEip[] {
    return cloudEips(this.cluster).filter((e) => e.tags[TAG_POD_UID] === podUid);
  }

  private checkNoDoubleBinding(): void {
    const seen = new Map<string, string>();
    for (const eip of cloudEips(this.cluster)) {
      if (!eip.binding) continue;
      const key = `${eip.binding.networkInterfaceId}/${eip.binding.privateIpAddress}`;
      const other = seen.get(key);
      if (other) this.problem(`two EIPs (${other}, ${eip.allocationId}) point at ${key}`);
      seen.set(key, eip.allocationId);
    }
  }

  private pointsAt(ip: string): CloudEip | undefined {
    return cloudEips(this.cluster).find((e) => e.binding?.privateIpAddress === ip && e.status !== 'Available');
  }

  /** ADD as kubelet+containerd do it: a failed sandbox is torn down (DEL) and a new one is tried. */
  private async runPod(first: SandboxRef, uidTagged: boolean): Promise<SandboxRef> {
    let sandbox = first;
    for (let attempt = 1; attempt <= 10; attempt++) {
      const outcome = await this.node.runtime.add(sandbox);
      if (outcome.exitCode === 0) return sandbox;
      if (!this.agent.running) await this.recover();
      const teardown = await this.untilAnswered('DEL of a failed sandbox', () =>
        this.node.runtime.delWithoutNetns(sandbox),
      );
      if (teardown.exitCode !== 0) this.problem(`DEL after a failed ADD failed: ${teardown.stdout}`);
      if (uidTagged && this.eipsOf(sandbox.uid).length > 1)
        this.problem(`pod ${sandbox.name} has ${this.eipsOf(sandbox.uid).length} EIPs`);
      const freshIp = this.rng.next() < 0.5 ? sandbox.ipv4 : this.node.takeIp();
      sandbox = {
        ...sandbox,
        containerId: `${sandbox.containerId.slice(0, 56)}${attempt.toString().padStart(8, '0')}`,
        ipv4: freshIp,
      };
    }
    throw new Error(`pod ${first.name} never got its EIP`);
  }

  async iteration(index: number, mode: Mode, kill: KillPoint): Promise<void> {
    const started = performance.now();
    this.problems = [];
    await this.agent.stop();
    this.cluster.cloud.setFaults(kill.faults ?? {});
    this.agent.setExtraEnv(kill.failpoint ? { PODEIP_FAILPOINTS: kill.failpoint } : {});
    await this.agent.start();
    const pid = this.agent.pid;
    let randomKill: NodeJS.Timeout | undefined;

    try {
      const name = `${mode}-${index}`;
      let userEip = '';
      let annotations: Record<string, string> = { 'k8s.aliyun.com/pod-with-eip': 'true' };
      let owner;
      if (mode === 'static') {
        userEip = (
          await this.userCloud.allocateEip({
            clientToken: `chaos-user-${this.rng.seed}-${index}`,
            tags: { owner: 'user', 'podeip.io/allowed-namespaces': 'default' },
          })
        ).allocationId;
        annotations = { 'k8s.aliyun.com/pod-eip-instanceid': userEip };
      } else if (mode === 'fixed') {
        annotations = {
          ...annotations,
          'k8s.aliyun.com/pod-eip-release-strategy': this.rng.next() < 0.5 ? '10m' : 'Never',
        };
        owner = { apiVersion: 'apps/v1', kind: 'StatefulSet', name: 'game', uid: this.statefulSetUid };
      }
      if (mode === 'pooled') {
        await this.pooledPods(index, name, kill);
        return;
      }
      const created = await this.cluster.createPod(this.node, { name, annotations, ...(owner ? { owner } : {}) });
      if (kill.randomWindowMs) {
        randomKill = setTimeout(
          () => {
            void this.agent.kill9();
          },
          this.rng.int(0, kill.randomWindowMs),
        );
      }

      const sandbox = await this.runPod(created, mode !== 'static');
      const bound = this.pointsAt(sandbox.ipv4);
      if (!bound) this.problem(`after ADD succeeded no EIP points at ${sandbox.ipv4}`);
      if (mode !== 'static' && this.eipsOf(created.uid).length !== 1)
        this.problem(`pod ${name} has ${this.eipsOf(created.uid).length} EIPs after ADD`);
      if (mode === 'static' && bound && bound.allocationId !== userEip)
        this.problem(`static pod got ${bound.allocationId} instead of ${userEip}`);
      this.checkNoDoubleBinding();

      const del = await this.untilAnswered('DEL', () => this.node.runtime.delWithNetns(sandbox));
      if (del.exitCode !== 0) this.problem(`DEL failed: ${del.stdout}`);
      else if (this.pointsAt(sandbox.ipv4)) this.problem(`DEL returned but an EIP still points at ${sandbox.ipv4}`);
      const del2 = await this.untilAnswered('second DEL', () => this.node.runtime.delWithoutNetns(sandbox));
      if (del2.exitCode !== 0) this.problem(`second DEL failed: ${del2.stdout}`);
      await this.cluster.deletePod('default', name);

      const recoverIfDead = async (): Promise<void> => {
        if (!this.agent.running) await this.recover();
      };
      if (mode === 'auto') {
        await until(
          'the Follow EIP to be released and its PodEIP removed',
          async () =>
            this.eipsOf(created.uid).length === 0 && !(await this.podEips.get('default', name)) ? true : undefined,
          30_000,
          recoverIfDead,
        ).catch((err: Error) => this.problem(`leak: ${err.message}: ${JSON.stringify(this.eipsOf(created.uid))}`));
      } else if (mode === 'static') {
        await until(
          'the static EIP to be unbound and its PodEIP removed',
          async () => {
            const eip = cloudEips(this.cluster).find((e) => e.allocationId === userEip);
            if (!eip) return false;
            return eip.status === 'Available' && !(await this.podEips.get('default', name)) ? true : undefined;
          },
          30_000,
          recoverIfDead,
        ).then(
          (present) => {
            if (!present) this.problem(`wrongly released: the user's EIP ${userEip} is gone`);
          },
          (err: Error) => this.problem(`static EIP not let go: ${err.message}`),
        );
        await this.userCloud.releaseEip(userEip);
      } else {
        await until(
          'the fixed EIP to be kept, unbound, with its PodEIP',
          async () => {
            const podEip = await this.podEips.get('default', name);
            const eips = this.eipsOf(created.uid);
            return podEip &&
              eips.length === 1 &&
              eips[0]!.allocationId === podEip.spec.allocationID &&
              eips[0]!.status === 'Available'
              ? podEip
              : undefined;
          },
          30_000,
          recoverIfDead,
        ).then(
          async (podEip) => {
            await this.podEips.purge(this.cluster.kubectl, 'default', name);
            await this.userCloud.releaseEip(podEip.spec.allocationID);
          },
          (err: Error) =>
            this.problem(
              `fixed EIP not kept exactly once: ${err.message}: ${JSON.stringify(this.eipsOf(created.uid))}`,
            ),
        );
      }
      this.checkNoDoubleBinding();
    } catch (err) {
      this.problem(`iteration aborted: ${(err as Error).message}`);
    } finally {
      clearTimeout(randomKill);
      if (!this.agent.running) await this.recover();
      // In finally: the pooled mode returns early, and its iteration is reported like any other.
      this.reports.push({
        index,
        mode,
        kill: kill.label,
        killed: this.agent.pid !== pid,
        problems: this.problems,
        ms: performance.now() - started,
      });
    }
  }

  /**
   * Three auto pods at once through the warm pool, more than it holds idle: each ends with
   * exactly one EIP carrying its own pod tags, never the same one, with the bandwidth it asked
   * for; after DEL and deletion their EIPs are recycled (up to maxIdle) or released.
   */
  private async pooledPods(index: number, name: string, kill: KillPoint): Promise<void> {
    const recoverIfDead = async (): Promise<void> => {
      if (!this.agent.running) await this.recover();
    };
    // Takes must find the pool at its level (an armed refill kill may fire on the way).
    await until(
      'the pool to hold minIdle idle EIPs',
      () => (this.idlePoolEips().length >= POOL.minIdle ? true : undefined),
      30_000,
      recoverIfDead,
    ).catch((err: Error) => this.problem(`the pool never refilled: ${err.message}`));
    // A bandwidth no idle EIP has (the pool's is 5; earlier iterations' are others): a take must set it.
    const wide = String(10 + (index % 90));
    const bandwidths: Record<string, string | undefined> = { a: undefined, b: wide, c: wide };
    const pods = await Promise.all(
      Object.entries(bandwidths).map(([suffix, bandwidth]) =>
        this.cluster.createPod(this.node, {
          name: `${name}-${suffix}`,
          annotations: {
            'k8s.aliyun.com/pod-with-eip': 'true',
            ...(bandwidth ? { 'k8s.aliyun.com/eip-bandwidth': bandwidth } : {}),
          },
        }),
      ),
    );
    const wanted = new Map(pods.map((pod, i) => [pod.uid, Object.values(bandwidths)[i] ?? '5']));
    let randomKill: NodeJS.Timeout | undefined;
    if (kill.randomWindowMs)
      randomKill = setTimeout(
        () => {
          void this.agent.kill9();
        },
        this.rng.int(0, kill.randomWindowMs),
      );
    try {
      const sandboxes = await Promise.all(pods.map((pod) => this.runPod(pod, true)));
      const got = sandboxes.map((sandbox) => this.pointsAt(sandbox.ipv4));
      sandboxes.forEach((sandbox, i) => {
        const eip = got[i];
        if (!eip) this.problem(`after ADD succeeded no EIP points at ${sandbox.ipv4}`);
        else if (eip.tags[TAG_POD_UID] !== sandbox.uid)
          this.problem(
            `pool EIP ${eip.allocationId} handed to two pods: bound to ${sandbox.name} but tagged for ${eip.tags[TAG_POD_UID] ?? 'no pod'}`,
          );
        else if (String(eip.bandwidth) !== wanted.get(sandbox.uid))
          this.problem(
            `pod ${sandbox.name} asked for ${wanted.get(sandbox.uid)} Mbps and its EIP ${eip.allocationId} has ${eip.bandwidth}`,
          );
        if (this.eipsOf(sandbox.uid).length !== 1)
          this.problem(`pod ${sandbox.name} has ${this.eipsOf(sandbox.uid).length} EIPs after ADD`);
      });
      const ids = got.flatMap((eip) => (eip ? [eip.allocationId] : []));
      for (const id of new Set(ids))
        if (ids.filter((x) => x === id).length > 1) this.problem(`pool EIP ${id} handed to two pods`);
      this.checkNoDoubleBinding();
      for (const sandbox of sandboxes) {
        const del = await this.untilAnswered('DEL', () => this.node.runtime.delWithNetns(sandbox));
        if (del.exitCode !== 0) this.problem(`DEL failed: ${del.stdout}`);
        else if (this.pointsAt(sandbox.ipv4)) this.problem(`DEL returned but an EIP still points at ${sandbox.ipv4}`);
        await this.cluster.deletePod('default', sandbox.name);
      }
      for (const sandbox of sandboxes) {
        await until(
          'the Follow EIP to be recycled or released and its PodEIP removed',
          async () =>
            this.eipsOf(sandbox.uid).length === 0 && !(await this.podEips.get('default', sandbox.name))
              ? true
              : undefined,
          30_000,
          recoverIfDead,
        ).catch((err: Error) => this.problem(`leak: ${err.message}: ${JSON.stringify(this.eipsOf(sandbox.uid))}`));
      }
      this.checkNoDoubleBinding();
    } finally {
      clearTimeout(randomKill);
    }
  }

  private idlePoolEips(): CloudEip[] {
    return cloudEips(this.cluster).filter(
      (e) => e.tags[TAG_POOL] === this.node.name && !(TAG_POD_UID in e.tags) && !e.binding && e.status === 'Available',
    );
  }

  /**
   * With the pool: once it has settled, every EIP in the cloud must be an idle pool EIP of the
   * node, unbound, held exactly once by the node's journal (read after the agent stops).
   */
  async poolLeftovers(journalPath: string): Promise<{ problems: string[]; pooled: Set<string> }> {
    const problems: string[] = [];
    const isIdlePoolEip = (e: CloudEip) =>
      e.tags[TAG_POOL] === this.node.name && !(TAG_POD_UID in e.tags) && !e.binding;
    await until(
      'the pool to settle',
      () => (cloudEips(this.cluster).every((e) => isIdlePoolEip(e) && e.status === 'Available') ? true : undefined),
      30_000,
    ).catch(() => undefined);
    await this.agent.stop();
    const db = new Database(journalPath, { readonly: true });
    const rows = db.prepare('SELECT state, allocation_id AS allocationId FROM pool_eips').all() as {
      state: string;
      allocationId: string;
    }[];
    db.close();
    const pooled = new Set<string>();
    for (const eip of cloudEips(this.cluster)) {
      if (!isIdlePoolEip(eip)) continue;
      const held = rows.filter((r) => r.allocationId === eip.allocationId);
      if (held.length !== 1 || held[0]!.state !== 'idle')
        problems.push(
          `leak: pool EIP ${eip.allocationId} is held ${held.length} times by the journal (${held.map((r) => r.state).join(',')})`,
        );
      else pooled.add(eip.allocationId);
    }
    for (const row of rows) {
      if (!pooled.has(row.allocationId))
        problems.push(
          `the journal holds pool EIP ${row.allocationId || '(none)'} (${row.state}) that is not an idle pool EIP in the cloud`,
        );
    }
    if (pooled.size > POOL.maxIdle)
      problems.push(`the pool holds ${pooled.size} idle EIPs, above maxIdle ${POOL.maxIdle}`);
    return { problems, pooled };
  }

  /** After every iteration cleaned up after itself, nothing may be left in the cloud (releases in flight may finish first). */
  async leftovers(): Promise<CloudEip[]> {
    await until(
      'releases in flight to finish',
      () => (cloudEips(this.cluster).some((e) => e.status === 'Releasing') ? undefined : true),
      15_000,
    ).catch(() => undefined);
    return cloudEips(this.cluster);
  }
}

/**
 * Which mode and kill point each iteration gets. Without the pool: random. With it, two of every
 * three iterations are pooled and take the pool's own kill points round-robin (in a seeded
 * order; once round, then any point a pooled iteration passes); the third is auto, static or
 * fixed at random.
 */
class KillSchedule {
  private readonly poolPoints: KillPoint[];
  private pooled = 0;

  constructor(
    private readonly rng: Rng,
    private readonly withPool: boolean,
  ) {
    this.poolPoints = KILL_POINTS.filter((k) => k.modes.length === 1 && k.modes[0] === 'pooled');
    for (let i = this.poolPoints.length - 1; i > 0; i--) {
      const j = rng.int(0, i + 1);
      [this.poolPoints[i], this.poolPoints[j]] = [this.poolPoints[j]!, this.poolPoints[i]!];
    }
  }

  next(index: number): { mode: Mode; kill: KillPoint } {
    if (this.withPool && index % 3 !== 2) {
      const round = Math.floor(this.pooled / this.poolPoints.length);
      const kill =
        round === 0 || this.rng.next() < 0.5
          ? this.poolPoints[this.pooled % this.poolPoints.length]!
          : this.rng.pick(KILL_POINTS.filter((k) => k.modes.includes('pooled')));
      this.pooled += 1;
      return { mode: 'pooled', kill };
    }
    const mode = this.rng.pick<Mode>(this.withPool ? ['auto', 'static', 'fixed'] : ['auto', 'auto', 'static', 'fixed']);
    // With the pool on, a lone auto pod takes a pool EIP and its EIP goes back to the pool: neither
    // AllocateEipAddress nor ReleaseEipAddress is on its path.
    const poolSkips = (k: KillPoint) => /^cloud:(AllocateEipAddress|ReleaseEipAddress):/.test(k.failpoint);
    const onPath = (k: KillPoint) => k.modes.includes(mode) && !(this.withPool && mode === 'auto' && poolSkips(k));
    return { mode, kill: this.rng.pick(KILL_POINTS.filter(onPath)) };
  }
}

/**
 * Prints, for every kill point chosen (and each of the pool's), how often it was chosen and fired; returns
 * how many of the pool's own points were chosen and never fired (each pooled iteration passes
 * all of them, so one that never fires is a point the harness no longer reaches).
 */
function reportKillPoints(reports: readonly IterationReport[], withPool: boolean): number {
  let unreached = 0;
  for (const point of KILL_POINTS) {
    const chosen = reports.filter((r) => r.kill === point.label);
    const fired = chosen.filter((r) => r.killed).length;
    const poolOwn = point.modes.length === 1 && point.modes[0] === 'pooled';
    if ((!withPool && poolOwn) || (chosen.length === 0 && !poolOwn)) continue;
    const never = poolOwn && chosen.length > 0 && fired === 0;
    if (never) unreached += 1;
    console.log(
      `chaos: kill point ${chosen.length === 0 ? 'not chosen' : `fired ${fired}/${chosen.length}`}: ${point.label}${never ? ' (NEVER REACHED)' : ''}`,
    );
  }
  return unreached;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      seed: { type: 'string' },
      iterations: { type: 'string', default: '200' },
      pool: { type: 'boolean', default: false },
    },
  });
  const withPool = values.pool;
  const seed = values.seed ? Number(values.seed) : Math.floor(Math.random() * 2 ** 31);
  const iterations = Number(values.iterations);
  const rng = new Rng(seed);
  console.log(
    `chaos: seed ${seed} (replay: npm run test:chaos -- --seed ${seed}${withPool ? ' --pool' : ''}), ${iterations} iterations${withPool ? ', warm pool on' : ''}`,
  );

  const dir = await mkdtemp(join(tmpdir(), 'podeip-chaos-'));
  const cluster = await SimulatedCluster.start({
    dir,
    cloud: { associationDelayMs: 150, eipQuota: 1000, rateLimits: 'off' },
    agentConfig: { agent: { logLevel: 'info' }, ...(withPool ? { warmPool: POOL } : {}) },
  });
  const node = cluster.nodes[0]!;
  const userCloud = createCloudClient(
    {
      regionId: cluster.cloud.regionId,
      vpcId: cluster.cloud.topology.vpcs[0]!.vpcId,
      endpoints: { vpcEndpoint: cluster.cloud.endpoint, ecsEndpoint: cluster.cloud.endpoint },
      protocol: 'http',
      credentials: {
        type: 'access_key',
        accessKeyId: cluster.cloud.accessKeyId,
        accessKeySecret: cluster.cloud.accessKeySecret,
      },
    },
    { logger: silentLogger, registry: new Registry() },
  );
  const harness = new Harness(cluster, node, userCloud, new PodEips(cluster.kube.kubeconfigPath), rng);
  let exitCode = 0;
  try {
    await node.agent.start();
    await harness.prepare();
    const schedule = new KillSchedule(rng, withPool);
    for (let i = 0; i < iterations; i++) {
      const { mode, kill } = schedule.next(i);
      await harness.iteration(i, mode, kill);
      const report = harness.reports.at(-1)!;
      const verdict = report.problems.length ? 'FAILED' : 'ok';
      console.log(
        `chaos: #${i} ${mode} kill ${report.killed ? 'fired' : 'not reached'} ${kill.label}: ${verdict} (${Math.round(report.ms)} ms)`,
      );
      for (const p of report.problems) console.log(`  - ${p}`);
    }
    const pool = withPool ? await harness.poolLeftovers(join(dir, node.name, 'state', 'journal.db')) : undefined;
    for (const p of pool?.problems ?? []) console.log(`  - ${p}`);
    const leftovers = (await harness.leftovers()).filter((e) => !pool?.pooled.has(e.allocationId));
    const failed = harness.reports.filter((r) => r.problems.length).length;
    const fired = harness.reports.filter((r) => r.killed).length;
    const byProblem = (word: string) =>
      harness.reports.flatMap((r) => r.problems).filter((p) => p.includes(word)).length;
    console.log(
      `chaos: seed ${seed}: ${iterations} iterations, ${fired} kills fired, ${iterations - fired} kill points not reached`,
    );
    const unreached = reportKillPoints(harness.reports, withPool);
    const poolProblems = pool?.problems.length ?? 0;
    console.log(
      `chaos: leaked ${byProblem('leak') + leftovers.length + (pool?.problems.filter((p) => p.startsWith('leak')).length ?? 0)}, double-bound ${byProblem('two EIPs') + byProblem('still points')}, wrongly released ${byProblem('wrongly released')}, EIPs left in the cloud ${leftovers.length}` +
        (pool
          ? `, pool EIPs handed to two pods ${byProblem('handed to two pods')}, idle pool EIPs at the end ${pool.pooled.size}`
          : ''),
    );
    for (const eip of leftovers) console.log(`  - left: ${JSON.stringify(eip)}`);
    const endFailed = leftovers.length || poolProblems || unreached ? 1 : 0;
    const passed = iterations - failed - endFailed;
    console.log(`${Math.max(0, passed)} passed, ${failed + endFailed} failed`);
    if (failed || endFailed) exitCode = 1;
  } finally {
    userCloud.close();
    await cluster.close();
    if (exitCode === 0) await rm(dir, { recursive: true, force: true });
    else console.log(`chaos: logs kept in ${dir}`);
  }
  process.exit(exitCode);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
