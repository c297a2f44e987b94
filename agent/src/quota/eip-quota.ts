/**
 * What the agent knows of the account's EIP quota in the region: the quota (config, since no
 * API the RAM policy allows reads it) and the count in use. The count comes from the latest
 * listing (the GC leader publishes one each period on its Lease; a node counts once itself at
 * start) plus this node's own allocations and releases since that listing, so it stays current
 * between listings without a call per attach.
 */
import { Gauge, type Registry } from 'prom-client';

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

interface OwnChange {
  at: number;
  eips: number;
  pool: number;
}

export function encodeListing(listing: EipListing): string {
  return JSON.stringify(listing);
}

export function decodeListing(text: string | undefined): EipListing | undefined {
  if (!text) return undefined;
  try {
    const v = JSON.parse(text) as Partial<EipListing>;
    if (typeof v.eips === 'number' && typeof v.pool === 'number' && typeof v.listedAt === 'number') return v as EipListing;
  } catch { /* a foreign or damaged annotation is ignored: the node's own count stays */ }
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
  private listing: EipListing | undefined;
  private changes: OwnChange[] = [];

  constructor(options: EipQuotaOptions) {
    this.quota = options.quota;
    this.regionId = options.regionId;
    this.now = options.now ?? Date.now;
    this.published = options.published ?? (() => undefined);
    const self = this;
    new Gauge({
      name: 'podeip_eip_quota',
      help: 'The account\'s EIP quota in the region (config cloud.eipQuota).',
      registers: [options.registry],
      collect() { this.set(self.quota); },
    });
    new Gauge({
      name: 'podeip_eip_quota_used',
      help: 'EIPs the account holds in the region: the latest listing plus this node\'s own changes since (-1 until the first listing).',
      registers: [options.registry],
      collect() { this.set(self.used() ?? -1); },
    });
  }

  /** A listing taken by this node, or read from the leader; an older one than we have is ignored. */
  observe(listing: EipListing): void {
    if (this.listing && listing.listedAt <= this.listing.listedAt) return;
    this.listing = listing;
    this.changes = this.changes.filter((c) => c.at > listing.listedAt);
  }

  /** This node allocated (+1) or released (-1) an EIP; `pool` when it was or became a pool EIP. */
  changed(eips: number, pool = 0): void {
    this.changes.push({ at: this.now(), eips, pool });
  }

  /** EIPs in use in the region; undefined before any listing. */
  used(): number | undefined {
    this.refresh();
    if (!this.listing) return undefined;
    return Math.max(0, this.listing.eips + this.changes.reduce((n, c) => n + c.eips, 0));
  }

  /** Idle pool EIPs of the cluster; undefined before any listing that counted them. */
  poolTotal(): number | undefined {
    this.refresh();
    if (!this.listing) return undefined;
    return Math.max(0, this.listing.pool + this.changes.reduce((n, c) => n + c.pool, 0));
  }

  /** EIPs left under the quota; Infinity while the count is unknown (the cloud then decides). */
  headroom(): number {
    const used = this.used();
    return used === undefined ? Infinity : this.quota - used;
  }

  /** Why a new EIP would exceed the quota, for the pod's Event and the CNI error; undefined when it fits. */
  exceeded(): string | undefined {
    if (this.headroom() > 0) return undefined;
    return `the account holds ${this.used()} EIPs in region ${this.regionId} and its EIP quota is ${this.quota}: `
      + 'raise eip_quota_instances_num in Quota Center (then cloud.eipQuota in the agent config) or release EIPs the account no longer needs';
  }

  private refresh(): void {
    const leader = decodeListing(this.published());
    if (leader) this.observe(leader);
  }
}
