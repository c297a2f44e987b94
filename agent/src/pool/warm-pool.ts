/**
 * The node's warm pool: idle EIPs allocated ahead of time so an auto EIP pod waits only for its
 * association. Every step is journaled (pool_eips) before the cloud call it announces:
 *
 *   refill:  allocating (ClientToken) -> idle
 *   take:    idle -> taking (for one binding row, atomically) -> the pod's tags -> the pod's
 *            bandwidth -> row deleted (a 'taking' row names its binding, whose journaled
 *            request says which bandwidth the EIP must end with, so a resume finishes the take)
 *   recycle: returning (a gone pod's Follow EIP) -> pool tag on, pod tags off -> idle
 *   trim:    idle -> releasing -> released -> row deleted
 *
 * Ownership: an idle pool EIP carries this cluster's tag and `podeip.io/pool: <node>` and no pod
 * tags; a taken one carries its pod's ownership tags before it is associated, so every pod-EIP
 * rule (release checks, recovery by tags, the sweep) applies to it as to a fresh allocation.
 */
import { randomUUID } from 'node:crypto';
import { Counter, Gauge, type Registry } from 'prom-client';
import { ALLOCATION_ANNOTATIONS } from '../../../lib/annotations.js';
import type { AllocateEipRequest, CloudClient, Eip } from '../cloud/types.js';
import { CloudError } from '../cloud/errors.js';
import type { Logger } from '../log/logger.js';
import type { EipQuota } from '../quota/eip-quota.js';
import { POOL_STATES, type BindingRow, type Journal, type PoolRow, type PoolState } from '../store/journal.js';
import { MANAGED_BY, TAG_CLUSTER_ID, TAG_MANAGED_BY, TAG_POD_UID } from '../domain/ownership.js';
import { decodeAllocation, type StoredAllocation } from '../domain/stored-allocation.js';
import { releaseAndWait } from '../domain/teardown.js';
import { poolNodeOf, poolTags, TAG_POOL } from '../domain/pool-tags.js';
import { errorText } from '../../../lib/error-text.js';

/** The cloud's Bandwidth when AllocateEipAddress gets none (Mbps). */
export const CLOUD_DEFAULT_BANDWIDTH = '5';

export interface PoolProfile {
  bandwidth?: string;
  internetChargeType: 'PayByTraffic' | 'PayByBandwidth';
  isp?: string;
  bandwidthPackageId?: string;
}

export interface WarmPoolConfig {
  clusterId: string;
  nodeName: string;
  minIdle: number;
  maxIdle: number;
  maxTotal: number;
  quotaReserve: number;
  recycle: boolean;
  profile: PoolProfile;
  /** How often the pool checks its level and resumes unfinished rows. Default 2000. */
  tickMs?: number;
  /**
   * How long a starting node waits for the GC leader's listing (the cluster's pool count, read
   * from its Lease) before it lists the cluster's pool EIPs itself. Default 5000.
   */
  listingWaitMs?: number;
}

export interface WarmPoolDeps {
  journal: Journal;
  cloud: CloudClient;
  logger: Logger;
  registry: Registry;
  quota: EipQuota;
  config: WarmPoolConfig;
}

export interface PoolStatus {
  idle: number;
  /** Being given to a pod right now. */
  taking: number;
  /** Given to pods since the agent started. */
  takenSinceStart: number;
  refilling: number;
  returning: number;
  releasing: number;
}

/** The EIP a take hands to a binding. */
export interface TakenEip {
  allocationId: string;
  ipAddress: string;
}

/** Allocation parameters a pool EIP cannot stand in for (they are fixed at allocation). */
const FIXED_AT_ALLOCATION = ALLOCATION_ANNOTATIONS.flatMap(({ allocate }) =>
  allocate.pool === 'fixed' ? [allocate.field] : [],
);

