/**
 * The agent restarts (upgrade, crash) while pods come and go. ADD must fail with "try again
 * later" and leave nothing behind, and kubelet's retry succeeds once the agent is back. DEL must
 * fail too, keeping the pod IP reserved while the EIP may still point at it, and succeed on the
 * retry once the agent is back.
 */
import assert from 'node:assert/strict';
import { CriCallError } from '../cri-client.js';
import {
  WITH_EIP,
  assertBoundAtReturn,
  assertKubeRecords,
  assertNothingBoundTo,
  eipsOn,
  endPod,
  runSandbox,
  startPod,
  waitReleased,
} from './pod-lifecycle.js';
import { failedSandboxId } from './quota.js';
import type { Scenario } from './scenario.js';

const UNREACHABLE = /podeip-agent is not reachable at .*agent\.sock/;

export const agentDownDuringAdd: Scenario = {
  name: 'agent down during ADD: try again later, then success once it is back',
  needsPodeip: true,
  async run({ node, stack }) {
    const s = stack!;
    const spec = await s.createPod('default', 'agent-down-add', WITH_EIP);
    const eipsBefore = (await s.cloud.state()).eips.length;
    await s.agent.stop();
    let err: unknown;
    try {
      err = await node.pods.run(spec).then(
        () => undefined,
        (e: unknown) => e,
      );
    } finally {
      await s.agent.start();
    }
    assert.ok(err instanceof CriCallError, `RunPodSandbox should have failed with the agent down, got ${String(err)}`);
    assert.match(err.details, /plugin type="podeip" failed \(add\)/);
    assert.match(err.details, UNREACHABLE);
    assert.match(err.details, /UNAVAILABLE/);
    assert.equal((await s.cloud.state()).eips.length, eipsBefore, 'an EIP was allocated for a failed ADD');

    // containerd could not DEL the failed sandbox either (agent down); kubelet stops and removes
    // what the runtime still lists, and that DEL now succeeds and frees the pod IP.
    const failedId = failedSandboxId(err);
    const leftover = await node.cri.podSandboxStatus(failedId).catch(() => undefined);
    if (leftover) {
      assert.equal(leftover.state, 'SANDBOX_NOTREADY');
      await node.pods.teardown(failedId);
    }
    assert.deepEqual(node.networkTracesOf(failedId), [], 'the failed sandbox left network state behind');

    const pod = await runSandbox(s, spec);
    const eip = await assertBoundAtReturn(s, pod);
    await assertKubeRecords(s, pod, eip);
    await endPod(s, pod, { afterStop: () => assertNothingBoundTo(s, pod.ip, 'after StopPodSandbox') });
    await waitReleased(s, pod, eip.allocationId);
  },
};

export const agentDownDuringDel: Scenario = {
  name: 'agent down during DEL: try again later with the EIP and IP kept, then success once it is back',
  needsPodeip: true,
  async run({ node, stack }) {
    const s = stack!;
    const pod = await startPod(s, 'agent-down-del', WITH_EIP);
    const eip = await assertBoundAtReturn(s, pod);
    await s.kube.deletePodGracefully('default', pod.spec.name);
    await s.agent.stop();
    let err: unknown;
    try {
      err = await node.cri.stopPodSandbox(pod.sandboxId).then(
        () => undefined,
        (e: unknown) => e,
      );
      assert.ok(
        err instanceof CriCallError,
        `StopPodSandbox should have failed with the agent down, got ${String(err)}`,
      );
      assert.match(err.details, /plugin type="podeip" failed \(delete\)/);
      assert.match(err.details, UNREACHABLE);
      assert.deepEqual(
        eipsOn(await s.cloud.state(), pod.ip).map((e) => e.allocationId),
        [eip.allocationId],
        'the EIP must stay until DEL succeeds',
      );
      assert.ok(
        node.networkTracesOf(pod.sandboxId).some((t) => t.includes('host-local')),
        'the pod IP was freed while the EIP still forwards to it',
      );
    } finally {
      await s.agent.start();
    }
    await endPod(s, pod, { afterStop: () => assertNothingBoundTo(s, pod.ip, 'after the retried StopPodSandbox') });
    assert.deepEqual(node.networkTracesOf(pod.sandboxId), [], 'the sandbox left network state behind');
    await waitReleased(s, pod, eip.allocationId);
  },
};
