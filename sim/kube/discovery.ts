/**
 * Discovery documents (/version, /api, /apis, /api/v1, /apis/<g>/<v>) in the legacy
 * (non-aggregated) format; clients that ask for aggregated discovery fall back to it because the
 * answer's Content-Type is plain application/json.
 */
import { apiVersionOf, type KubeObject, type ResourceRegistry, type ResourceType } from './resources.js';

const VERBS = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];

export function versionInfo(): KubeObject {
  return {
    major: '1',
    minor: '32',
    gitVersion: 'v1.32.0-podeip-sim',
    gitCommit: '0000000000000000000000000000000000000000',
    gitTreeState: 'clean',
    buildDate: '2026-01-01T00:00:00Z',
    goVersion: 'go1.23.0',
    compiler: 'gc',
    platform: 'linux/amd64',
  };
}

export function coreVersions(serverAddress: string): KubeObject {
  return {
    kind: 'APIVersions',
    versions: ['v1'],
    serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress }],
  };
}

function groupEntry(name: string, versions: string[]): KubeObject {
  const list = versions.map((v) => ({ groupVersion: `${name}/${v}`, version: v }));
  return { name, versions: list, preferredVersion: list[0] };
}

export function groupList(registry: ResourceRegistry): KubeObject {
  const groups = [...registry.groups()].map(([name, versions]) => groupEntry(name, versions));
  return { kind: 'APIGroupList', apiVersion: 'v1', groups };
}

export function group(registry: ResourceRegistry, name: string): KubeObject | undefined {
  const versions = registry.groups().get(name);
  return versions ? { kind: 'APIGroup', apiVersion: 'v1', ...groupEntry(name, versions) } : undefined;
}

export function resourceList(registry: ResourceRegistry, groupName: string, version: string): KubeObject | undefined {
  const types = registry.inGroupVersion(groupName, version);
  if (types.length === 0) return undefined;
  const resources: KubeObject[] = [];
  for (const t of types.sort((a, b) => a.plural.localeCompare(b.plural))) {
    resources.push(resourceEntry(t));
    if (t.statusSubresource) {
      resources.push({
        name: `${t.plural}/status`,
        singularName: '',
        namespaced: t.namespaced,
        kind: t.kind,
        verbs: ['get', 'patch', 'update'],
      });
    }
  }
  return {
    kind: 'APIResourceList',
    apiVersion: 'v1',
    groupVersion: apiVersionOf({ group: groupName, version }),
    resources,
  };
}

function resourceEntry(t: ResourceType): KubeObject {
  const entry: KubeObject = {
    name: t.plural,
    singularName: t.singular,
    namespaced: t.namespaced,
    kind: t.kind,
    verbs: VERBS,
  };
  if (t.shortNames.length) entry.shortNames = t.shortNames;
  if (t.categories.length) entry.categories = t.categories;
  return entry;
}
