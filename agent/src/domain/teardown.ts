/**
 * Ending a binding in the cloud. "Unbind, then wait until the EIP no longer points at the IP":
 * the node's DEL, a takeover and the cluster sweep all do it this way (the cloud client re-reads
 * the EIP before it unbinds, so an EIP that has already moved on is left where it is). "Release,
 * then wait until it is gone": a row is `gone` only once its EIP is gone from the account.
 */
import type { CloudClient, Eip, EniBinding } from '../cloud/types.js';
import { pointsAt } from '../cloud/points-at.js';

/**
 * Unassociates the EIP from `from` and resolves once it no longer forwards there (unbound,
 * elsewhere, or gone: then undefined). `primary`: `from` is its ENI's primary IP.
 */
export async function unbindAndWait(
  cloud: CloudClient,
  from: EniBinding,
  primary: boolean,
  signal: AbortSignal,
): Promise<Eip | undefined> {
  await cloud.unassociateEip(from, signal);
  return cloud.waitForEip(
    from.allocationId,
    (e) => !e || e.status === 'Available' || !pointsAt(e, from, primary),
    signal,
  );
}

/** Where the EIP forwards to now, as a binding `unbindAndWait` can end. */
export function currentTarget(eip: Eip): { from: EniBinding; primary: boolean } {
  return {
    from: {
      allocationId: eip.allocationId,
      networkInterfaceId: eip.instanceId,
      privateIpAddress: eip.privateIpAddress,
    },
    // The cloud reports an empty private IP for an EIP on its ENI's primary IP.
    primary: eip.privateIpAddress === '',
  };
}

/** Releases the EIP and resolves once the cloud no longer lists it. The caller has proved ownership. */
export async function releaseAndWait(cloud: CloudClient, allocationId: string, signal: AbortSignal): Promise<void> {
  await cloud.releaseEip(allocationId, signal);
  await cloud.waitForEip(allocationId, (current) => current === undefined, signal);
}