export class WarmPool {
  private readonly journal: Journal;
  private readonly cloud: CloudClient;
  private readonly logger: Logger;
  private readonly quota: EipQuota;
  private readonly config: WarmPoolConfig;
  /** Pool rows a call of this process is working on; the periodic pass leaves them alone, others wait. */
  private readonly working = new Map<number, Promise<unknown>>();
  private readonly lifetime = new AbortController();
  private readonly takes: Counter<'result'>;
  private timer: NodeJS.Timeout | undefined;
  private tickRunning: Promise<void> | undefined;
  /** Pool EIPs given to pods since this agent started. */
  private given = 0;
  private refillPausedUntil = 0;
  private readonly startedAt = Date.now();

  constructor(deps: WarmPoolDeps) {
    this.journal = deps.journal;
    this.cloud = deps.cloud;
    this.logger = deps.logger.child({ component: 'pool' });
    this.quota = deps.quota;
    this.config = deps.config;
    const journal = deps.journal;
    new Gauge({
      name: 'podeip_pool_eips',
      help: "EIPs of this node's warm pool by journal state (allocating, idle, taking, returning, releasing).",
      labelNames: ['state'],
      registers: [deps.registry],
      collect() {
        const counts = Object.fromEntries(POOL_STATES.map((s) => [s, 0])) as Record<PoolState, number>;
        for (const row of journal.poolRows()) counts[row.state] += 1;
        for (const state of POOL_STATES) this.set({ state }, counts[state]);
      },
    });
    this.takes = new Counter({
      name: 'podeip_pool_takes_total',
      help: "Auto EIP requests by pool outcome: hit (a pool EIP), empty (none idle), mismatch (profile differs), recycled (a gone pod's EIP went back to the pool).",
      labelNames: ['result'],
      registers: [deps.registry],
    });
  }

  /**
   * Finishes interrupted refills first (their ClientToken brings back the EIP they may have
   * allocated), then adopts this node's pool EIPs the journal lost, then keeps the pool at its
   * level in the background.
   */
  async start(): Promise<void> {
    for (const row of this.journal.poolRows().filter((r) => r.state === 'allocating')) {
      await this.resume(row, this.lifetime.signal).catch((err: unknown) =>
        this.logger.warn('resuming a pool refill failed; retrying on the next pass', {
          rowId: row.id,
          error: errorText(err),
        }),
      );
    }
    if (this.journal.poolRows().some((r) => r.state === 'allocating')) return this.startTicking();
    await this.adoptUnjournaled().catch((err: unknown) =>
      this.logger.warn("could not list this node's pool EIPs; retrying on the next pass", { error: errorText(err) }),
    );
    this.startTicking();
  }

  private startTicking(): void {
    this.timer = setInterval(() => this.kick(), this.config.tickMs ?? 2000);
    this.timer.unref();
    this.kick();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.lifetime.abort(new Error('the agent is stopping'));
    await this.tickRunning;
  }

  status(): PoolStatus {
    const rows = this.journal.poolRows();
    const count = (state: PoolState) => rows.filter((r) => r.state === state).length;
    return {
      idle: count('idle'),
      taking: count('taking'),
      takenSinceStart: this.given,
      refilling: count('allocating'),
      returning: count('returning'),
      releasing: count('releasing'),
    };
  }

  /** The pool holds this EIP (any state): a binding that finds it here has handed it over. */
  holds(allocationId: string): boolean {
    return allocationId !== '' && this.journal.poolRows().some((r) => r.allocationId === allocationId);
  }

  /** Whether a pool EIP can serve this request: everything but the bandwidth must be what the pool holds. */
  matches(stored: StoredAllocation): boolean {
    const req = stored.allocate;
    const p = this.config.profile;
    if ((req.internetChargeType ?? 'PayByBandwidth') !== p.internetChargeType) return false;
    if (req.isp !== p.isp) return false;
    if ((stored.bandwidthPackageId ?? undefined) !== p.bandwidthPackageId) return false;
    return FIXED_AT_ALLOCATION.every((key) => req[key] === undefined);
  }

