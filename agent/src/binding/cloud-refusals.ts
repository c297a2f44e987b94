/**
 * The cloud saying that a resource a pod's annotation names does not exist (a resource group, an
 * IP address pool, an Internet Shared Bandwidth), as an InvalidAnnotation error that names the
 * annotation, the ID and the fix, instead of "EIP not found" or an internal error.
 */
import { CloudError } from '../cloud/errors.js';
import { BindingError } from '../domain/errors.js';

interface Named {
  annotation: string;
  what: string;
  matches: (cloudCode: string) => boolean;
}

const NAMED_RESOURCES: Record<'resourceGroupId' | 'publicIpAddressPoolId' | 'bandwidthPackageId', Named> = {
  resourceGroupId: {
    annotation: 'eip-resource-group-id',
    what: 'resource group',
    matches: (code) =>
      code === 'InvalidResourceGroupId' || /^(InvalidResourceGroupId|ResourceNotFound\.ResourceGroup)/.test(code),
  },
  publicIpAddressPoolId: {
    annotation: 'eip-public-ip-address-pool-id',
    what: 'IP address pool',
    matches: (code) => /PublicIpAddressPool/.test(code) && /NotFound|NotExist/.test(code),
  },
  bandwidthPackageId: {
    annotation: 'eip-common-bandwidth-package-id',
    what: 'Internet Shared Bandwidth',
    matches: (code) => code === 'InvalidBandwidthPackageId.NotFound',
  },
};

/** A permanent answer from the cloud (not throttling, not an outage, not a lost answer). */
export function isPermanentRefusal(err: unknown): err is CloudError {
  return err instanceof CloudError && !err.retryable && err.httpStatus > 0;
}

/**
 * The refusal as InvalidAnnotation when the cloud's code says one of `named` (field -> the ID the
 * request carried) does not exist; undefined for any other failure.
 */
export function missingNamedResource(
  err: unknown,
  named: Partial<Record<keyof typeof NAMED_RESOURCES, string>>,
  regionId: string,
): BindingError | undefined {
  if (!isPermanentRefusal(err)) return undefined;
  for (const [field, id] of Object.entries(named)) {
    const resource = NAMED_RESOURCES[field as keyof typeof NAMED_RESOURCES];
    if (!id || !resource.matches(err.cloudCode)) continue;
    return new BindingError(
      'InvalidAnnotation',
      `annotation ${resource.annotation}=${JSON.stringify(id)}: no ${resource.what} ${id} exists in region ${regionId} for this account ` +
        `(${err.action} answered ${err.cloudCode}); fix the ID or remove the annotation. No EIP was kept for this pod`,
      { cause: err },
    );
  }
  return undefined;
}
