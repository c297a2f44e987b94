/**
 * Ready means able: without the PodEIP CRD the agent serves its socket and /readyz but is not
 * ready, says why (naming podeips.alibabacloud.com and the kubectl apply command), answers an ADD
 * with "try again later" (11) and allocates nothing; once the CRD is applied it becomes ready
 * by itself and the same ADD binds.
 */
import test from 'ava';
import { readFile } from 'node:fs/promises';
import { clusterFor } from './harness.js';

test('without the CRD the agent is not ready, says why, and an ADD gets 11 and allocates nothing', async (t) => {
  const cluster = await clusterFor(t, 'crd-readiness', { applyCrd: false });
  const node = cluster.nodes[0]!;
  await node.agent.launch();

  let probe: { status: number; body: string } | undefined;
  for (const deadline = Date.now() + 60_000; Date.now() < deadline;) {
    probe = await node.agent.readyz();
    if (probe?.body.includes('podeips.alibabacloud.com')) break;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  t.is(probe?.status, 503);
  t.regex(
    probe?.body ?? '',
    /^not ready: the PodEIP CRD podeips\.alibabacloud\.com is not served .*kubectl apply -f manifests\/crd\/podeips\.alibabacloud\.com\.yaml/,
  );

  const sandbox = await cluster.createPod(node, {
    name: 'early',
    annotations: { 'k8s.aliyun.com/pod-with-eip': 'true' },
  });
  const refused = await node.runtime.add(sandbox);
  t.not(refused.exitCode, 0);
  t.is(refused.result?.code, 11, refused.stdout);
  t.regex(String(refused.result?.msg), /podeips\.alibabacloud\.com/);
  t.deepEqual(cluster.cloud.state.eips.list(), [], 'nothing allocated while not ready');

  const log = await readFile(node.agent.options.logFile, 'utf8');
  t.regex(
    log,
    /"not ready: the PodEIP CRD podeips\.alibabacloud\.com is not served.*kubectl apply -f manifests\/crd\/podeips\.alibabacloud\.com\.yaml/,
  );

  await cluster.applyCrd();
  await node.agent.ready(30_000);
  const bound = await node.runtime.add(sandbox);
  t.is(bound.exitCode, 0, bound.stdout);
  t.is(cluster.cloud.state.eips.list().length, 1);
});
