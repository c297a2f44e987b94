/**
 * Cluster duties with three agents for three simulated nodes against one cloud and one API
 * server: TTL expiry, Never kept, a Follow EIP whose pod vanished with its node, tagged
 * orphans swept, foreign EIPs untouched, and the leader killed in the middle of a sweep.
 */
import test from 'ava';
import { randomUUID } from 'node:crypto';
import { CLUSTER_ID, type SimNode } from '../../sim/stack/cluster.js';
import { accountCloud, clusterFor } from './harness.js';
import { sumMetric } from '../../sim/stack/agent-process.js';
import type { SandboxRef } from '../../sim/stack/cni-runtime.js';
import { cloudEips, PodEips, until } from '../chaos/world.js';

async function leaderOf(nodes: SimNode[]): Promise<SimNode> {
  return until(
    'a GC leader to be elected',
    async () => {
      for (const node of nodes) {
        if (!node.agent.running) continue;
        if (sumMetric(await node.agent.metrics().catch(() => ''), 'podeip_leader') === 1) return node;
      }
      return undefined;
    },
    30_000,
  );
}

async function attach(node: SimNode, sandbox: SandboxRef): Promise<void> {
  const outcome = await node.runtime.add(sandbox);
  if (outcome.exitCode !== 0) throw new Error(`ADD ${sandbox.name} on ${node.name}: ${outcome.stdout}`);
}

async function detach(node: SimNode, sandbox: SandboxRef): Promise<void> {
  for (const outcome of [await node.runtime.delWithNetns(sandbox), await node.runtime.delWithoutNetns(sandbox)]) {
    if (outcome.exitCode !== 0) throw new Error(`DEL ${sandbox.name} on ${node.name}: ${outcome.stdout}`);
  }
}