  /** Runs one pass soon (after a take, a pass refills at once). */
  kick(): void {
    if (this.tickRunning || this.lifetime.signal.aborted) return;
    this.tickRunning = this.tick()
      .catch((err: unknown) =>
        this.logger.warn('pool pass failed; retrying on the next one', { error: errorText(err) }),
      )
      .finally(() => {
        this.tickRunning = undefined;
      });
  }

  /**
   * Gives an idle pool EIP to a binding row in 'allocating': the pod's ownership tags (and the
   * user's eip-tags) go on before anything else, then the bandwidth if the request differs.
   * Undefined when the pool cannot serve it (the caller allocates a fresh EIP).
   */
  async take(row: BindingRow, signal: AbortSignal): Promise<TakenEip | undefined> {
    const stored = decodeAllocation(row.allocateParams);
    if (!this.matches(stored)) {
      this.takes.inc({ result: 'mismatch' });
      return undefined;
    }
    const claimed = this.journal.poolClaimIdle(row.id);
    if (!claimed) {
      this.takes.inc({ result: 'empty' });
      this.kick();
      return undefined;
    }
    // The claim is journaled with this binding's id: if this fails or the process dies, the binding's
    // retry (settleTakesFor) or the periodic pass finishes the take from there.
    await this.exclusive(claimed.id, async () => {
      await this.cloud.tagEip(claimed.allocationId, stored.allocate.tags, signal);
      const wanted = this.bandwidthFor(stored);
      if (claimed.bandwidth !== wanted) await this.cloud.setEipBandwidth(claimed.allocationId, wanted, signal);
      this.journal.poolDelete(claimed.id);
    });
    this.given += 1;
    this.quota.changed(0, -1);
    this.takes.inc({ result: 'hit' });
    this.logger.info('pool EIP taken', { pod: `${row.namespace}/${row.podName}`, allocationId: claimed.allocationId });
    this.kick();
    return { allocationId: claimed.allocationId, ipAddress: claimed.address };
  }

  /**
   * A binding found in 'allocating' (after a crash or a failed call) first lets the pool finish
   * any take it started for it: the bandwidth its request asked for is set before its recovery
   * adopts the EIP by its tags and associates it.
   */
  async settleTakesFor(bindingId: number, signal: AbortSignal): Promise<void> {
    for (const row of this.journal.poolRows()) {
      if (row.state === 'taking' && row.bindingId === bindingId) await this.settleTaking(row.id, signal);
    }
  }

  /** The bandwidth a pool EIP must have for this request: the pod's, else what the pool holds. */
  private bandwidthFor(stored: StoredAllocation): string {
    return stored.allocate.bandwidth ?? this.config.profile.bandwidth ?? CLOUD_DEFAULT_BANDWIDTH;
  }

  /**
   * A 'taking' row left by a crash or a failed call. The EIP carries its pod's tags: the pod's
   * binding owns it (its recovery finds it by those tags) once it has the bandwidth the binding's
   * journaled request asks for. No pod tags: the take never happened, the EIP is idle again.
   */
  private async settleTaking(rowId: number, signal: AbortSignal): Promise<void> {
    await this.exclusive(rowId, async () => {
      const row = this.journal.poolGet(rowId);
      if (!row || row.state !== 'taking') return;
      const eip = await this.cloud.describeEip(row.allocationId, signal);
      if (!eip) {
        this.journal.poolDelete(row.id);
        return;
      }
      if (eip.tags[TAG_POD_UID] === undefined) {
        this.journal.poolUpdate(row.id, { state: 'idle', bindingId: 0, bandwidth: eip.bandwidth });
        return;
      }
      const binding = this.journal.get(row.bindingId);
      if (binding && binding.podUid === eip.tags[TAG_POD_UID]) {
        const wanted = this.bandwidthFor(decodeAllocation(binding.allocateParams));
        if (eip.bandwidth !== wanted) await this.cloud.setEipBandwidth(eip.allocationId, wanted, signal);
      }
      // Not counted out of the pool here: a listing taken since the crash may have done it (the count errs high).
      this.journal.poolDelete(row.id);
    });
  }

