import type { CoreV1Api } from '@kubernetes/client-node';
import type { Clock } from '../../../lib/clock.js';
import { KubeApiError } from './errors.js';
import type { KubeRequester } from './requester.js';

/** How long a Namespace's annotations are reused: a grant or revoke counts within this (the promise is 5 s). */
export const NAMESPACE_CACHE_MS = 1_000;

/** Namespace annotations (the grants of docs/annotations.md), cached briefly so a burst of ADDs costs one GET. */
export class NamespaceReader {
  private readonly cache = new Map<string, { at: number; annotations: Record<string, string> }>();

  constructor(
    private readonly core: CoreV1Api,
    private readonly requester: KubeRequester,
    private readonly clock: Clock,
  ) {}

  async annotations(name: string, signal?: AbortSignal): Promise<Record<string, string>> {
    const cached = this.cache.get(name);
    if (cached && this.clock.now() - cached.at < NAMESPACE_CACHE_MS) return cached.annotations;
    let annotations: Record<string, string> = {};
    try {
      const ns = await this.requester.call('get', 'namespaces', { signal }, (config) =>
        this.core.readNamespaceWithHttpInfo({ name }, config),
      );
      annotations = ns.metadata?.annotations ?? {};
    } catch (err) {
      if (!(err instanceof KubeApiError && err.notFound)) throw err;
    }
    this.cache.set(name, { at: this.clock.now(), annotations });
    return annotations;
  }
}
