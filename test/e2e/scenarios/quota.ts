/**
 * The account's EIP quota is used up: RunPodSandbox fails with our message (the pod's containers
 * never start without their EIP), nothing is left behind in the cloud, in Kubernetes or on the
 * node, and the DEL containerd sends for the failed ADD succeeds. kubelet's retry after the
 * quota is raised gets the pod its EIP.
 */
import assert from 'node:assert/strict';
import { countOf } from '../agent-process.js';
import { CriCallError } from '../cri-client.js';
import { EIP_QUOTA } from '../stack.js';
import {
  WITH_EIP,
  assertBoundAtReturn,
  assertKubeRecords,
  assertNothingBoundTo,
  endPod,
  runSandbox,
  waitReleased,
} from './pod-lifecycle.js';
import type { Scenario } from './scenario.js';

export const failedSandboxId = (err: CriCallError): string => {
  const id = /sandbox "([0-9a-f]{64})"/.exec(err.details)?.[1];
  assert.ok(id, `no sandbox id in: ${err.details}`);
  return id;
};

export const quotaExhausted: Scenario = {
  name: 'EIP quota exhausted: RunPodSandbox fails with our message, nothing leaks, DELs succeed',
  needsPodeip: true,
  async run({ node, stack }) {
    const s = stack!;
    const before = await s.cloud.state();
    await s.cloud.setEipQuota(before.eips.length);
    try {
      const spec = await s.createPod('default', 'quota-0', WITH_EIP);
      const requestsBefore = await s.agent.cniRequests();
      const err = await node.pods.run(spec).then(
        () => undefined,
        (e: unknown) => e,
      );
      assert.ok(err instanceof CriCallError, `RunPodSandbox should have failed, got ${String(err)}`);
      assert.match(err.details, /plugin type="podeip" failed \(add\)/);
      assert.match(err.details, /EipQuotaExceeded/, 'the message should name the quota error code');
      assert.match(err.details, /quota/i);

      const after = await s.cloud.state();
      assert.deepEqual(
        after.eips.map((e) => e.allocationId).sort(),
        before.eips.map((e) => e.allocationId).sort(),
        'EIPs changed',
      );
      const podEip = await s.kube.getPodEip('default', 'quota-0');
      assert.ok(!podEip?.spec?.allocationID, `PodEIP quota-0 names an EIP: ${JSON.stringify(podEip?.spec)}`);
      assert.deepEqual(node.networkTracesOf(failedSandboxId(err)), [], 'the failed sandbox left network state behind');
      const requestsAfter = await s.agent.cniRequests();
      assert.equal(
        countOf(requestsAfter, 'del'),
        countOf(requestsBefore, 'del') + 1,
        "containerd's DEL for the failed ADD did not reach the agent",
      );
      assert.equal(
        countOf(requestsAfter, 'del success'),
        countOf(requestsBefore, 'del success') + 1,
        `the DEL did not succeed: ${JSON.stringify(requestsAfter)}`,
      );

      await s.cloud.setEipQuota(EIP_QUOTA);
      const pod = await runSandbox(s, spec);
      const eip = await assertBoundAtReturn(s, pod);
      await assertKubeRecords(s, pod, eip);
      await endPod(s, pod, { afterStop: () => assertNothingBoundTo(s, pod.ip, 'after StopPodSandbox') });
      await waitReleased(s, pod, eip.allocationId);
    } finally {
      await s.cloud.setEipQuota(EIP_QUOTA);
    }
  },
};
