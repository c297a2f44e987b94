/**
 * Budget coordination across the fleet, through the Kubernetes API (docs/architecture.md,
 * "Fleet budget"). Two loops per agent:
 *
 * - While this node has cloud work, once per interval: publish its demand (one write), read the
 *   plan (one read), and set each action's limiter to its share. Going idle withdraws the demand
 *   (one write) and the loop stops: an idle node writes nothing.
 * - On the leader only (the GC lease holder), once per interval: list the demand records, drop
 *   the ones that stopped changing (a dead node), and write the plan while anyone is busy.
 *
 * When coordination is unavailable (the API server does not answer, or the plan stops changing:
 * no leader) the limiters go back to the configured share with AIMD, today's behaviour, and
 * the next round that works takes the plan back.
 */
import type { Budget, CloudAction } from './budgets.js';
import { sleep, type Clock } from '../../../lib/clock.js';
import { planShares, totalDemand, type Demand, type FleetPlan } from './fleet-share.js';
import type { RateLimiter } from './rate-limiter.js';
import type { Logger } from '../log/logger.js';

export interface DemandRecord {
  node: string;
  demand: Demand;
  /** Changes with every publish (the record's renew time). */
  version: string;
}

/** Where demand and the plan live (agent/src/kube/demand-board.ts: Leases). */
export interface DemandBoard {
  publish(demand: Demand, signal: AbortSignal): Promise<void>;
  withdraw(signal: AbortSignal): Promise<void>;
  readPlan(signal: AbortSignal): Promise<FleetPlan | undefined>;
  listDemand(signal: AbortSignal): Promise<DemandRecord[]>;
  writePlan(plan: FleetPlan, signal: AbortSignal): Promise<void>;
  /** Nodes of the cluster. */
  fleetSize(signal: AbortSignal): Promise<number>;
}

export interface FleetBudgetOptions {
  nodeName: string;
  intervalMs: number;
  /** [0, 1): cloud.accountReserve. */
  reserve: number;
  account: Record<CloudAction, Budget>;
  /** The configured per-node limits (rateLimitShare): the cap, and the fallback. */
  caps: Record<CloudAction, Budget>;
}

export interface FleetBudgetDeps {
  board: DemandBoard;
  clock: Clock;
  logger: Logger;
  isLeader: () => boolean;
  /** Demand the limiters do not see yet (EIPs the poller waits on: Describe). */
  extraDemand?: () => Demand;
  /** 1 while this node's limits come from the plan, 0 under the fallback. */
  onCoordinated?: (coordinated: boolean) => void;
}

/** A plan that has not changed for this many intervals (plus one leader round's requests) is stale: its leader is gone. */
const STALE_INTERVALS = 4;
/** One request to the API server may take this many intervals (a busy API server is not a lost one)... */
const REQUEST_INTERVALS = 2;
/**
 * ...and never less than this. Under a fleet-wide burst every node's binding writes to the API
 * server too, and requests take seconds; a round that timed out sooner fell back to the
 * configured share, and 200 nodes under AIMD stormed the budget (docs/fleet-bench.md).
 */
const MIN_REQUEST_MS = 10_000;
/**
 * A demand record that has not changed for this many intervals belongs to a dead node, plus how
 * late nodes publish now (the median gap the leader saw between the records' changes, beyond two
 * intervals), so a slow API server does not drop live nodes (a dropped node takes the newcomer's
 * share while the listed ones take its part too).
 */
const DEAD_INTERVALS = 1.5;
/** The leader recounts the cluster's nodes every this many intervals. */
const FLEET_RECOUNT_INTERVALS = 12;

export class FleetBudget {
  private limiter: RateLimiter<CloudAction> | undefined;
  private busyLoop: Promise<void> | undefined;
  private leaderTimer: (() => void) | undefined;
  private readonly stopping = new AbortController();
  private coordinated: boolean | undefined;
  private planSeen: { seq: number; at: number } | undefined;
  private busySince = 0;
  /** The first plan of this busy stretch that listed this node. */
  private listedIn: number | undefined;
  private lastGoodAt = Number.NEGATIVE_INFINITY;
  /** Leader state: when each record last changed, by our clock. */
  private readonly recordsSeen = new Map<string, { version: string; at: number; gap: number }>();
  private lastPlan: FleetPlan | undefined;
  private fleet: { size: number; at: number } | undefined;
  private leaderBusy = false;

  constructor(
    private readonly options: FleetBudgetOptions,
    private readonly deps: FleetBudgetDeps,
  ) {
    if (!(options.reserve >= 0 && options.reserve < 1))
      throw new RangeError(`accountReserve must be in [0, 1), got ${options.reserve}`);
    if (!(options.intervalMs > 0))
      throw new RangeError(`the coordination interval must be positive, got ${options.intervalMs}`);
  }

