/**
 * What the agent knows of the account's EIP quota in the region: the quota (config, since no
 * API the RAM policy allows reads it) and the count in use, and the cluster's idle pool EIPs
 * (for warmPool.maxTotal). Each count comes from the latest listing of it (the GC leader
 * publishes both each period on its Lease; a node counts the account's EIPs once itself at
 * start, and with a pool on, the cluster's pool EIPs if the leader's listing is late) plus this
 * node's own changes since that listing, so it stays current between listings without a call
 * per attach.
 */
import { Gauge, type Registry } from 'prom-client';

const HOW_TO_RAISE =
  'raise eip_quota_instances_num in Quota Center (then cloud.eipQuota in the agent config) or release EIPs the account no longer needs';

/** Lease annotation the GC leader publishes its listing on. */
export const EIP_COUNT_ANNOTATION = 'podeip.io/eip-count';

export interface EipListing {
  /** Every EIP of the account in the region. */
  eips: number;
  /** Idle pool EIPs of this cluster (podeip.io/pool tag, no pod tags). */
  pool: number;
  /** ms since the epoch when the listing was taken. */
  listedAt: number;
}

/**
 * One count: the latest listing of it plus this node's own changes made after that listing was
 * stamped (listings are stamped before they are taken, so a change made meanwhile counts twice
 * rather than never).
 */
class RunningCount {
  private listed: number | undefined;
  private listedAt = -Infinity;
  private changes: Array<{ at: number; delta: number }> = [];

  observe(count: number, listedAt: number): void {
    if (listedAt <= this.listedAt) return;
    this.listed = count;
    this.listedAt = listedAt;
    this.changes = this.changes.filter((c) => c.at > listedAt);
  }

  change(at: number, delta: number): void {
    if (delta !== 0) this.changes.push({ at, delta });
  }

  /** Undefined before any listing. */
  value(): number | undefined {
    if (this.listed === undefined) return undefined;
    return Math.max(0, this.listed + this.changes.reduce((n, c) => n + c.delta, 0));
  }
}

export function encodeListing(listing: EipListing): string {
  return JSON.stringify(listing);
}

export function decodeListing(text: string | undefined): EipListing | undefined {
  if (!text) return undefined;
  try {
    const v = JSON.parse(text) as Partial<EipListing>;
    if (typeof v.eips === 'number' && typeof v.pool === 'number' && typeof v.listedAt === 'number')
      return v as EipListing;
  } catch {
    /* a foreign or damaged annotation is ignored: the node's own count stays */
  }
  return undefined;
}

export interface EipQuotaOptions {
  quota: number;
  regionId: string;
  registry: Registry;
  now?: () => number;
  /** The leader's latest published listing, read on demand (the Lease the elector already watches). */
  published?: () => string | undefined;
}

export class EipQuota {
  readonly quota: number;
  private readonly regionId: string;
  private readonly now: () => number;
  private readonly published: () => string | undefined;
  private readonly eips = new RunningCount();
  private readonly pool = new RunningCount();

  constructor(options: EipQuotaOptions) {
    this.quota = options.quota;
    this.regionId = options.regionId;
    this.now = options.now ?? Date.now;
    this.published = options.published ?? (() => undefined);
    const self = this;
    new Gauge({
      name: 'podeip_eip_quota',
      help: "The account's EIP quota in the region (config cloud.eipQuota).",
      registers: [options.registry],
      collect() {
        this.set(self.quota);
      },
    });
    new Gauge({
      name: 'podeip_eip_quota_used',
      help: "EIPs the account holds in the region: the latest listing plus this node's own changes since (-1 until the first listing).",
      registers: [options.registry],
      collect() {
        this.set(self.used() ?? -1);
      },
    });
  }

  /**
   * A listing taken by this node (of the account's EIPs, or of the cluster's pool EIPs), or read
   * from the leader (both); a count older than the one we have is ignored.
   */
  observe(listing: Partial<Pick<EipListing, 'eips' | 'pool'>> & Pick<EipListing, 'listedAt'>): void {
    if (listing.eips !== undefined) this.eips.observe(listing.eips, listing.listedAt);
    if (listing.pool !== undefined) this.pool.observe(listing.pool, listing.listedAt);
  }

  /** This node allocated (+1) or released (-1) an EIP; `pool` when one became (+1) or stopped being (-1) an idle pool EIP. */
  changed(eips: number, pool = 0): void {
    const at = this.now();
    this.eips.change(at, eips);
    this.pool.change(at, pool);
  }

  /** EIPs in use in the region; undefined before any listing. */
  used(): number | undefined {
    this.refresh();
    return this.eips.value();
  }

  /** Idle pool EIPs of the cluster; undefined before any listing that counted them. */
  poolTotal(): number | undefined {
    this.refresh();
    return this.pool.value();
  }

  /** EIPs left under the quota; Infinity while the count is unknown (the cloud then decides). */
  headroom(): number {
    const used = this.used();
    return used === undefined ? Infinity : this.quota - used;
  }

  /** Why a new EIP would exceed the quota, for the pod's Event and the CNI error; undefined when it fits. */
  exceeded(): string | undefined {
    if (this.headroom() > 0) return undefined;
    return `the account holds ${this.used()} EIPs in region ${this.regionId} and its EIP quota is ${this.quota}: ${HOW_TO_RAISE}`;
  }

  /** The cloud refused an allocation for the quota (EIPs allocated by others since the last listing): the pod's Event. */
  refusedByCloud(): string {
    const used = this.used();
    return (
      `the cloud refused a new EIP: the account's EIP quota in region ${this.regionId} is used up (config cloud.eipQuota ${this.quota}; ` +
      `podeip counted ${used === undefined ? 'none yet' : used} at its last listing plus its own changes): ${HOW_TO_RAISE}`
    );
  }

  private refresh(): void {
    const leader = decodeListing(this.published());
    if (leader) this.observe(leader);
  }
}
