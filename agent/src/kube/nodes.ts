import type { CoreV1Api } from '@kubernetes/client-node';
import { KubeApiError } from './errors.js';
import type { KubeRequester } from './requester.js';

/** Reads of Node objects: the instance cross-check and the GC's "does this node still exist". */
export class NodeReader {
  constructor(
    private readonly core: CoreV1Api,
    private readonly requester: KubeRequester,
  ) {}

  async providerId(nodeName: string, signal?: AbortSignal): Promise<string | undefined> {
    try {
      const node = await this.requester.call('get', 'nodes', { signal }, (config) =>
        this.core.readNodeWithHttpInfo({ name: nodeName }, config),
      );
      return node.spec?.providerID || undefined;
    } catch (err) {
      if (err instanceof KubeApiError && err.notFound) return undefined;
      throw err;
    }
  }

  async names(signal?: AbortSignal): Promise<Set<string>> {
    const names = new Set<string>();
    let token: string | undefined;
    do {
      const page = await this.requester.call('list', 'nodes', { signal }, (config) =>
        this.core.listNodeWithHttpInfo({ limit: 500, _continue: token }, config),
      );
      for (const node of page.items) if (node.metadata?.name) names.add(node.metadata.name);
      token = page.metadata?._continue || undefined;
    } while (token);
    return names;
  }
}
