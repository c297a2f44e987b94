/**
 * A minimal /openapi/v3: one document per group/version that declares, for every served kind,
 * a PATCH operation accepting `fieldValidation`. That is what kubectl checks before it leaves
 * field validation to the server (so `--validate` works without client-side schemas). No
 * component schemas are published, so kubectl falls back to its compiled-in types for
 * strategic merge patches and to JSON merge patch for custom resources.
 */
import { createHash } from 'node:crypto';
import type { KubeObject, ResourceRegistry } from './resources.js';

function gvPath(group: string, version: string): string {
  return group ? `apis/${group}/${version}` : `api/${version}`;
}

export function openApiRoot(registry: ResourceRegistry): KubeObject {
  const paths: KubeObject = {};
  const seen = new Set<string>();
  for (const t of registry.all()) {
    const key = gvPath(t.group, t.version);
    if (seen.has(key)) continue;
    seen.add(key);
    const hash = createHash('sha256')
      .update(JSON.stringify(openApiGroupVersion(registry, t.group, t.version)))
      .digest('hex')
      .slice(0, 32);
    paths[key] = { serverRelativeURL: `/openapi/v3/${key}?hash=${hash.toUpperCase()}` };
  }
  return { paths };
}

export function openApiGroupVersion(
  registry: ResourceRegistry,
  group: string,
  version: string,
): KubeObject | undefined {
  const types = registry.inGroupVersion(group, version);
  if (types.length === 0) return undefined;
  const paths: KubeObject = {};
  const param = (name: string): KubeObject => ({ name, in: 'query', schema: { type: 'string', uniqueItems: true } });
  for (const t of types) {
    const base = `/${gvPath(group, version)}${t.namespaced ? '/namespaces/{namespace}' : ''}/${t.plural}/{name}`;
    const gvk = { group, version, kind: t.kind };
    const op = (action: string): KubeObject => ({
      operationId: `${action}${t.kind}`,
      'x-kubernetes-action': action,
      'x-kubernetes-group-version-kind': gvk,
      parameters: [param('dryRun'), param('fieldManager'), param('fieldValidation')],
      responses: { '200': { description: 'OK' } },
    });
    paths[base] = { patch: op('patch'), put: op('put') };
  }
  return {
    openapi: '3.0.0',
    info: { title: 'Kubernetes', version: 'v1.32.0-podeip-sim' },
    paths,
    components: { schemas: {} },
  };
}
