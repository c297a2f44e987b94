/**
 * An allocation as the journal keeps it (a binding row's or a pool row's allocateParams), so a
 * resumed allocation sends exactly the same request and the pool can tell which requests its
 * EIPs serve.
 */
import type { AllocateEipRequest } from '../cloud/types.js';

/** What the journal keeps so a resumed allocation sends exactly the same request. */
export interface StoredAllocation {
  allocate: Omit<AllocateEipRequest, 'clientToken'>;
  bandwidthPackageId?: string;
}

export function encodeAllocation(plan: StoredAllocation): string {
  const stored: StoredAllocation = {
    allocate: plan.allocate,
    ...(plan.bandwidthPackageId ? { bandwidthPackageId: plan.bandwidthPackageId } : {}),
  };
  return JSON.stringify(stored);
}

export function decodeAllocation(allocateParams: string): StoredAllocation {
  return JSON.parse(allocateParams) as StoredAllocation;
}
