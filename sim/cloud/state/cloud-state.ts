import { CredentialStore } from '../credentials.js';
import { IdFactory, isoSeconds } from '../ids.js';
import { Scheduler } from '../scheduler.js';
import type { Topology } from '../topology.js';
import { CallCounter } from './calls.js';
import { EipStore, type EipRecord } from './eips.js';
import { IdempotencyStore } from './idempotency.js';
import { NetworkIndex } from './network.js';

export interface CloudStateOptions {
  topology: Topology;
  eipQuota: number;
  associationDelayMs: number;
  now?: () => number;
}

/** Everything the simulated account holds; the OpenAPI actions read and change it. */
export class CloudState {
  readonly network: NetworkIndex;
  readonly eips: EipStore;
  readonly idempotency = new IdempotencyStore();
  readonly calls = new CallCounter();
  readonly ids = new IdFactory();
  readonly credentials: CredentialStore;
  readonly scheduler = new Scheduler();
  readonly now: () => number;
  eipQuota: number;
  associationDelayMs: number;

  constructor(
    readonly topology: Topology,
    options: Omit<CloudStateOptions, 'topology'>,
  ) {
    this.now = options.now ?? Date.now;
    this.eipQuota = options.eipQuota;
    this.associationDelayMs = options.associationDelayMs;
    this.credentials = new CredentialStore(this.now);
    this.network = new NetworkIndex(topology);
    const pools: Record<string, string> = { '': topology.eipCidr };
    for (const p of topology.publicIpAddressPools) pools[p.publicIpAddressPoolId] = p.cidr;
    this.eips = new EipStore({
      ids: this.ids,
      scheduler: this.scheduler,
      pools,
      now: this.now,
      transitionDelayMs: () => this.associationDelayMs,
    });
  }

  bandwidthPackage(id: string): Topology['bandwidthPackages'][number] | undefined {
    return this.topology.bandwidthPackages.find((p) => p.bandwidthPackageId === id);
  }

  /** The inspection endpoint's view: plain JSON, stable field names. */
  snapshot(): StateSnapshot {
    return {
      regionId: this.topology.regionId,
      eipQuota: this.eipQuota,
      associationDelayMs: this.associationDelayMs,
      eips: this.eips.list().map(eipSnapshot),
      networkInterfaces: this.network.allNetworkInterfaces().map((v) => ({
        networkInterfaceId: v.eni.networkInterfaceId,
        instanceId: v.instance.instanceId,
        type: v.eni.type,
        vSwitchId: v.vSwitchId,
        primaryIpAddress: v.primaryIp,
        privateIpAddresses: v.eni.privateIpAddresses.map((ip) => ({
          ip,
          allocationId: this.eips.holderOf(ip)?.allocationId ?? null,
        })),
      })),
      calls: this.calls.snapshot(),
      idempotencyTokens: this.idempotency.list().map((r) => ({ ...r, at: isoSeconds(r.at) })),
    };
  }

  close(): void {
    this.scheduler.close();
  }
}

function eipSnapshot(e: EipRecord) {
  return {
    allocationId: e.allocationId,
    ipAddress: e.ipAddress,
    status: e.status,
    bandwidth: e.bandwidth,
    internetChargeType: e.internetChargeType,
    chargeType: e.chargeType,
    isp: e.isp,
    name: e.name,
    description: e.description,
    resourceGroupId: e.resourceGroupId,
    publicIpAddressPoolId: e.publicIpAddressPoolId,
    securityProtectionTypes: e.securityProtectionTypes,
    allocationTime: isoSeconds(e.allocatedAt),
    tags: Object.fromEntries(e.tags),
    binding: e.binding ?? null,
    bandwidthPackage: e.bandwidthPackage ?? null,
  };
}

export type EipSnapshot = ReturnType<typeof eipSnapshot>;

export interface StateSnapshot {
  regionId: string;
  eipQuota: number;
  associationDelayMs: number;
  eips: EipSnapshot[];
  networkInterfaces: Array<{
    networkInterfaceId: string;
    instanceId: string;
    type: string;
    vSwitchId: string;
    primaryIpAddress: string;
    privateIpAddresses: Array<{ ip: string; allocationId: string | null }>;
  }>;
  calls: Record<string, Record<string, number>>;
  idempotencyTokens: Array<{
    action: string;
    clientToken: string;
    parameters: Record<string, string>;
    result: Record<string, unknown>;
    at: string;
  }>;
}
