/**
 * Which ENI of an instance holds a private IP. The instance's ENIs are described once (paged by
 * NextToken) and cached; a miss refreshes them, because an IP or an ENI may have been added since.
 * Concurrent misses share one refresh, unless it began before they asked.
 */
import { untilAborted } from '../../../lib/clock.js';
import type { NetworkInterface } from './types.js';

/** Lists an instance's ENIs; shared by every caller waiting on it, so it carries no caller's signal. */
export type EniLister = (instanceId: string) => Promise<NetworkInterface[]>;

interface Entry {
  enis: NetworkInterface[];
}

interface Refresh {
  startedAt: number;
  promise: Promise<Entry>;
}

export class EniCache {
  private readonly entries = new Map<string, Entry>();
  private readonly refreshes = new Map<string, Refresh>();
  private seq = 0;

  constructor(private readonly list: EniLister) {}

  async find(instanceId: string, privateIp: string, signal?: AbortSignal): Promise<NetworkInterface | undefined> {
    const asked = ++this.seq;
    const cached = this.entries.get(instanceId);
    const hit = cached && lookup(cached, privateIp);
    if (hit) return hit;
    let inflight = this.refreshes.get(instanceId);
    if (inflight) {
      const entry = await untilAborted(inflight.promise, signal);
      const found = lookup(entry, privateIp);
      if (found || inflight.startedAt > asked) return found;
    }
    inflight = this.refreshes.get(instanceId);
    if (!inflight || inflight.startedAt < asked) inflight = this.refresh(instanceId);
    return lookup(await untilAborted(inflight.promise, signal), privateIp);
  }

  /** The ENI with this id if any cached instance has it (to know its primary IP). */
  byId(networkInterfaceId: string): NetworkInterface | undefined {
    for (const entry of this.entries.values()) {
      const eni = entry.enis.find((e) => e.networkInterfaceId === networkInterfaceId);
      if (eni) return eni;
    }
    return undefined;
  }

  private refresh(instanceId: string): Refresh {
    const r: Refresh = {
      startedAt: ++this.seq,
      promise: this.list(instanceId)
        .then((enis) => {
          const entry = { enis };
          this.entries.set(instanceId, entry);
          return entry;
        })
        .finally(() => {
          if (this.refreshes.get(instanceId) === r) this.refreshes.delete(instanceId);
        }),
    };
    this.refreshes.set(instanceId, r);
    return r;
  }
}

function lookup(entry: Entry, ip: string): NetworkInterface | undefined {
  return entry.enis.find((e) => e.primaryIpAddress === ip || e.privateIpAddresses.includes(ip));
}
