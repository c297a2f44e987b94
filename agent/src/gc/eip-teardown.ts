/**
 * The cloud side of the sweep's decisions: unbind an EIP from whatever ENI IP it still points
 * at, and release it when the sweep decided it is ours to release. Every step reads before it
 * writes, so a repeated or concurrent teardown (another leader, the node's own agent) is harmless.
 */
import type { CloudClient, Eip } from '../cloud/types.js';

/** Unbinds the EIP (if bound) and waits until it is Available or gone; the caller's signal bounds the wait. */
export async function unbind(cloud: CloudClient, eip: Eip, signal: AbortSignal): Promise<Eip | undefined> {
  if (eip.status === 'Available') return eip;
  if (eip.status === 'InUse') {
    await cloud.unassociateEip({ allocationId: eip.allocationId, networkInterfaceId: eip.instanceId, privateIpAddress: eip.privateIpAddress }, signal);
  }
  return cloud.waitForEip(eip.allocationId, (current) => !current || current.status === 'Available', signal);
}

/** Unbinds, leaves the bandwidth package and releases. Resolves true when the EIP is gone or going. */
export async function unbindAndRelease(cloud: CloudClient, allocationId: string, signal: AbortSignal): Promise<boolean> {
  const found = await cloud.describeEip(allocationId, signal);
  if (!found) return true;
  const available = await unbind(cloud, found, signal);
  if (!available) return true;
  if (available.bandwidthPackageId) await cloud.removeFromBandwidthPackage(available.bandwidthPackageId, allocationId, signal);
  await cloud.releaseEip(allocationId, signal);
  return true;
}