  /**
   * Runs work on one pool row with no other work of this process on it; a caller arriving while
   * another works on the row waits for it (and must re-read the row).
   */
  private async exclusive<T>(rowId: number, work: () => Promise<T>): Promise<T> {
    for (let other = this.working.get(rowId); other; other = this.working.get(rowId))
      await other.catch(() => undefined);
    const running = work();
    this.working.set(rowId, running);
    try {
      return await running;
    } finally {
      if (this.working.get(rowId) === running) this.working.delete(rowId);
    }
  }

  /**
   * A Follow EIP whose pod is gone (unbound, ownership checked by the caller) goes back to the
   * pool when recycling is on, the pool is under maxIdle and the EIP is what the pool holds.
   * True when the pool has it: the caller must not release it.
   */
  async recycle(row: BindingRow, eip: Eip, signal: AbortSignal): Promise<boolean> {
    if (!this.config.recycle || row.releaseStrategy !== 'Follow' || eip.instanceId !== '') return false;
    if (!this.matches(decodeAllocation(row.allocateParams))) return false;
    if ((eip.bandwidthPackageId || undefined) !== this.config.profile.bandwidthPackageId) return false;
    const rows = this.journal.poolRows();
    if (rows.some((r) => r.allocationId === eip.allocationId)) return true;
    const kept = rows.filter((r) => r.state === 'idle' || r.state === 'returning').length;
    if (kept >= this.config.maxIdle) return false;
    const pooled = this.journal.poolInsert({
      state: 'returning',
      allocationId: eip.allocationId,
      address: eip.ipAddress,
      bandwidth: eip.bandwidth,
      bindingId: row.id,
    });
    await this.exclusive(pooled.id, () => this.retagIntoPool(pooled, eip.tags, signal));
    this.takes.inc({ result: 'recycled' });
    this.logger.info('EIP recycled into the pool', {
      pod: `${row.namespace}/${row.podName}`,
      allocationId: eip.allocationId,
    });
    return true;
  }

  /** Pool tag on first, then every other tag off: at no moment does the EIP carry no owner. */
  private async retagIntoPool(pooled: PoolRow, tags: Record<string, string>, signal: AbortSignal): Promise<void> {
    await this.cloud.tagEip(pooled.allocationId, { [TAG_POOL]: this.config.nodeName }, signal);
    const keep = new Set([TAG_CLUSTER_ID, TAG_MANAGED_BY, TAG_POOL]);
    await this.cloud.untagEip(
      pooled.allocationId,
      Object.keys(tags).filter((k) => !keep.has(k)),
      signal,
    );
    this.journal.poolUpdate(pooled.id, { state: 'idle', bindingId: 0 });
    this.quota.changed(0, 1);
  }

  private async tick(): Promise<void> {
    const signal = this.lifetime.signal;
    for (const row of this.journal.poolRows()) {
      if (signal.aborted) return;
      if (this.working.has(row.id) || row.state === 'idle') continue;
      await this.resume(row, signal).catch((err: unknown) =>
        this.logger.warn('resuming a pool EIP failed; retrying on the next pass', {
          rowId: row.id,
          state: row.state,
          allocationId: row.allocationId,
          error: errorText(err),
        }),
      );
    }
    await this.trim(signal);
    await this.refill(signal);
  }

