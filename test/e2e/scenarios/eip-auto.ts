/**
 * The product's promise for a pod that asks for an EIP: bound to its private IP on its ENI before
 * RunPodSandbox returns (so its containers never start without it), recorded on the pod and in
 * its PodEIP, unbound before the sandbox's IP is freed, and released once the pod is gone.
 */
import { TIMED_PODS } from './constants.js';
import {
  WITH_EIP,
  assertBoundAtReturn,
  assertKubeRecords,
  assertNothingBoundTo,
  endPod,
  startPod,
  waitReleased,
} from './pod-lifecycle.js';
import { type Scenario, TIMING_PODEIP_EIP } from './scenario.js';

export const eipAuto: Scenario = {
  name: 'pod with an EIP: bound before RunPodSandbox returns, recorded, released after removal',
  needsPodeip: true,
  async run({ stack }) {
    const released: Array<() => Promise<void>> = [];
    for (let i = 0; i < TIMED_PODS; i++) {
      const pod = await startPod(stack!, `eip-auto-${i}`, WITH_EIP, { label: TIMING_PODEIP_EIP });
      const eip = await assertBoundAtReturn(stack!, pod);
      await assertKubeRecords(stack!, pod, eip);
      await endPod(stack!, pod, {
        label: TIMING_PODEIP_EIP,
        afterStop: () => assertNothingBoundTo(stack!, pod.ip, `after StopPodSandbox of ${pod.spec.name}`),
      });
      released.push(() => waitReleased(stack!, pod, eip.allocationId));
    }
    for (const wait of released) await wait();
  },
};
