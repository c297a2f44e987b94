/**
 * Migration from ack-extend-network-controller: its PodEIPs name EIPs with no podeip tags. A
 * node agent adopts such a binding only when the cloud confirms it (InUse on that pod's IP, on
 * this node's ENI) and then tags the EIP as podeip's own, so the release rule covers it; a
 * PodEIP naming an EIP tagged for another pod is not adopted, and its EIP is never released.
 */
import test from 'ava';
import { isOwnedFor, ownershipTags } from '../../agent/src/domain/ownership.js';
import { CLUSTER_ID, type SimNode, type SimulatedCluster } from '../../sim/stack/cluster.js';
import type { SandboxRef } from '../../sim/stack/cni-runtime.js';
import type { ClosableCloudClient } from '../../agent/src/cloud/index.js';
import { accountCloud } from '../cluster/harness.js';
import { until } from '../chaos/world.js';
import {
  del,
  eip,
  eventReasons,
  forgePodEip,
  releaseCalls,
  sharedCluster,
  sleep,
  userEip,
  GC_PERIOD_MS,
} from './tenant.js';

/** What the earlier controller left: an EIP bound to the pod's IP on this node's ENI, and a PodEIP. */
async function boundByEarlierController(
  cluster: SimulatedCluster,
  cloud: ClosableCloudClient,
  node: SimNode,
  sandbox: SandboxRef,
  tags: Record<string, string>,
  token: string,
): Promise<string> {
  const eni = cluster.cloud.topology.instances
    .find((i) => i.instanceId === node.instanceId)!
    .networkInterfaces.find((e) => e.privateIpAddresses.includes(sandbox.ipv4))!;
  const id = await userEip(cloud, token, tags, {
    networkInterfaceId: eni.networkInterfaceId,
    privateIpAddress: sandbox.ipv4,
  });
  await forgePodEip(cluster, {
    namespace: sandbox.namespace,
    name: sandbox.name,
    type: 'Auto',
    allocationId: id,
    status: { networkInterfaceID: eni.networkInterfaceId, privateIPAddress: sandbox.ipv4 },
  });
  await cluster.reportRunning(sandbox);
  return id;
}

test('an untagged EIP of a verified binding is adopted and tagged, then released with its pod; one tagged for another pod is left alone', async (t) => {
  t.timeout(240_000);
  const cluster = await sharedCluster(t, 'adopt');
  const cloud = accountCloud(t, cluster);
  const node = cluster.nodes[0] as SimNode;
  await node.agent.stop();

  const legacy = await cluster.createPod(node, {
    name: 'legacy',
    annotations: { 'k8s.aliyun.com/pod-with-eip': 'true' },
  });
  const legacyEip = await boundByEarlierController(cluster, cloud, node, legacy, { owner: 'ack-extend' }, 'legacy');
  const claimed = await cluster.createPod(node, {
    name: 'claimed',
    annotations: { 'k8s.aliyun.com/pod-with-eip': 'true' },
  });
  const othersEip = await boundByEarlierController(
    cluster,
    cloud,
    node,
    claimed,
    ownershipTags({ clusterId: CLUSTER_ID, namespace: 'other', podName: 'db-0', podUid: 'u-other', node: node.name }),
    'others',
  );

  await node.agent.start();
  await until(
    "the legacy EIP to carry podeip's tags",
    () => (isOwnedFor(eip(cluster, legacyEip)!.tags, CLUSTER_ID, 'default', 'legacy') ? true : undefined),
    30_000,
  );
  t.like(eip(cluster, legacyEip)!.tags, {
    owner: 'ack-extend',
    'podeip.io/pod-uid': legacy.uid,
    'podeip.io/node': node.name,
  });
  t.truthy(eip(cluster, legacyEip)!.tags['podeip.io/binding'], 'and the binding mark');
  await until(
    "an UntrustedPodEip Event for the PodEIP naming another pod's EIP",
    async () => ((await eventReasons(cluster, 'default', 'claimed')).includes('UntrustedPodEip') ? true : undefined),
    30_000,
  );
  t.false(isOwnedFor(eip(cluster, othersEip)!.tags, CLUSTER_ID, 'default', 'claimed'), 'not retagged');

  // Both pods end: the adopted EIP goes with its pod; the other pod's EIP stays, bound where it was.
  for (const sandbox of [legacy, claimed]) {
    await del(node, sandbox);
    await cluster.deletePod('default', sandbox.name);
  }
  await until(
    'the adopted EIP to be released',
    () => (eip(cluster, legacyEip) ? undefined : true),
    2 * GC_PERIOD_MS + 10_000,
  );
  await sleep(3 * GC_PERIOD_MS);
  t.like(
    eip(cluster, othersEip),
    { status: 'InUse', binding: { privateIpAddress: claimed.ipv4 } },
    'never unbound: podeip did not bind it',
  );
  t.is(releaseCalls(cluster), 1, 'only the adopted EIP was released');
});
