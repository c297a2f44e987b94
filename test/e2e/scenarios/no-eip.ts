/**
 * Most pods ask for no EIP: with podeip in the chain they must cost no agent call at all (the
 * runtime passes the annotations, the plugin answers alone) and touch nothing in the cloud.
 */
import assert from 'node:assert/strict';
import { countOf } from '../agent-process.js';
import { CloudSimProcess } from '../sims.js';
import { TIMED_PODS } from './constants.js';
import { WITH_EIP, endPod, eipsOn, startPod, waitReleased } from './pod-lifecycle.js';
import { type Scenario, TIMING_PODEIP_NO_EIP } from './scenario.js';

const EIP_WRITES = ['AllocateEipAddress', 'AssociateEipAddress', 'UnassociateEipAddress', 'ReleaseEipAddress'];

export const noEip: Scenario = {
  name: 'pod without an EIP: the agent is never asked',
  needsPodeip: true,
  async run({ stack }) {
    const requestsBefore = await stack!.agent.cniRequests();
    const cloudBefore = await stack!.cloud.state();
    for (let i = 0; i < TIMED_PODS; i++) {
      const pod = await startPod(stack!, `no-eip-${i}`, { 'example.com/team': 'web' }, { label: TIMING_PODEIP_NO_EIP });
      assert.equal(eipsOn(await stack!.cloud.state(), pod.ip).length, 0, `an EIP forwards to ${pod.ip}`);
      const obj = await stack!.kube.getPod('default', pod.spec.name);
      const annotations = Object.keys(obj?.metadata?.annotations ?? {});
      assert.ok(
        !annotations.some((k) => k.endsWith('allocated-eipAddress')),
        `pod ${pod.spec.name} got ${annotations.join(', ')}`,
      );
      await endPod(stack!, pod, { label: TIMING_PODEIP_NO_EIP });
    }
    const requestsAfter = await stack!.agent.cniRequests();
    assert.deepEqual(requestsAfter, requestsBefore, 'podeip_cni_requests_total moved: the agent was asked');
    const cloudAfter = await stack!.cloud.state();
    for (const action of EIP_WRITES) {
      assert.equal(
        CloudSimProcess.callCount(cloudAfter, action),
        CloudSimProcess.callCount(cloudBefore, action),
        `${action} was called`,
      );
    }

    // Control: the same counter does move for a pod that asks, so "unchanged" above means something.
    const control = await startPod(stack!, 'no-eip-control', WITH_EIP);
    assert.equal(
      countOf(await stack!.agent.cniRequests(), 'add'),
      countOf(requestsAfter, 'add') + 1,
      "the control pod's ADD was not counted",
    );
    const [controlEip] = eipsOn(await stack!.cloud.state(), control.ip);
    assert.ok(controlEip, 'the control pod got no EIP');
    await endPod(stack!, control);
    await waitReleased(stack!, control, controlEip.allocationId);
  },
};