  /** Carries an unfinished row on after a crash or a failed call. */
  private async resume(row: PoolRow, signal: AbortSignal): Promise<void> {
    if (row.state === 'taking') return this.settleTaking(row.id, signal);
    await this.exclusive(row.id, async () => {
      const current = this.journal.poolGet(row.id);
      switch (current?.state) {
        case 'allocating':
          await this.allocate(current, signal, true);
          return;
        case 'releasing':
          await this.release(current, signal);
          return;
        case 'returning': {
          const eip = await this.cloud.describeEip(current.allocationId, signal);
          if (!eip || !this.poolMayHold(eip)) {
            this.journal.poolDelete(current.id);
            return;
          }
          await this.retagIntoPool(current, eip.tags, signal);
          return;
        }
        default:
          return;
      }
    });
  }

  /** A recycled EIP still carrying its pod's tags: ours (this cluster), unbound. */
  private poolMayHold(eip: Eip): boolean {
    return (
      eip.tags[TAG_MANAGED_BY] === MANAGED_BY &&
      eip.tags[TAG_CLUSTER_ID] === this.config.clusterId &&
      eip.instanceId === ''
    );
  }

  private idleOrComing(): number {
    return this.journal.poolRows().filter((r) => r.state === 'idle' || r.state === 'allocating').length;
  }

  private async refill(signal: AbortSignal): Promise<void> {
    const { minIdle, maxTotal, quotaReserve } = this.config;
    while (!signal.aborted && this.idleOrComing() < minIdle && Date.now() >= this.refillPausedUntil) {
      if (this.quota.headroom() <= quotaReserve) return;
      const total = await this.clusterPoolTotal(signal);
      if (total === undefined || total >= maxTotal) return;
      const row = this.journal.poolInsert({ state: 'allocating', clientToken: `podeip-pool-${randomUUID()}` });
      try {
        await this.exclusive(row.id, () => this.allocate(row, signal));
      } catch (err) {
        // A quota or permission refusal will not pass by retrying at once; leave the cloud be for a while.
        if (err instanceof CloudError && !err.retryable) {
          if (err.httpStatus > 0) this.journal.poolDelete(row.id);
          this.refillPausedUntil = Date.now() + 60_000;
        }
        throw err;
      }
    }
  }

  /**
   * Idle pool EIPs in the cluster, for maxTotal. Unknown at start until the GC leader's listing
   * arrives; after listingWaitMs the node lists the cluster's pool EIPs itself. While unknown the
   * pool does not fill: a node never refills on a guess.
   */
  private async clusterPoolTotal(signal: AbortSignal): Promise<number | undefined> {
    const known = this.quota.poolTotal();
    if (known !== undefined || Date.now() - this.startedAt < (this.config.listingWaitMs ?? 5000)) return known;
    // Stamped before the listing: a change made while it runs is counted twice, never missed.
    const listedAt = Date.now();
    const tagged = await this.cloud.listEipsByTags(
      { [TAG_CLUSTER_ID]: this.config.clusterId, [TAG_MANAGED_BY]: MANAGED_BY },
      signal,
    );
    this.quota.observe({
      pool: tagged.filter((eip) => poolNodeOf(eip.tags, this.config.clusterId) !== undefined).length,
      listedAt,
    });
    this.logger.info("counted the cluster's idle pool EIPs", { pool: this.quota.poolTotal() });
    return this.quota.poolTotal();
  }

