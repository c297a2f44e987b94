/**
 * The warm pool and the quota view across agent processes: each node fills its own pool, the GC
 * leader's listing (published on its Lease) brings every node's EIP count up to date, a live
 * node's pool is left alone by the sweep, and a dead node's pool goes to the sweep.
 */
import test from 'ava';
import type { SimNode } from '../../sim/stack/cluster.js';
import { accountCloud, clusterFor } from './harness.js';
import { sumMetric } from '../../sim/stack/agent-process.js';
import { TAG_POOL } from '../../agent/src/domain/pool-tags.js';
import { cloudEips, until } from '../chaos/world.js';

test("two agents with pools: the leader's listing updates every node's count; a dead node's pool is swept, a live one's kept", async (t) => {
  t.timeout(180_000);
  const cluster = await clusterFor(t, 'pool', {
    nodes: 2,
    cloud: { associationDelayMs: 50, rateLimits: 'off' },
    agentConfig: {
      networkController: { eipController: { garbageCollectionPeriodInMinutes: 0.05 } },
      agent: { orphanGracePeriodMinutes: 0.05, leaseDurationSeconds: 4 },
      cloud: { eipQuota: 30 },
      warmPool: { enabled: true, minIdle: 2, maxIdle: 2, quotaReserve: 0 },
    },
  });
  await cluster.startAgents();
  const [nodeA, nodeB] = cluster.nodes as [SimNode, SimNode];
  const poolOf = (node: SimNode) =>
    cloudEips(cluster).filter((e) => e.tags[TAG_POOL] === node.name && !('podeip.io/pod-uid' in e.tags));
  await until(
    'both pools filled',
    () => (poolOf(nodeA).length === 2 && poolOf(nodeB).length === 2 ? true : undefined),
    60_000,
  );

  // EIPs the agents did not allocate: only a listing can tell them.
  const cloud = accountCloud(t, cluster);
  for (const n of [1, 2, 3]) await cloud.allocateEip({ clientToken: `another-team-${n}`, tags: { team: 'media' } });
  const total = cloudEips(cluster).length;
  t.is(total, 7);
  for (const node of [nodeA, nodeB]) {
    await until(
      `${node.name} counts ${total} EIPs`,
      async () => (sumMetric(await node.agent.metrics(), 'podeip_eip_quota_used') === total ? true : undefined),
      30_000,
    );
    t.is(sumMetric(await node.agent.metrics(), 'podeip_eip_quota'), 30);
    t.is(sumMetric(await node.agent.metrics(), 'podeip_pool_eips', { state: 'idle' }), 2);
  }

  const deadPool = poolOf(nodeB).map((e) => e.allocationId);
  const livePool = poolOf(nodeA).map((e) => e.allocationId);
  await nodeB.agent.kill9();
  await cluster.core.deleteNode({ name: nodeB.name });
  const exists = (id: string) => cloudEips(cluster).some((e) => e.allocationId === id);
  await until(
    "the dead node's pool EIPs released by the sweep",
    () => (deadPool.every((id) => !exists(id)) ? true : undefined),
    60_000,
  );
  await new Promise((resolve) => setTimeout(resolve, 8000));
  t.true(livePool.every(exists), "a live node's pool is never swept");
  t.is(cloudEips(cluster).filter((e) => e.tags['team'] === 'media').length, 3, "and nobody else's EIPs are touched");
});
