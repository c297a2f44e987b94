/**
 * CNI config directories as real nodes have them, written into temp dirs for installer tests.
 * Odd layout (tabs, key order, no trailing newline) on purpose: edits must keep every byte.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Terway's chained conflist (terway then cilium-cni), as its init container writes it. */
export const TERWAY_CONFLIST = `{
\t"plugins": [
\t\t{
\t\t\t"type": "terway",
\t\t\t"eniip_virtual_type": "IPVlan",
\t\t\t"network_policy_provider": "ebpf",
\t\t\t"capabilities": {"bandwidth": true}
\t\t},
\t\t{
\t\t\t"type": "cilium-cni",
\t\t\t"enable-debug": false,
\t\t\t"data-path": "ipvlan"
\t\t}
\t],
\t"cniVersion": "0.4.0",
\t"name": "terway-chainer"
}`;

/** A lone bridge .conf (the reference plugins' classic example), with a trailing newline. */
export const BRIDGE_CONF = `{
    "cniVersion": "0.3.1",
    "name": "mynet",
    "type": "bridge",
    "bridge": "cni0",
    "isGateway": true,
    "ipMasq": false,
    "ipam": {
        "type": "host-local",
        "subnet": "10.244.77.0/24",
        "routes": [ { "dst": "0.0.0.0/0" } ]
    }
}
`;

export const FLANNEL_CONFLIST =
  '{"name":"cbr0","cniVersion":"1.0.0","plugins":[{"type":"flannel","delegate":{"hairpinMode":true,"isDefaultGateway":true}},{"type":"portmap","capabilities":{"portMappings":true}}]}\n';
export const OTHER_CONFLIST = '{"name":"other","cniVersion":"1.0.0","plugins":[{"type":"macvlan","master":"eth1"}]}\n';
export const LOOPBACK_CONF = '{"cniVersion":"0.3.1","name":"lo","type":"loopback"}\n';

export function confDir(files: Record<string, string>, dirs: string[] = []): string {
  const dir = mkdtempSync(join(tmpdir(), 'podeip-netd-'));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text, { mode: 0o644 });
  for (const name of dirs) mkdirSync(join(dir, name));
  return dir;
}

export function binDir(): string {
  return mkdtempSync(join(tmpdir(), 'podeip-cnibin-'));
}

/** Stands in for dist/bin/podeip where only the copy matters. */
export function fakePlugin(content = '#!/bin/sh\necho podeip\n'): string {
  const path = join(mkdtempSync(join(tmpdir(), 'podeip-src-')), 'podeip');
  writeFileSync(path, content, { mode: 0o700 });
  return path;
}