  /** Binds the limiter whose shares this sets; starts the leader's loop. */
  attach(limiter: RateLimiter<CloudAction>): void {
    this.limiter = limiter;
    this.scheduleLeaderRound();
  }

  /** A call started waiting somewhere: start the busy loop if it is not running. */
  wake(): void {
    if (this.busyLoop || !this.limiter || this.stopping.signal.aborted) return;
    this.busySince = this.deps.clock.now();
    this.listedIn = undefined;
    // Calls wait for this node's share rather than going out at a share planned for another moment.
    if (this.coordinated !== false) this.holdAll(true);
    this.busyLoop = this.runBusy().finally(() => {
      this.busyLoop = undefined;
      // Calls that started waiting while the demand was being withdrawn.
      if (totalDemand(this.demand()) > 0) this.wake();
    });
  }

  close(): void {
    this.stopping.abort();
    this.leaderTimer?.();
    this.leaderTimer = undefined;
  }

  private async runBusy(): Promise<void> {
    for (;;) {
      const demand = this.demand();
      if (totalDemand(demand) === 0) {
        await this.guard((s) => this.deps.board.withdraw(s), 'withdrawing demand');
        return;
      }
      await this.round(demand);
      this.holdAll(false);
      try {
        await sleep(this.deps.clock, this.options.intervalMs, this.stopping.signal);
      } catch {
        return;
      }
    }
  }

  /**
   * One round: publish, read, set the shares. A round that fails keeps the shares of the last
   * good one until the plan would count as stale anyway; only then the fallback.
   */
  private async round(demand: Demand): Promise<void> {
    const [published, read] = await Promise.all([
      this.guard((s) => this.deps.board.publish(demand, s), 'publishing demand'),
      this.guard((s) => this.deps.board.readPlan(s), 'reading the fleet plan'),
    ]);
    const plan = read.ok ? read.value : undefined;
    const now = this.deps.clock.now();
    if (plan && plan.seq !== this.planSeen?.seq) this.planSeen = { seq: plan.seq, at: now };
    const horizon = this.staleAfterMs();
    const idlePlan = plan !== undefined && Object.keys(plan.demand).length === 0;
    const fresh =
      plan !== undefined && (idlePlan ? now - this.busySince <= horizon : now - this.planSeen!.at <= horizon);
    if (published.ok && plan && fresh) {
      this.lastGoodAt = now;
      if (this.listedIn === undefined && plan.demand[this.options.nodeName]) this.listedIn = plan.seq;
      const shares = planShares({
        plan,
        self: this.options.nodeName,
        account: this.options.account,
        caps: this.options.caps,
        reserve: this.options.reserve,
        warmingUp: this.listedIn === undefined || plan.seq === this.listedIn,
      });
      for (const action of this.limiter!.actions()) this.limiter!.for(action).setPlan(shares[action]);
      this.setCoordinated(true, '');
      return;
    }
    // Requests that fail (not slow ones: those succeed late) fall back after the intervals alone.
    if (this.coordinated && now - this.lastGoodAt <= STALE_INTERVALS * this.options.intervalMs) return;
    this.fallBack(
      !published.ok || !read.ok ? 'API server unavailable' : !plan ? 'no plan yet' : 'plan stale (no leader)',
    );
  }

  private fallBack(why: string): void {
    for (const action of this.limiter!.actions()) this.limiter!.for(action).setPlan(undefined);
    this.setCoordinated(false, why);
  }

  private setCoordinated(coordinated: boolean, why: string): void {
    if (this.coordinated === coordinated) return;
    this.coordinated = coordinated;
    this.deps.onCoordinated?.(coordinated);
    if (coordinated) this.deps.logger.info('cloud budget coordinated across the fleet');
    else this.deps.logger.warn('cloud budget coordination unavailable; using the configured share with AIMD', { why });
  }

  private holdAll(held: boolean): void {
    for (const action of this.limiter!.actions()) this.limiter!.for(action).hold(held);
  }

  private demand(): Demand {
    const out: Demand = {};
    for (const action of this.limiter!.actions()) {
      const n = this.limiter!.for(action).demand();
      if (n > 0) out[action] = n;
    }
    for (const [action, n] of Object.entries(this.deps.extraDemand?.() ?? {}) as [CloudAction, number][]) {
      if (n > 0) out[action] = (out[action] ?? 0) + n;
    }
    return out;
  }

  private requestTimeoutMs(): number {
    return Math.max(REQUEST_INTERVALS * this.options.intervalMs, MIN_REQUEST_MS);
  }