  /**
   * allocating -> idle. A resumed row re-sends its ClientToken; the EIP that comes back is kept
   * only if no other row holds it and its tags still say it is this node's idle pool EIP (after
   * a long outage the same token could name an EIP a pod has taken since).
   */
  private async allocate(row: PoolRow, signal: AbortSignal, resumed = false): Promise<void> {
    let allocationId = row.allocationId;
    let address = row.address;
    const p = this.config.profile;
    if (!allocationId) {
      const req: AllocateEipRequest = {
        clientToken: row.clientToken,
        internetChargeType: p.internetChargeType,
        ...(p.bandwidth ? { bandwidth: p.bandwidth } : {}),
        ...(p.isp ? { isp: p.isp } : {}),
        tags: poolTags(this.config.clusterId, this.config.nodeName),
      };
      const eip = await this.cloud.allocateEip(req, signal);
      ({ allocationId } = eip);
      address = eip.ipAddress;
      if (resumed && !(await this.stillPoolEip(row.id, allocationId, signal))) {
        this.journal.poolDelete(row.id);
        return;
      }
      this.journal.poolUpdate(row.id, { allocationId, address, bandwidth: p.bandwidth ?? CLOUD_DEFAULT_BANDWIDTH });
      if (!resumed) this.quota.changed(1, 1);
    }
    if (p.bandwidthPackageId) await this.cloud.addToBandwidthPackage(p.bandwidthPackageId, allocationId, signal);
    this.journal.poolUpdate(row.id, { state: 'idle' });
    this.logger.info('pool refilled', { allocationId, address });
  }

  private async stillPoolEip(rowId: number, allocationId: string, signal: AbortSignal): Promise<boolean> {
    if (this.journal.poolRows().some((r) => r.id !== rowId && r.allocationId === allocationId)) return false;
    if (this.journal.activeByAllocation(allocationId).length > 0) return false;
    const eip = await this.cloud.describeEip(allocationId, signal);
    return (
      eip !== undefined && eip.instanceId === '' && poolNodeOf(eip.tags, this.config.clusterId) === this.config.nodeName
    );
  }

  private async trim(signal: AbortSignal): Promise<void> {
    const idle = this.journal.poolRows().filter((r) => r.state === 'idle');
    for (const row of idle.slice(this.config.maxIdle)) {
      if (signal.aborted) return;
      await this.exclusive(row.id, async () => {
        const current = this.journal.poolGet(row.id);
        if (current?.state !== 'idle') return;
        await this.release(this.journal.poolUpdate(row.id, { state: 'releasing' }), signal);
      });
    }
  }

  /** Releases a pool EIP only while its tags still say it is this node's idle pool EIP. */
  private async release(row: PoolRow, signal: AbortSignal): Promise<void> {
    const eip = row.allocationId ? await this.cloud.describeEip(row.allocationId, signal) : undefined;
    if (eip) {
      if (poolNodeOf(eip.tags, this.config.clusterId) !== this.config.nodeName || eip.instanceId !== '') {
        this.logger.error("not releasing a pool EIP whose tags no longer say it is this node's idle pool EIP", {
          allocationId: eip.allocationId,
          tags: eip.tags,
          instanceId: eip.instanceId,
        });
        this.journal.poolDelete(row.id);
        return;
      }
      if (eip.bandwidthPackageId)
        await this.cloud.removeFromBandwidthPackage(eip.bandwidthPackageId, eip.allocationId, signal);
      await releaseAndWait(this.cloud, eip.allocationId, signal);
      this.quota.changed(-1, -1);
    }
    this.journal.poolDelete(row.id);
  }

  /** Pool EIPs of this node in the cloud that no journal row knows (a wiped state dir, a crash before the row). */
  private async adoptUnjournaled(): Promise<void> {
    const tagged = await this.cloud.listEipsByTags(
      poolTags(this.config.clusterId, this.config.nodeName),
      this.lifetime.signal,
    );
    const known = new Set(this.journal.poolRows().map((r) => r.allocationId));
    for (const eip of tagged) {
      if (
        known.has(eip.allocationId) ||
        eip.instanceId !== '' ||
        poolNodeOf(eip.tags, this.config.clusterId) !== this.config.nodeName
      )
        continue;
      if (this.journal.activeByAllocation(eip.allocationId).length > 0) continue;
      this.journal.poolInsert({
        state: 'idle',
        allocationId: eip.allocationId,
        address: eip.ipAddress,
        bandwidth: eip.bandwidth,
      });
      this.logger.info('adopted a pool EIP the journal did not know', { allocationId: eip.allocationId });
    }
  }
}