test('three agents: one leader sweeps TTL, dead-node Follow and orphan EIPs; a leader killed mid-sweep is replaced', async (t) => {
  t.timeout(300_000);
  const cluster = await clusterFor(t, 'gc', {
    nodes: 3,
    cloud: { associationDelayMs: 100, rateLimits: 'off' },
    agentConfig: {
      networkController: { eipController: { garbageCollectionPeriodInMinutes: 0.05 } },
      agent: { orphanGracePeriodMinutes: 0.05, leaseDurationSeconds: 4 },
    },
  });
  const podEips = new PodEips(cluster.kube.kubeconfigPath);
  const cloud = accountCloud(t, cluster);
  await cluster.startAgents();
  const [nodeA, nodeB, nodeC] = cluster.nodes as [SimNode, SimNode, SimNode];

  await cluster.kubectl.run(['apply', '-f', '-'], {
    input: JSON.stringify({
      apiVersion: 'apps/v1',
      kind: 'StatefulSet',
      metadata: { name: 'game', namespace: 'default' },
      spec: {
        serviceName: 'game',
        selector: { matchLabels: { app: 'game' } },
        template: { metadata: { labels: { app: 'game' } }, spec: { containers: [{ name: 'g', image: 'g' }] } },
      },
    }),
  });
  const owner = {
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    name: 'game',
    uid: (await cluster.kubectl.run(['get', 'statefulset', 'game', '-o', 'jsonpath={.metadata.uid}'])).trim(),
  };

  // A fixed EIP with a short TTL, and one with Never, both left behind by deleted pods.
  const ttlPod = await cluster.createPod(nodeA, {
    name: 'game-ttl',
    owner,
    annotations: { 'k8s.aliyun.com/pod-with-eip': 'true', 'k8s.aliyun.com/pod-eip-release-strategy': '3s' },
  });
  const neverPod = await cluster.createPod(nodeB, {
    name: 'game-never',
    owner,
    annotations: { 'k8s.aliyun.com/pod-with-eip': 'true', 'k8s.aliyun.com/pod-eip-release-strategy': 'Never' },
  });
  // A Follow EIP whose node dies with the pod on it.
  const followPod = await cluster.createPod(nodeC, {
    name: 'web-lost',
    annotations: { 'k8s.aliyun.com/pod-with-eip': 'true' },
  });
  await Promise.all([attach(nodeA, ttlPod), attach(nodeB, neverPod), attach(nodeC, followPod)]);
  const ttlEip = (await podEips.get('default', 'game-ttl'))!.spec.allocationID;
  const neverEip = (await podEips.get('default', 'game-never'))!.spec.allocationID;
  const followEip = (await podEips.get('default', 'web-lost'))!.spec.allocationID;
  await detach(nodeA, ttlPod);
  await detach(nodeB, neverPod);
  await cluster.deletePod('default', 'game-ttl');
  await cluster.deletePod('default', 'game-never');

  // Orphans: ours (tagged for a pod that never existed), a user's, another cluster's.
  const ours = await cloud.allocateEip({
    clientToken: 'orphan-ours',
    tags: {
      'podeip.io/cluster-id': CLUSTER_ID,
      'podeip.io/managed-by': 'podeip',
      'podeip.io/pod-uid': randomUUID(),
      'podeip.io/namespace': 'default',
      'podeip.io/pod-name': 'ghost',
    },
  });
  const users = await cloud.allocateEip({ clientToken: 'orphan-user', tags: { team: 'media' } });
  const foreign = await cloud.allocateEip({
    clientToken: 'orphan-foreign',
    tags: { 'podeip.io/cluster-id': 'c-other', 'podeip.io/managed-by': 'podeip', 'podeip.io/pod-uid': randomUUID() },
  });

  // Node C dies (agent killed, node object gone) with its pod; nothing on it will ever DEL.
  await nodeC.agent.kill9();
  await cluster.deletePod('default', 'web-lost');
  await cluster.core.deleteNode({ name: nodeC.name });

  // Kill whichever agent leads the moment it sends its first Release: the sweep dies mid-flight.
  const living = [nodeA, nodeB];
  cluster.cloud.setFaults({ ReleaseEipAddress: { latencyMs: 1500 } });
  const firstRelease = new Promise<void>((resolve) => {
    const stop = cluster.cloud.observeRequests((action) => {
      if (action !== 'ReleaseEipAddress') return;
      stop();
      resolve();
    });
  });
  const leaderBefore = await leaderOf(living);
  await firstRelease;
  await leaderBefore.agent.kill9();
  const killedLeader: SimNode = leaderBefore;
  cluster.cloud.setFaults({});
  const survivor = living.find((n) => n !== killedLeader)!;
  const leaderAfter = await leaderOf([survivor]);
  t.is(leaderAfter, survivor, 'the surviving agent takes the Lease over');

  const exists = (id: string): boolean => cloudEips(cluster).some((e) => e.allocationId === id);
  await until(
    'TTL, dead-node Follow and orphan EIPs to be released',
    () => (!exists(ttlEip) && !exists(followEip) && !exists(ours.allocationId) ? true : undefined),
    60_000,
  );
  t.false(exists(ttlEip), 'TTL-expired fixed EIP released');
  t.false(exists(followEip), 'Follow EIP of a pod lost with its node released');
  t.false(exists(ours.allocationId), 'tagged orphan released after the grace period');
  t.is(await podEips.get('default', 'game-ttl'), undefined);
  t.is(await podEips.get('default', 'web-lost'), undefined);

  // Give the sweep a few more rounds: nothing else may go.
  await new Promise((resolve) => setTimeout(resolve, 8000));
  t.true(exists(neverEip), 'Never is kept');
  t.truthy(await podEips.get('default', 'game-never'));
  t.true(exists(users.allocationId), 'an untagged EIP is never touched');
  t.true(exists(foreign.allocationId), "another cluster's EIP is never touched");
  const metrics = await survivor.agent.metrics();
  t.true(sumMetric(metrics, 'podeip_gc_runs_total') >= 1);
  t.true(
    sumMetric(metrics, 'podeip_gc_released_total') +
      sumMetric(await nodeA.agent.metrics().catch(() => ''), 'podeip_gc_released_total') >=
      1,
  );
  t.log(`leader before: ${leaderBefore.name} (killed mid-sweep), after: ${leaderAfter.name}`);
});