  /** A live leader changes the plan at least once per interval plus its round's requests (list, write). */
  private staleAfterMs(): number {
    return STALE_INTERVALS * this.options.intervalMs + 2 * this.requestTimeoutMs();
  }

  private requestSignal(): AbortSignal {
    return AbortSignal.any([this.stopping.signal, AbortSignal.timeout(this.requestTimeoutMs())]);
  }

  /** One board call, bounded in time; a failure is logged at debug and answered `ok: false`. */
  private async guard<T>(
    call: (signal: AbortSignal) => Promise<T>,
    what: string,
  ): Promise<{ ok: true; value: T } | { ok: false }> {
    const signal = this.requestSignal();
    try {
      return { ok: true, value: await call(signal) };
    } catch (err) {
      this.deps.logger.debug(`fleet budget: ${what} failed`, {
        error: err instanceof Error ? err.message : String(err),
      });
      return { ok: false };
    }
  }

  /** Rounds start every interval, whatever the last one took: the plan's pace is what nodes judge freshness by. */
  private scheduleLeaderRound(): void {
    if (this.stopping.signal.aborted) return;
    this.leaderTimer = this.deps.clock.setTimer(() => {
      this.leaderTimer = undefined;
      this.scheduleLeaderRound();
      if (this.leaderBusy) return;
      const leading = this.deps.isLeader();
      if (!leading) {
        // The next leader starts from the plan as written, not from what we remember.
        this.lastPlan = undefined;
        this.recordsSeen.clear();
        return;
      }
      this.leaderBusy = true;
      void this.leaderRound().finally(() => {
        this.leaderBusy = false;
      });
    }, this.options.intervalMs);
  }

  /** The median gap between changes of the live records: how often nodes manage to publish now. */
  private medianGap(live: Set<string>): number {
    const gaps = [...live].map((node) => this.recordsSeen.get(node)!.gap).sort((a, b) => a - b);
    return gaps.length === 0 ? 0 : gaps[Math.floor(gaps.length / 2)]!;
  }

  private async leaderRound(): Promise<void> {
    // Each request gets its own bound: a slow API server makes the round slow, not failed.
    const signal = () => this.requestSignal();
    try {
      const now = this.deps.clock.now();
      if (!this.fleet || now - this.fleet.at >= FLEET_RECOUNT_INTERVALS * this.options.intervalMs) {
        this.fleet = { size: await this.deps.board.fleetSize(signal()), at: now };
      }
      if (!this.lastPlan)
        this.lastPlan = (await this.deps.board.readPlan(signal())) ?? { seq: 0, fleet: 0, demand: {} };
      const records = await this.deps.board.listDemand(signal());
      const listedAt = this.deps.clock.now();
      const demand: Record<string, Demand> = {};
      const live = new Set<string>();
      for (const r of records) {
        live.add(r.node);
        const seen = this.recordsSeen.get(r.node);
        if (!seen || seen.version !== r.version) {
          this.recordsSeen.set(r.node, {
            version: r.version,
            at: listedAt,
            gap: seen ? listedAt - seen.at : this.options.intervalMs,
          });
        }
      }
      // Gaps up to two intervals (a round's own requests, a busy event loop) the margin covers.
      const deadAfter =
        DEAD_INTERVALS * this.options.intervalMs + Math.max(0, this.medianGap(live) - 2 * this.options.intervalMs);
      for (const r of records) if (listedAt - this.recordsSeen.get(r.node)!.at <= deadAfter) demand[r.node] = r.demand;
      for (const node of this.recordsSeen.keys()) if (!live.has(node)) this.recordsSeen.delete(node);
      const wasBusy = Object.keys(this.lastPlan.demand).length > 0;
      const isBusy = Object.keys(demand).length > 0;
      // A burst starts: newcomers divide by the fleet's size, so count it now.
      if (isBusy && !wasBusy && this.fleet.at < now)
        this.fleet = { size: await this.deps.board.fleetSize(signal()), at: now };
      // Idle and unchanged: nothing to write (the first plan after becoming leader is written, for the fleet size).
      if (!isBusy && !wasBusy && this.lastPlan.fleet === this.fleet.size) return;
      const plan: FleetPlan = { seq: this.lastPlan.seq + 1, fleet: this.fleet.size, demand };
      await this.deps.board.writePlan(plan, signal());
      this.lastPlan = plan;
    } catch (err) {
      this.lastPlan = undefined;
      this.deps.logger.debug('fleet budget: the leader round failed', {
        error: err instanceof Error ? err.message : String(err),
      });
    }
  }
}
