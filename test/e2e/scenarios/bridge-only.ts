/**
 * The runtime alone: pods through the bridge chain without podeip. Proves the harness and is the
 * timing baseline the podeip figures are compared with.
 */
import assert from 'node:assert/strict';
import { newPodSpec } from '../pods.js';
import { isPodIp } from '../e2e-node.js';
import { TIMED_PODS } from './constants.js';
import { type Scenario, TIMING_BRIDGE_ONLY } from './scenario.js';

export const bridgeOnly: Scenario = {
  name: 'pods without podeip (bridge only baseline)',
  needsPodeip: false,
  async run({ node }) {
    assert.deepEqual(await node.loadedChain(), ['bridge'], 'the baseline chain must not contain podeip yet');
    for (let i = 0; i < TIMED_PODS; i++) {
      const pod = await node.pods.run(newPodSpec('default', `baseline-${i}`), TIMING_BRIDGE_ONLY);
      const status = await node.cri.podSandboxStatus(pod.sandboxId);
      assert.equal(status.state, 'SANDBOX_READY');
      assert.ok(isPodIp(pod.ip), `pod IP "${pod.ip}" is not from host-local's range`);
      await node.pods.teardown(pod.sandboxId, TIMING_BRIDGE_ONLY);
    }
  },
};
