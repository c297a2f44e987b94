import { PatchStrategy, type CoreV1Api } from '@kubernetes/client-node';
import { KubeApiError } from './errors.js';
import type { EventRecord, EventSink } from './events.js';
import type { KubeRequester } from './requester.js';

/** core/v1 Events on the API server. */
export class CoreEventSink implements EventSink {
  constructor(
    private readonly core: CoreV1Api,
    private readonly requester: KubeRequester,
  ) {}

  async create(event: EventRecord): Promise<void> {
    const { namespace, name, ...fields } = event;
    await this.requester.call('create', 'events', {}, (config) =>
      this.core.createNamespacedEventWithHttpInfo(
        {
          namespace,
          body: {
            apiVersion: 'v1',
            kind: 'Event',
            metadata: { name, namespace },
            ...fields,
            reportingComponent: event.source.component,
            reportingInstance: event.source.host,
          },
        },
        config,
      ),
    );
  }

  async update(namespace: string, name: string, count: number, lastTimestamp: Date): Promise<boolean> {
    try {
      await this.requester.call('patch', 'events', { contentType: PatchStrategy.MergePatch }, (config) =>
        this.core.patchNamespacedEventWithHttpInfo(
          { namespace, name, body: { count, lastTimestamp: lastTimestamp.toISOString() } },
          config,
        ),
      );
      return true;
    } catch (err) {
      if (err instanceof KubeApiError && err.notFound) return false;
      throw err;
    }
  }
}
