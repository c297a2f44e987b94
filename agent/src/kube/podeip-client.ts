import { PatchStrategy, type CustomObjectsApi } from '@kubernetes/client-node';
import { rfc3339, type RawObjectMeta } from './pod-info.js';
import { KubeApiError, KubeConflictError } from './errors.js';
import type { KubeRequester } from './requester.js';
import type { PodEip, PodEipSpec, PodEipStatus } from './types.js';

export const PODEIP_GROUP = 'alibabacloud.com';
export const PODEIP_VERSION = 'v1beta1';
export const PODEIP_PLURAL = 'podeips';
export const PODEIP_KIND = 'PodEIP';
export const PODEIP_FINALIZER = 'podeip-controller.alibabacloud.com/finalizer';

const RESOURCE = 'podeips';
const MAX_CONFLICT_RETRIES = 5;

/** alibabacloud.com/v1beta1 PodEIP through CustomObjectsApi. Field names as types.ts. */
export class PodEipClient {
  constructor(
    private readonly api: CustomObjectsApi,
    private readonly requester: KubeRequester,
  ) {}

  async get(namespace: string, name: string, signal?: AbortSignal): Promise<PodEip | undefined> {
    try {
      const object: unknown = await this.requester.call('get', RESOURCE, { signal }, (config) =>
        this.api.getNamespacedCustomObjectWithHttpInfo(
          { group: PODEIP_GROUP, version: PODEIP_VERSION, plural: PODEIP_PLURAL, namespace, name },
          config,
        ),
      );
      return toPodEip(object as RawPodEip);
    } catch (err) {
      if (err instanceof KubeApiError && err.notFound) return undefined;
      throw err;
    }
  }

  /** false while the API server does not serve the resource (the CRD is not applied, or not yet established). */
  async served(signal?: AbortSignal): Promise<boolean> {
    try {
      await this.requester.call('list', RESOURCE, { signal }, (config) =>
        this.api.listClusterCustomObjectWithHttpInfo(
          { group: PODEIP_GROUP, version: PODEIP_VERSION, plural: PODEIP_PLURAL, limit: 1 },
          config,
        ),
      );
      return true;
    } catch (err) {
      if (err instanceof KubeApiError && err.notFound) return false;
      throw err;
    }
  }

  /** Every PodEIP in the cluster (or those whose labels match `labelSelector`), following `continue` pages. */
  async list(signal?: AbortSignal, labelSelector?: string): Promise<PodEip[]> {
    const result: PodEip[] = [];
    let token: string | undefined;
    do {
      const page = (await this.requester.call('list', RESOURCE, { signal }, (config) =>
        this.api.listClusterCustomObjectWithHttpInfo(
          {
            group: PODEIP_GROUP,
            version: PODEIP_VERSION,
            plural: PODEIP_PLURAL,
            limit: 500,
            _continue: token,
            ...(labelSelector ? { labelSelector } : {}),
          },
          config,
        ),
      )) as RawPodEipList;
      for (const item of page.items ?? []) result.push(toPodEip(item));
      token = page.metadata?._continue || page.metadata?.continue || undefined;
    } while (token);
    return result;
  }

  async create(
    namespace: string,
    name: string,
    spec: PodEipSpec,
    labels: Record<string, string>,
    signal?: AbortSignal,
  ): Promise<PodEip> {
    const body = {
      apiVersion: `${PODEIP_GROUP}/${PODEIP_VERSION}`,
      kind: PODEIP_KIND,
      metadata: { name, namespace, labels, finalizers: [PODEIP_FINALIZER] },
      spec,
    };
    try {
      const object: unknown = await this.requester.call('create', RESOURCE, { signal }, (config) =>
        this.api.createNamespacedCustomObjectWithHttpInfo(
          { group: PODEIP_GROUP, version: PODEIP_VERSION, plural: PODEIP_PLURAL, namespace, body },
          config,
        ),
      );
      return toPodEip(object as RawPodEip);
    } catch (err) {
      if (!(err instanceof KubeApiError && err.alreadyExists)) throw err;
      const existing = await this.get(namespace, name, signal);
      if (existing) return existing;
      // Deleted between our create and get: the caller's retry will create it.
      throw err;
    }
  }

  async updateStatus(namespace: string, name: string, status: PodEipStatus, signal?: AbortSignal): Promise<void> {
    await this.requester.call(
      'patch',
      `${RESOURCE}/status`,
      { signal, contentType: PatchStrategy.MergePatch },
      (config) =>
        this.api.patchNamespacedCustomObjectStatusWithHttpInfo(
          { group: PODEIP_GROUP, version: PODEIP_VERSION, plural: PODEIP_PLURAL, namespace, name, body: { status } },
          config,
        ),
    );
  }

