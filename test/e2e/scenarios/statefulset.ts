/**
 * Fixed EIPs: a StatefulSet pod deleted and recreated with the same name (new uid, new sandbox,
 * possibly a new pod IP) gets the same EIP back from its PodEIP, which outlives the pod under a
 * TTL release strategy.
 */
import assert from 'node:assert/strict';
import type { OwnerReference } from '../stack.js';
import {
  WITH_EIP,
  assertBoundAtReturn,
  assertKubeRecords,
  assertNothingBoundTo,
  endPod,
  startPod,
} from './pod-lifecycle.js';
import type { Scenario } from './scenario.js';

const ANNOTATIONS = { ...WITH_EIP, 'network.alibabacloud.com/pod-eip-release-strategy': '10m' };

export const statefulSetKeepsEip: Scenario = {
  name: 'StatefulSet pod recreated with the same name keeps its EIP',
  needsPodeip: true,
  async run({ stack }) {
    const s = stack!;
    const sts = await s.kube.createStatefulSet({
      apiVersion: 'apps/v1',
      kind: 'StatefulSet',
      metadata: { name: 'web', namespace: 'default' },
      spec: {
        serviceName: 'web',
        replicas: 1,
        selector: { matchLabels: { app: 'web' } },
        template: {
          metadata: { labels: { app: 'web' }, annotations: ANNOTATIONS },
          spec: { containers: [{ name: 'app', image: 'podeip.local/e2e/app:1' }] },
        },
      },
    });
    const owner: OwnerReference = {
      apiVersion: 'apps/v1',
      kind: 'StatefulSet',
      name: 'web',
      uid: sts.metadata!.uid!,
      controller: true,
    };

    const first = await startPod(s, 'web-0', ANNOTATIONS, { owner });
    const eip = await assertBoundAtReturn(s, first);
    await assertKubeRecords(s, first, eip);
    await endPod(s, first, { afterStop: () => assertNothingBoundTo(s, first.ip, 'after StopPodSandbox of web-0') });

    const kept = (await s.cloud.state()).eips.find((e) => e.allocationId === eip.allocationId);
    assert.ok(kept, `EIP ${eip.allocationId} was released although its PodEIP keeps it for 10m`);
    const podEip = await s.kube.getPodEip('default', 'web-0');
    assert.equal(podEip?.spec?.allocationID, eip.allocationId, 'the PodEIP of web-0 should outlive the pod');

    const second = await startPod(s, 'web-0', ANNOTATIONS, { owner });
    assert.notEqual(second.spec.uid, first.spec.uid);
    const again = await assertBoundAtReturn(s, second, { allocatedForThisUid: false });
    assert.equal(again.allocationId, eip.allocationId, 'the recreated web-0 got a different EIP');
    assert.equal(again.ipAddress, eip.ipAddress);
    await assertKubeRecords(s, second, again);
    await endPod(s, second, {
      afterStop: () => assertNothingBoundTo(s, second.ip, 'after StopPodSandbox of the recreated web-0'),
    });
  },
};
