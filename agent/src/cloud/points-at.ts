/** Whether an EIP forwards where a binding wants it: the one rule the cloud client and the state machine share. */
import type { Eip, EniBinding } from './types.js';

/**
 * The EIP forwards to this ENI and private IP. The cloud reports an empty PrivateIpAddress when
 * the EIP is on the ENI's primary IP, so `primary` says whether that case is ours.
 */
export function pointsAt(
  eip: Pick<Eip, 'instanceId' | 'privateIpAddress'>,
  binding: Pick<EniBinding, 'networkInterfaceId' | 'privateIpAddress'>,
  primary: boolean,
): boolean {
  if (eip.instanceId === '' || eip.instanceId !== binding.networkInterfaceId) return false;
  return eip.privateIpAddress === binding.privateIpAddress || (eip.privateIpAddress === '' && primary);
}
