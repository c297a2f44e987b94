/** Whether an EIP forwards where a binding wants it: the one rule the cloud client and the state machine share. */

/**
 * The EIP forwards to this ENI and private IP. The cloud reports an empty PrivateIpAddress when
 * the EIP is on the ENI's primary IP, so `primary` says whether that case is ours.
 */
export function pointsAt(
  eip: { instanceId: string; privateIpAddress: string },
  binding: { networkInterfaceId: string; privateIpAddress: string },
  primary: boolean,
): boolean {
  if (eip.instanceId === '' || eip.instanceId !== binding.networkInterfaceId) return false;
  return eip.privateIpAddress === binding.privateIpAddress || (eip.privateIpAddress === '' && primary);
}
