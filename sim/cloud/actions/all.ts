import { ActionRegistry } from './registry.js';
import { allocateEipAddress, allocateEipAddressPro } from './vpc/allocate.js';
import { associateEipAddress, unassociateEipAddress } from './vpc/associate.js';
import { describeEipAddresses } from './vpc/describe-eips.js';
import { modifyEipAddressAttribute } from './vpc/modify.js';
import { releaseEipAddress } from './vpc/release.js';

/** Every action the simulator serves. */
export function allActions(): ActionRegistry {
  return new ActionRegistry([
    allocateEipAddress, allocateEipAddressPro, associateEipAddress, unassociateEipAddress, releaseEipAddress,
    describeEipAddresses, modifyEipAddressAttribute,
  ]);
}