  /** Marks it for deletion (our finalizer keeps it until removeFinalizer). Absent is fine. */
  async delete(namespace: string, name: string, signal?: AbortSignal): Promise<void> {
    try {
      await this.requester.call('delete', RESOURCE, { signal }, (config) =>
        this.api.deleteNamespacedCustomObjectWithHttpInfo(
          { group: PODEIP_GROUP, version: PODEIP_VERSION, plural: PODEIP_PLURAL, namespace, name },
          config,
        ),
      );
    } catch (err) {
      if (err instanceof KubeApiError && err.notFound) return;
      throw err;
    }
  }

  /** Merge-patches metadata.annotations; a null value removes that annotation. Absent PodEIP is fine. */
  async annotate(
    namespace: string,
    name: string,
    annotations: Record<string, string | null>,
    signal?: AbortSignal,
  ): Promise<void> {
    try {
      await this.requester.call('patch', RESOURCE, { signal, contentType: PatchStrategy.MergePatch }, (config) =>
        this.api.patchNamespacedCustomObjectWithHttpInfo(
          {
            group: PODEIP_GROUP,
            version: PODEIP_VERSION,
            plural: PODEIP_PLURAL,
            namespace,
            name,
            body: { metadata: { annotations } },
          },
          config,
        ),
      );
    } catch (err) {
      if (err instanceof KubeApiError && err.notFound) return;
      throw err;
    }
  }

  /**
   * Removes our finalizer only: a JSON patch whose `test` op pins the index we read, so a
   * concurrent change to the list (another controller's finalizer) fails the patch instead of
   * removing the wrong entry; then we read again and retry.
   */
  async removeFinalizer(namespace: string, name: string, signal?: AbortSignal): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      const current = await this.get(namespace, name, signal);
      if (!current) return;
      const index = current.finalizers.indexOf(PODEIP_FINALIZER);
      if (index < 0) return;
      const patch = [
        { op: 'test', path: `/metadata/finalizers/${index}`, value: PODEIP_FINALIZER },
        { op: 'remove', path: `/metadata/finalizers/${index}` },
      ];
      try {
        await this.requester.call('patch', RESOURCE, { signal, contentType: PatchStrategy.JsonPatch }, (config) =>
          this.api.patchNamespacedCustomObjectWithHttpInfo(
            { group: PODEIP_GROUP, version: PODEIP_VERSION, plural: PODEIP_PLURAL, namespace, name, body: patch },
            config,
          ),
        );
        return;
      } catch (err) {
        if (!(err instanceof KubeApiError)) throw err;
        if (err.notFound) return;
        // 409: changed under us; 422: our test op failed (the list moved). Both mean: read again.
        const retryable = err.status === 409 || err.status === 422;
        if (!retryable) throw err;
        if (attempt >= MAX_CONFLICT_RETRIES) {
          throw new KubeConflictError(
            `removing the finalizer of PodEIP ${namespace}/${name} kept conflicting after ${attempt} attempts`,
            { cause: err },
          );
        }
      }
    }
  }
}

interface RawPodEip {
  metadata?: RawObjectMeta & { labels?: Record<string, string>; finalizers?: string[] };
  spec?: Partial<PodEipSpec> & { allocationType?: Partial<PodEipSpec['allocationType']> };
  status?: PodEipStatus;
}

interface RawPodEipList {
  items?: RawPodEip[];
  metadata?: { continue?: string; _continue?: string };
}

/** PodEIPs written by ack-extend-network-controller may omit fields; defaults follow its docs. */
export function toPodEip(raw: RawPodEip): PodEip {
  const metadata = raw.metadata ?? {};
  const allocationType: Partial<PodEipSpec['allocationType']> = raw.spec?.allocationType ?? {};
  const spec: PodEipSpec = {
    allocationID: raw.spec?.allocationID ?? '',
    allocationType: {
      type: allocationType.type ?? 'Auto',
      releaseStrategy: allocationType.releaseStrategy ?? 'Follow',
    },
  };
  if (raw.spec?.bandwidthPackageID) spec.bandwidthPackageID = raw.spec.bandwidthPackageID;
  if (allocationType.releaseAfter) spec.allocationType.releaseAfter = allocationType.releaseAfter;
  const eip: PodEip = {
    namespace: metadata.namespace ?? '',
    name: metadata.name ?? '',
    uid: metadata.uid ?? '',
    resourceVersion: metadata.resourceVersion ?? '',
    annotations: { ...(metadata.annotations ?? {}) },
    labels: { ...(metadata.labels ?? {}) },
    finalizers: [...(metadata.finalizers ?? [])],
    spec,
    status: { ...(raw.status ?? {}) },
  };
  const deletion = rfc3339(metadata.deletionTimestamp);
  if (deletion) eip.deletionTimestamp = deletion;
  return eip;
}
