import { CloudApiError, incorrectEipStatus, taskConflict } from '../errors.js';
import type { IdFactory } from '../ids.js';
import { cidrHosts, intToIp, ipToInt } from '../ipv4.js';
import type { Scheduler } from '../scheduler.js';

export type EipStatus = 'Available' | 'Associating' | 'InUse' | 'Unassociating' | 'Releasing';

export interface EipBinding {
  instanceId: string;
  instanceType: string;
  /** The private IP the EIP forwards to. */
  privateIpAddress: string;
  /** True when that IP is its ENI's primary IP (Describe then shows it empty). */
  isPrimaryIp: boolean;
  mode: string;
  vpcId: string;
  networkInterfaceId: string;
}

export interface EipBandwidthPackage {
  bandwidthPackageId: string;
  status: 'BINDING' | 'BINDED' | 'UNBINDING';
}

export interface EipRecord {
  allocationId: string;
  ipAddress: string;
  regionId: string;
  status: EipStatus;
  bandwidth: number;
  internetChargeType: string;
  chargeType: 'PostPaid' | 'PrePaid';
  isp: string;
  netmode: string;
  name: string;
  description: string;
  resourceGroupId: string;
  publicIpAddressPoolId: string;
  securityProtectionTypes: string[];
  zone: string;
  /** Insertion-ordered, at most 20. */
  tags: Map<string, string>;
  allocatedAt: number;
  expiresAt?: number;
  binding?: EipBinding;
  bandwidthPackage?: EipBandwidthPackage;
}

export type NewEip = Omit<
  EipRecord,
  'allocationId' | 'ipAddress' | 'status' | 'tags' | 'allocatedAt' | 'binding' | 'bandwidthPackage'
>;

export interface EipStoreOptions {
  ids: IdFactory;
  scheduler: Scheduler;
  /** Address blocks by PublicIpAddressPoolId; '' is the account's ordinary EIP block. */
  pools: Record<string, string>;
  now: () => number;
  /** Read on every transition, so a runtime change applies to the next operation. */
  transitionDelayMs: () => number;
}

/**
 * The account's EIPs and their state machine. Associate, Unassociate, Release and bandwidth
 * package changes are asynchronous: they enter a transitional state at once and finish after
 * the configured delay. While an EIP is in transition every other mutation is refused.
 */
export class EipStore {
  private readonly eips = new Map<string, EipRecord>();
  private readonly byPrivateIp = new Map<string, string>();
  private readonly released = new Map<string, string>();
  private readonly pools = new Map<string, { first: number; last: number; cursor: number }>();

  constructor(private readonly options: EipStoreOptions) {
    for (const [poolId, cidr] of Object.entries(options.pools)) {
      const hosts = cidrHosts(cidr);
      this.pools.set(poolId, { ...hosts, cursor: hosts.first });
    }
  }

  get(allocationId: string): EipRecord | undefined {
    return this.eips.get(allocationId);
  }

  /** Every EIP in allocation order. */
  list(): EipRecord[] {
    return [...this.eips.values()];
  }

  count(): number {
    return this.eips.size;
  }

  /** The EIP bound (or being bound) to a private IP. */
  holderOf(privateIp: string): EipRecord | undefined {
    const id = this.byPrivateIp.get(privateIp);
    return id === undefined ? undefined : this.eips.get(id);
  }

  isAddressInUse(ip: string): boolean {
    return this.list().some((e) => e.ipAddress === ip);
  }

  hasPool(poolId: string): boolean {
    return this.pools.has(poolId);
  }

  inPool(ip: string, poolId: string): boolean {
    const pool = this.pools.get(poolId);
    const n = ipToInt(ip);
    return pool !== undefined && n >= pool.first && n <= pool.last;
  }

  /** Address a released EIP had, for AllocateEipAddressPro's InstanceId. */
  releasedAddressOf(allocationId: string): string | undefined {
    return this.released.get(allocationId);
  }

