/**
 * Outages around a running agent: the cloud unreachable for a while (every call dropped), and
 * the API server restarting with its watch history gone. The runtime keeps retrying; the pod
 * ends up with exactly one EIP and nothing leaks.
 */
import test from 'ava';
import { join } from 'node:path';
import type { SimNode } from '../../sim/stack/cluster.js';
import { clusterFor } from './harness.js';
import { CniRuntime } from '../../sim/stack/cni-runtime.js';
import { cloudEips, until } from '../chaos/world.js';

const CNI_TRY_AGAIN = 11;

test('cloud unreachable, then the API server restarts: ADD says try again, then binds one EIP; nothing leaks', async (t) => {
  t.timeout(300_000);
  const cluster = await clusterFor(t, 'outages', { cloud: { associationDelayMs: 100, rateLimits: 'off' } });
  const node = cluster.nodes[0] as SimNode;
  await node.agent.start();
  // The runtime's CNI deadline, shortened so the outage outlasts several attempts.
  const runtime = new CniRuntime({ socketPath: join(cluster.dir, node.name, 'run', 'agent.sock'), timeoutSeconds: 3 });

  cluster.cloud.setFaults({ '*': { dropProbability: 1 } });
  const sandbox = await cluster.createPod(node, {
    name: 'udp-0',
    annotations: { 'k8s.aliyun.com/pod-with-eip': 'true' },
  });
  const attempts: number[] = [];
  for (let i = 0; i < 3; i++) {
    const outcome = await runtime.add(sandbox);
    attempts.push((outcome.result as { code?: number } | undefined)?.code ?? outcome.exitCode ?? -1);
  }
  t.deepEqual(
    attempts,
    [CNI_TRY_AGAIN, CNI_TRY_AGAIN, CNI_TRY_AGAIN],
    'while the cloud is unreachable the runtime is told to try again',
  );
  t.is(cloudEips(cluster).length, 0);

  cluster.cloud.setFaults({});
  const outcome = await until(
    'the ADD to succeed once the cloud is back',
    async () => {
      const next = await runtime.add(sandbox);
      return next.exitCode === 0 ? next : undefined;
    },
    60_000,
  );
  t.is(outcome.exitCode, 0);
  const bound = cloudEips(cluster);
  t.is(bound.length, 1, 'one EIP however many attempts the outage caused');
  t.is(bound[0]?.binding?.privateIpAddress, sandbox.ipv4);

  // The API server restarts and its watch history is gone (410 for the agent's resourceVersion).
  await cluster.kube.restart({ keepState: true, downMs: 2000 });
  cluster.kube.compact();
  const second = await cluster.createPod(node, {
    name: 'udp-1',
    annotations: { 'k8s.aliyun.com/pod-with-eip': 'true' },
  });
  const secondAdd = await until(
    'an ADD after the API server restart',
    async () => {
      const next = await node.runtime.add(second);
      return next.exitCode === 0 ? next : undefined;
    },
    60_000,
  );
  t.is(secondAdd.exitCode, 0);

  for (const [pod, rt] of [
    [sandbox, runtime],
    [second, node.runtime],
  ] as const) {
    t.is((await rt.delWithNetns(pod)).exitCode, 0);
    t.is((await rt.delWithoutNetns(pod)).exitCode, 0);
    await cluster.deletePod('default', pod.name);
  }
  await until('both Follow EIPs to be released', () => (cloudEips(cluster).length === 0 ? true : undefined), 60_000);
  t.deepEqual(cloudEips(cluster), []);
});
