import { PatchStrategy, type CoreV1Api } from '@kubernetes/client-node';
import type { Clock } from '../../../lib/clock.js';
import { KubeApiError, KubeConflictError } from './errors.js';
import { rfc3339, type RawPod } from './pod-info.js';
import type { KubeRequester } from './requester.js';
import { DEFAULT_RETRY_POLICIES } from '../retry/index.js';

export const ADDRESS_ANNOTATIONS = [
  'k8s.aliyun.com/allocated-eipAddress',
  'network.alibabacloud.com/allocated-eipAddress',
] as const;
export const EIP_CONDITION_TYPE = 'k8s.aliyun.com/eip';

/** The two writes the agent makes to Pods: the address annotation and the readiness-gate condition. */
export class PodWriter {
  constructor(
    private readonly core: CoreV1Api,
    private readonly requester: KubeRequester,
    private readonly clock: Clock,
    private readonly conflictRetries = DEFAULT_RETRY_POLICIES.kubeWrite.conflictRetries,
  ) {}

  /** Both prefixes, since users read either (the spec shows one per component). Overwrites a stale value. */
  async annotateAddress(namespace: string, name: string, address: string, signal?: AbortSignal): Promise<void> {
    const annotations = Object.fromEntries(ADDRESS_ANNOTATIONS.map((key) => [key, address]));
    await this.requester.call('patch', 'pods', { signal, contentType: PatchStrategy.MergePatch }, (config) =>
      this.core.patchNamespacedPodWithHttpInfo({ namespace, name, body: { metadata: { annotations } } }, config),
    );
  }

  /**
   * Strategic merge patch on pods/status: conditions merge by `type`, so every other condition
   * (kubelet's Ready, other gates) stays as it is. lastTransitionTime moves only when the status
   * flips; the patch carries the resourceVersion we read, so a concurrent flip makes it retry.
   */
  async setEipCondition(
    namespace: string,
    name: string,
    ready: boolean,
    reason: string,
    message: string,
    signal?: AbortSignal,
  ): Promise<void> {
    const status = ready ? 'True' : 'False';
    for (let attempt = 1; ; attempt++) {
      const pod = (await this.requester.call('get', 'pods/status', { signal }, (config) =>
        this.core.readNamespacedPodStatusWithHttpInfo({ namespace, name }, config),
      )) as RawPod;
      const now = rfc3339(new Date(this.clock.now()))!;
      const previous = pod.status?.conditions?.find((condition) => condition.type === EIP_CONDITION_TYPE);
      const lastTransitionTime =
        previous && previous.status === status ? (rfc3339(previous.lastTransitionTime) ?? now) : now;
      const body = {
        metadata: { resourceVersion: pod.metadata?.resourceVersion },
        status: {
          conditions: [{ type: EIP_CONDITION_TYPE, status, reason, message, lastProbeTime: now, lastTransitionTime }],
        },
      };
      try {
        await this.requester.call(
          'patch',
          'pods/status',
          { signal, contentType: PatchStrategy.StrategicMergePatch },
          (config) => this.core.patchNamespacedPodStatusWithHttpInfo({ namespace, name, body }, config),
        );
        return;
      } catch (err) {
        if (!(err instanceof KubeApiError && err.conflict)) throw err;
        if (attempt >= this.conflictRetries) {
          throw new KubeConflictError(
            `setting condition ${EIP_CONDITION_TYPE} on pod ${namespace}/${name} kept conflicting after ${attempt} attempts`,
            { cause: err },
          );
        }
      }
    }
  }
}
