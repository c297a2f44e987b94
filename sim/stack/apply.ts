/** Creates every object of a YAML manifest file through client-node: what `kubectl apply -f` does for new objects, without kubectl. */
import { readFileSync } from 'node:fs';
import { KubeConfig, KubernetesObjectApi, type KubernetesObject } from '@kubernetes/client-node';
import { parseAllDocuments } from 'yaml';

export function objectApi(kubeconfigPath: string): KubernetesObjectApi {
  const config = new KubeConfig();
  config.loadFromFile(kubeconfigPath);
  return KubernetesObjectApi.makeApiClient(config);
}

export async function createFromFile(objects: KubernetesObjectApi, path: string): Promise<KubernetesObject[]> {
  const created: KubernetesObject[] = [];
  for (const doc of parseAllDocuments(readFileSync(path, 'utf8'))) {
    const manifest = doc.toJS() as KubernetesObject | null;
    if (manifest) created.push(await objects.create(manifest));
  }
  return created;
}
