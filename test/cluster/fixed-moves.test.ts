/**
 * A fixed EIP follows its StatefulSet pod to another node when the old node died with the EIP
 * still bound there: the new node's agent takes it from the stale binding, safely and promptly.
 */
import test from 'ava';
import type { SimNode } from '../../sim/stack/cluster.js';
import { clusterFor } from './harness.js';
import { cloudEips, PodEips } from '../chaos/world.js';

test('a StatefulSet pod rescheduled from a dead node gets its fixed EIP on the new node', async (t) => {
  t.timeout(240_000);
  const cluster = await clusterFor(t, 'fixed-moves', {
    nodes: 2,
    cloud: { associationDelayMs: 100, rateLimits: 'off' },
  });
  await cluster.startAgents();
  const [oldNode, newNode] = cluster.nodes as [SimNode, SimNode];
  await cluster.kubectl.run(['apply', '-f', '-'], {
    input: JSON.stringify({
      apiVersion: 'apps/v1',
      kind: 'StatefulSet',
      metadata: { name: 'db', namespace: 'default' },
      spec: {
        serviceName: 'db',
        selector: { matchLabels: { app: 'db' } },
        template: { metadata: { labels: { app: 'db' } }, spec: { containers: [{ name: 'db', image: 'db' }] } },
      },
    }),
  });
  const owner = {
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    name: 'db',
    uid: (await cluster.kubectl.run(['get', 'statefulset', 'db', '-o', 'jsonpath={.metadata.uid}'])).trim(),
  };
  const annotations = { 'k8s.aliyun.com/pod-with-eip': 'true', 'k8s.aliyun.com/pod-eip-release-strategy': '10m' };

  const first = await cluster.createPod(oldNode, { name: 'db-0', owner, annotations });
  t.is((await oldNode.runtime.add(first)).exitCode, 0);
  const podEips = new PodEips(cluster.kube.kubeconfigPath);
  const allocationId = (await podEips.get('default', 'db-0'))!.spec.allocationID;

  // The old node dies with the EIP bound there; the pod is force-deleted and rescheduled.
  await oldNode.agent.kill9();
  await cluster.deletePod('default', 'db-0');
  await cluster.core.deleteNode({ name: oldNode.name });
  const second = await cluster.createPod(newNode, { name: 'db-0', owner, annotations });
  const outcome = await newNode.runtime.add(second);
  t.is(outcome.exitCode, 0, outcome.stdout);

  const eip = cloudEips(cluster).find((e) => e.allocationId === allocationId);
  t.is(eip?.status, 'InUse');
  t.is(eip?.binding?.privateIpAddress, second.ipv4, 'the same EIP now points at the new pod IP');
  t.is(cloudEips(cluster).length, 1, 'no second EIP was allocated');
  const events = await cluster.kubectl.run([
    'get',
    'events',
    '--field-selector',
    'involvedObject.name=db-0',
    '-o',
    'jsonpath={range .items[*]}{.reason}: {.message}{"\\n"}{end}',
  ]);
  t.regex(
    events,
    /EipTakenOver: .*node sim-node-1, where it was last bound, no longer exists/,
    'taken over because the old node is gone, not after a grace period',
  );
  t.notRegex(events, /EipWaiting/);
  t.log(`ADD on the new node took ${Math.round(outcome.ms)} ms`);
});
