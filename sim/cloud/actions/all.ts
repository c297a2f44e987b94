import { describeNetworkInterfaces } from './ecs.js';
import { ActionRegistry } from './registry.js';
import { allocateEipAddress, allocateEipAddressPro } from './vpc/allocate.js';
import { associateEipAddress, unassociateEipAddress } from './vpc/associate.js';
import { addCommonBandwidthPackageIp, removeCommonBandwidthPackageIp } from './vpc/bandwidth-package.js';
import { describeEipAddresses } from './vpc/describe-eips.js';
import { describeVSwitches } from './vpc/describe-vswitches.js';
import { modifyEipAddressAttribute } from './vpc/modify.js';
import { releaseEipAddress } from './vpc/release.js';
import { listTagResources, tagResources, unTagResources } from './vpc/tags.js';

/** Every action the simulator serves. */
export function allActions(): ActionRegistry {
  return new ActionRegistry([
    allocateEipAddress,
    allocateEipAddressPro,
    associateEipAddress,
    unassociateEipAddress,
    releaseEipAddress,
    describeEipAddresses,
    modifyEipAddressAttribute,
    addCommonBandwidthPackageIp,
    removeCommonBandwidthPackageIp,
    tagResources,
    unTagResources,
    listTagResources,
    describeVSwitches,
    describeNetworkInterfaces,
  ]);
}
