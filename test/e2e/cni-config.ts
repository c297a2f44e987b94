/**
 * The node's primary CNI chain as a cluster admin would have it before podeip: bridge with
 * host-local IPAM on a private subnet. Our installer later appends the podeip entry to it.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface BridgeNetwork {
  /** conflist `name`; libcni's result cache files under /var/lib/cni/results start with it. */
  name: string;
  bridge: string;
  subnet: string;
  gateway: string;
  /** host-local's allocation store, kept in our temp dir instead of /var/lib/cni/networks. */
  ipamDataDir: string;
  rangeStart: string;
  rangeEnd: string;
}

export const CONFLIST_FILE = '10-podeip-e2e.conflist';

export function bridgeConflist(net: BridgeNetwork): object {
  return {
    cniVersion: '1.0.0',
    name: net.name,
    plugins: [
      {
        type: 'bridge',
        bridge: net.bridge,
        isGateway: true,
        ipMasq: false,
        ipam: {
          type: 'host-local',
          dataDir: net.ipamDataDir,
          ranges: [[{ subnet: net.subnet, rangeStart: net.rangeStart, rangeEnd: net.rangeEnd, gateway: net.gateway }]],
        },
      },
    ],
  };
}

export function writeBridgeConflist(confDir: string, net: BridgeNetwork): string {
  const file = join(confDir, CONFLIST_FILE);
  writeFileSync(file, JSON.stringify(bridgeConflist(net), null, 2) + '\n');
  return file;
}
