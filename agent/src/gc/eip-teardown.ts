/**
 * The cloud side of the sweep's decisions: unbind an EIP from whatever ENI IP it still points
 * at, and release it when the sweep decided it is ours to release. Every step reads before it
 * writes, so a repeated or concurrent teardown (another leader, the node's own agent) is harmless.
 */
import type { CloudClient, Eip } from '../cloud/types.js';
import { PodeipError } from '../../../lib/errors.js';
import { currentTarget, unbindAndWait } from '../domain/teardown.js';

/** The EIP was bound somewhere new while the sweep unbound it: it is not released. */
export class EipReboundError extends PodeipError {
  constructor(eip: Eip) {
    super(
      'EipInUseElsewhere',
      `EIP ${eip.allocationId} was bound to ${eip.instanceId} while the sweep unbound it; not released`,
    );
  }
}

/** Unbinds the EIP (if bound) and waits until it no longer points where it did; the caller's signal bounds the wait. */
export async function unbind(cloud: CloudClient, eip: Eip, signal: AbortSignal): Promise<Eip | undefined> {
  if (eip.status === 'Available') return eip;
  const { from, primary } = currentTarget(eip);
  return unbindAndWait(cloud, from, primary, signal);
}

/** Unbinds, leaves the bandwidth package and releases. Resolves true when the EIP is gone or going. */
export async function unbindAndRelease(
  cloud: CloudClient,
  allocationId: string,
  signal: AbortSignal,
): Promise<boolean> {
  const found = await cloud.describeEip(allocationId, signal);
  if (!found) return true;
  const available = await unbind(cloud, found, signal);
  if (!available) return true;
  if (available.instanceId !== '') throw new EipReboundError(available);
  if (available.bandwidthPackageId)
    await cloud.removeFromBandwidthPackage(available.bandwidthPackageId, allocationId, signal);
  await cloud.releaseEip(allocationId, signal);
  return true;
}
