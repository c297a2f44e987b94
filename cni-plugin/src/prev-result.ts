/** What the plugin reads from and prints of the previous plugin's result. */
import { isIPv4 } from 'node:net';
import { IncompatibleVersionError, InvalidNetworkConfigError } from './cni-error.js';
import { SUPPORTED_CNI_VERSIONS } from '../../lib/cni-contract.js';
import { isPre100, isSupportedVersion, type CniVersion } from './cni-versions.js';

type Json = Record<string, unknown>;

interface IpEntry {
  ipv4: string;
  interfaceIndex: number | undefined;
}

/** prevResult.ips[index] as an object; anything else (null included) is the previous plugin's malformed result. */
function ipObject(ip: unknown, index: number): Json {
  if (typeof ip !== 'object' || ip === null || Array.isArray(ip)) {
    throw new InvalidNetworkConfigError(
      `"prevResult.ips[${index}]" must be an object such as {"address": "10.0.0.5/24"}; got ${ip === null ? 'null' : Array.isArray(ip) ? 'an array' : typeof ip}`,
    );
  }
  return ip as Json;
}

function ipEntries(prevResult: Json): IpEntry[] {
  const ips = prevResult.ips;
  if (ips === undefined) return [];
  if (!Array.isArray(ips)) throw new InvalidNetworkConfigError('"prevResult.ips" must be an array');
  const entries: IpEntry[] = [];
  ips.forEach((entry: unknown, index) => {
    const ip = ipObject(entry, index);
    const address = ip.address;
    if (typeof address !== 'string') {
      throw new InvalidNetworkConfigError(
        `"prevResult.ips[${index}].address" must be a CIDR string such as "10.0.0.5/24"`,
      );
    }
    const host = address.split('/')[0] ?? '';
    if (!isIPv4(host)) return;
    const interfaceIndex = ip.interface;
    entries.push({ ipv4: host, interfaceIndex: typeof interfaceIndex === 'number' ? interfaceIndex : undefined });
  });
  return entries;
}

/**
 * The pod's IPv4 on `ifname`: the first IPv4 whose `interface` index names `ifname` in
 * `interfaces`; failing that, the only IPv4 that names no interface. undefined when neither.
 */
export function podIpv4For(prevResult: Json, ifname: string): string | undefined {
  const entries = ipEntries(prevResult);
  const interfaces = Array.isArray(prevResult.interfaces) ? prevResult.interfaces : [];
  const onIfname = entries.find(
    (entry) =>
      entry.interfaceIndex !== undefined && (interfaces[entry.interfaceIndex] as Json | undefined)?.name === ifname,
  );
  if (onIfname) return onIfname.ipv4;
  const unindexed = entries.filter((entry) => entry.interfaceIndex === undefined);
  return unindexed.length === 1 ? unindexed[0]!.ipv4 : undefined;
}

/**
 * prevResult as this plugin's result in `version`. libcni already hands prevResult in the
 * config's version, so this is the object itself; only a result that says another version is
 * converted (1.0.0 dropped `ips[].version`, which earlier versions require).
 */
export function resultForVersion(prevResult: Json, version: CniVersion): Json {
  const from = prevResult.cniVersion;
  if (from === undefined || from === version) return prevResult;
  if (typeof from !== 'string' || !isSupportedVersion(from)) {
    throw new IncompatibleVersionError(
      `prevResult has cniVersion ${JSON.stringify(from)}, which podeip cannot convert to "${version}"; supported: ${SUPPORTED_CNI_VERSIONS.join(', ')}`,
    );
  }
  const converted: Json = { ...prevResult, cniVersion: version };
  if (isPre100(from) === isPre100(version) || !Array.isArray(prevResult.ips)) return converted;
  converted.ips = prevResult.ips.map((entry: unknown, index) => {
    const ip = ipObject(entry, index);
    if (isPre100(version)) {
      const host = (typeof ip.address === 'string' ? ip.address : '').split('/')[0] ?? '';
      return { version: isIPv4(host) ? '4' : '6', ...ip };
    }
    const { version: _dropped, ...rest } = ip;
    return rest;
  });
  return converted;
}
