/**
 * agent.attachTimeoutSeconds in the real agent process: an ADD that outlives it is answered
 * "try again later" (11) before the plugin's own deadline, the attach goes on, and the runtime's
 * retry gets the same EIP from one allocation.
 */
import test from 'ava';
import { join } from 'node:path';
import { CniRuntime } from '../../sim/stack/cni-runtime.js';
import { clusterFor } from '../cluster/harness.js';
import { cloudEips, until } from '../chaos/world.js';

test('an ADD that outlives agent.attachTimeoutSeconds gets 11 at that time; the retry gets the same EIP', async (t) => {
  t.timeout(120_000);
  // Association takes 9 s in this cloud; the agent answers after 5 s, the plugin would wait 60.
  const cluster = await clusterFor(t, 'attach-timeout', {
    cloud: { rateLimits: 'off', associationDelayMs: 9000 },
    agentConfig: { agent: { attachTimeoutSeconds: 5 } },
  });
  const node = cluster.nodes[0]!;
  await node.agent.start();
  const runtime = new CniRuntime({ socketPath: join(cluster.dir, node.name, 'run', 'agent.sock'), timeoutSeconds: 60 });
  const sandbox = await cluster.createPod(node, {
    name: 'slow',
    annotations: { 'k8s.aliyun.com/pod-with-eip': 'true' },
  });

  const first = await runtime.add(sandbox);
  const error = first.result as { code: number; msg: string; details: string };
  t.is(error.code, 11, first.stdout);
  t.regex(error.msg, /not attached within 5 s \(agent\.attachTimeoutSeconds\); the work goes on/);
  t.regex(error.details, /podeip-error-code DeadlineExceeded/);
  t.true(
    first.ms >= 5000 && first.ms < 9000,
    `answered after ${Math.round(first.ms)} ms: at the attach timeout, before the association finished`,
  );

  const retry = await until(
    'the retried ADD to succeed',
    async () => {
      const next = await runtime.add(sandbox);
      return next.exitCode === 0 ? next : undefined;
    },
    60_000,
  );
  t.is(retry.exitCode, 0);
  const eips = cloudEips(cluster);
  t.is(eips.length, 1);
  t.is(cluster.cloud.state.snapshot().calls['AllocateEipAddress']?.['Success'], 1, 'one allocation for both attempts');
});