  allocate(fields: NewEip, wanted?: { ipAddress?: string; allocationId?: string }): EipRecord {
    const ipAddress = wanted?.ipAddress ?? this.nextAddress(fields.publicIpAddressPoolId);
    const allocationId = wanted?.allocationId ?? this.options.ids.next('eip');
    const eip: EipRecord = {
      ...fields,
      allocationId,
      ipAddress,
      status: 'Available',
      tags: new Map(),
      allocatedAt: this.options.now(),
    };
    this.eips.set(allocationId, eip);
    this.released.delete(allocationId);
    return eip;
  }

  /** Hands out addresses in order, without reusing a released one until the block wraps. */
  private nextAddress(poolId: string): string {
    const pool = this.pools.get(poolId)!;
    const size = pool.last - pool.first + 1;
    for (let tries = 0; tries < size; tries++) {
      const candidate = intToIp(pool.cursor);
      pool.cursor = pool.cursor >= pool.last ? pool.first : pool.cursor + 1;
      if (!this.isAddressInUse(candidate)) return candidate;
    }
    throw new CloudApiError('ReserveIpFail', 400, `No public address is left in ${poolId || 'the EIP block'}.`);
  }

  /** Refuses a mutation while another is in flight (TaskConflict), per the state table. */
  assertIdle(eip: EipRecord): void {
    const bandwidthBusy = eip.bandwidthPackage !== undefined && eip.bandwidthPackage.status !== 'BINDED';
    if (eip.status === 'Associating' || eip.status === 'Unassociating' || eip.status === 'Releasing' || bandwidthBusy) {
      throw taskConflict(eip.allocationId);
    }
  }

  associate(eip: EipRecord, binding: EipBinding): void {
    this.assertIdle(eip);
    if (eip.status !== 'Available') throw incorrectEipStatus(eip.allocationId, eip.status, 'AssociateEipAddress');
    eip.status = 'Associating';
    eip.binding = binding;
    this.byPrivateIp.set(binding.privateIpAddress, eip.allocationId);
    this.later(() => {
      eip.status = 'InUse';
    });
  }

  unassociate(eip: EipRecord): void {
    this.assertIdle(eip);
    if (eip.status !== 'InUse') throw incorrectEipStatus(eip.allocationId, eip.status, 'UnassociateEipAddress');
    eip.status = 'Unassociating';
    this.later(() => {
      if (eip.binding) this.byPrivateIp.delete(eip.binding.privateIpAddress);
      eip.binding = undefined;
      eip.status = 'Available';
    });
  }

  release(eip: EipRecord): void {
    this.assertIdle(eip);
    if (eip.status !== 'Available') throw incorrectEipStatus(eip.allocationId, eip.status, 'ReleaseEipAddress');
    if (eip.chargeType === 'PrePaid') {
      throw new CloudApiError(
        'Forbidden.ChargeTypeIsPrepaid',
        400,
        `The EIP ${eip.allocationId} is subscription (PrePaid) and cannot be released.`,
      );
    }
    eip.status = 'Releasing';
    this.later(() => {
      this.eips.delete(eip.allocationId);
      this.released.set(eip.allocationId, eip.ipAddress);
    });
  }

  addToBandwidthPackage(eip: EipRecord, bandwidthPackageId: string): void {
    this.assertIdle(eip);
    eip.bandwidthPackage = { bandwidthPackageId, status: 'BINDING' };
    this.later(() => {
      if (eip.bandwidthPackage) eip.bandwidthPackage.status = 'BINDED';
    });
  }

  removeFromBandwidthPackage(eip: EipRecord): void {
    this.assertIdle(eip);
    eip.bandwidthPackage!.status = 'UNBINDING';
    this.later(() => {
      eip.bandwidthPackage = undefined;
    });
  }

  private later(task: () => void): void {
    this.options.scheduler.after(this.options.transitionDelayMs(), task);
  }
}
