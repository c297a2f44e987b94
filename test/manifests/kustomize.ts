/** Builds a kustomization with the kubectl on PATH (its built-in kustomize) and parses the result. */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { parseAllDocuments } from 'yaml';
import { testKubectl } from '../../lib/host-tools.js';

const run = promisify(execFile);

export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  [field: string]: unknown;
}

export async function kustomizeBuild(dir: string): Promise<{ yaml: string; objects: KubeObject[] }> {
  const { stdout } = await run(testKubectl(), ['kustomize', dir], { maxBuffer: 32 * 1024 * 1024 });
  const objects = parseAllDocuments(stdout).map((doc) => {
    if (doc.errors.length > 0) throw new Error(`kustomize output is not valid YAML: ${doc.errors[0]?.message}`);
    return doc.toJS() as KubeObject;
  });
  return { yaml: stdout, objects };
}

const builds = new Map<string, Promise<{ yaml: string; objects: KubeObject[] }>>();

/** One build per folder per test process; callers must not modify what it returns. */
export function kustomizeBuildOnce(dir: string): Promise<{ yaml: string; objects: KubeObject[] }> {
  let build = builds.get(dir);
  if (!build) builds.set(dir, (build = kustomizeBuild(dir)));
  return build;
}

export function findObject(objects: KubeObject[], kind: string, name: string): KubeObject {
  const found = objects.find((o) => o.kind === kind && o.metadata.name === name);
  if (!found)
    throw new Error(
      `no ${kind} ${name} in the build (have: ${objects.map((o) => `${o.kind}/${o.metadata.name}`).join(', ')})`,
    );
  return found;
}

/** Generated ConfigMaps carry a content hash suffix: podeip-config-<hash>. */
export function findGenerated(objects: KubeObject[], kind: string, name: string): KubeObject {
  const found = objects.find((o) => o.kind === kind && new RegExp(`^${name}-[a-z0-9]{10}$`).test(o.metadata.name));
  if (!found) throw new Error(`no generated ${kind} ${name}-<hash> in the build`);
  return found;
}
