/**
 * A journal damaged while the agent was down: the agent moves it aside instead of crash-looping,
 * rebuilds the node's bindings from PodEIPs and the cloud, and the pod's DEL and deletion then
 * unbind and release its EIP as if nothing had happened.
 */
import test from 'ava';
import { readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { SimNode } from '../../sim/stack/cluster.js';
import { clusterFor } from './harness.js';
import { sumMetric } from '../../sim/stack/agent-process.js';
import { cloudEips, until } from '../chaos/world.js';

test('a corrupt journal is moved aside and the bindings are rebuilt from PodEIPs and the cloud', async (t) => {
  t.timeout(240_000);
  const cluster = await clusterFor(t, 'rebuild', { cloud: { associationDelayMs: 100, rateLimits: 'off' } });
  const node = cluster.nodes[0] as SimNode;
  await node.agent.start();
  const sandbox = await cluster.createPod(node, {
    name: 'web-1',
    annotations: { 'k8s.aliyun.com/pod-with-eip': 'true' },
  });
  const add = await node.runtime.add(sandbox);
  t.is(add.exitCode, 0, add.stdout);
  await cluster.reportRunning(sandbox);
  const [eip] = cloudEips(cluster);
  t.is(eip?.binding?.privateIpAddress, sandbox.ipv4);

  await node.agent.stop();
  const stateDir = join(cluster.dir, node.name, 'state');
  for (const suffix of ['-wal', '-shm']) await rm(join(stateDir, `journal.db${suffix}`), { force: true });
  await writeFile(
    join(stateDir, 'journal.db'),
    'this is not a SQLite database, it was damaged by a bad disk\n'.repeat(100),
  );
  await node.agent.start();

  t.true(
    (await readdir(stateDir)).some((f) => f.startsWith('journal.db.corrupt-')),
    'the damaged file is kept aside for a post-mortem',
  );
  t.is(
    sumMetric(await node.agent.metrics(), 'podeip_bindings', { state: 'bound' }),
    1,
    'the binding was rebuilt as bound',
  );

  const del = await node.runtime.delWithNetns(sandbox);
  t.is(del.exitCode, 0, del.stdout);
  t.not(
    cloudEips(cluster).find((e) => e.allocationId === eip!.allocationId)?.binding?.privateIpAddress,
    sandbox.ipv4,
    'DEL unbound it',
  );
  t.is((await node.runtime.delWithoutNetns(sandbox)).exitCode, 0);
  await cluster.deletePod('default', 'web-1');
  await until('the Follow EIP to be released', () => (cloudEips(cluster).length === 0 ? true : undefined), 30_000);
  t.deepEqual(cloudEips(cluster), [], 'released after the pod is gone');
});
