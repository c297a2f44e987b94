/**
 * The CNI spec versions the plugin speaks. 0.3.x is accepted because the installer chains the
 * plugin into whatever conflist the node already has, and many primaries still say 0.3.1; the
 * result format of 0.3.x equals 0.4.0's.
 */
import { SUPPORTED_CNI_VERSIONS } from '../../lib/cni-contract.js';
import { IncompatibleVersionError } from './cni-error.js';

export type CniVersion = (typeof SUPPORTED_CNI_VERSIONS)[number];
export const LATEST_CNI_VERSION: CniVersion = '1.1.0';

export function isSupportedVersion(version: string): version is CniVersion {
  return (SUPPORTED_CNI_VERSIONS as readonly string[]).includes(version);
}

/** Results of 1.0.0 and later have no `ips[].version`; earlier ones require it. */
export function isPre100(version: CniVersion): boolean {
  return version.startsWith('0.');
}

/** CHECK exists from 0.4.0; STATUS and GC from 1.1.0. */
export function requireVersionFor(command: string, version: CniVersion): void {
  const minimum = command === 'CHECK' ? '0.4.0' : command === 'STATUS' || command === 'GC' ? '1.1.0' : undefined;
  if (minimum !== undefined && SUPPORTED_CNI_VERSIONS.indexOf(version) < SUPPORTED_CNI_VERSIONS.indexOf(minimum)) {
    throw new IncompatibleVersionError(
      `CNI_COMMAND=${command} needs cniVersion ${minimum} or later; the network config says "${version}"`,
    );
  }
}
