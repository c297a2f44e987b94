/**
 * `kubectl delete podeip` finishes (docs/podeip-resource.md): it waits while the pod runs, then
 * releases an EIP podeip allocated for that pod, or only unbinds a static one, and the finalizer
 * goes, within one GC period of the pod being gone (or of the delete, if the pod was gone already).
 */
import test from 'ava';
import type { SimNode } from '../../sim/stack/cluster.js';
import { PodEips, until } from '../chaos/world.js';
import {
  addOk,
  createNamespace,
  del,
  eip,
  eventReasons,
  GC_PERIOD_MS,
  releaseCalls,
  sharedCluster,
  sleep,
  userEip,
} from './tenant.js';
import { accountCloud } from '../cluster/harness.js';

/** One GC period, plus a period's worth for the sweep in flight and the machine's load. */
const WITHIN_ONE_PERIOD_MS = 2 * GC_PERIOD_MS + 3_000;

test('deleting a PodEIP waits for its running pod, then releases its EIP (Auto) or unbinds it (Static), and finishes', async (t) => {
  t.timeout(240_000);
  const cluster = await sharedCluster(t, 'delete');
  const cloud = accountCloud(t, cluster);
  const node = cluster.nodes[0] as SimNode;
  const podEips = new PodEips(cluster.kube.kubeconfigPath);
  await createNamespace(cluster, 'apps', { 'podeip.io/allowed-eips': '*' });
  const podEipExists = async (name: string) => (await podEips.get('apps', name)) !== undefined;
  const deletePodEip = (name: string) => cluster.kubectl.run(['-n', 'apps', 'delete', 'podeip', name, '--wait=false']);

  await cluster.kubectl.run(['apply', '-f', '-'], {
    input: JSON.stringify({
      apiVersion: 'apps/v1',
      kind: 'StatefulSet',
      metadata: { name: 'keep', namespace: 'apps' },
      spec: {
        serviceName: 'keep',
        selector: { matchLabels: { app: 'keep' } },
        template: { metadata: { labels: { app: 'keep' } }, spec: { containers: [{ name: 'k', image: 'k' }] } },
      },
    }),
  });
  const owner = {
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    name: 'keep',
    uid: (
      await cluster.kubectl.run(['-n', 'apps', 'get', 'statefulset', 'keep', '-o', 'jsonpath={.metadata.uid}'])
    ).trim(),
  };
  const web = await cluster.createPod(node, {
    name: 'web',
    namespace: 'apps',
    annotations: { 'k8s.aliyun.com/pod-with-eip': 'true' },
  });
  const kept = await cluster.createPod(node, {
    name: 'keep-0',
    namespace: 'apps',
    owner,
    annotations: { 'k8s.aliyun.com/pod-with-eip': 'true', 'k8s.aliyun.com/pod-eip-release-strategy': 'Never' },
  });
  const userOwned = await userEip(cloud, 'static-user', { owner: 'media' });
  const gw = await cluster.createPod(node, {
    name: 'gw',
    namespace: 'apps',
    annotations: { 'k8s.aliyun.com/pod-eip-instanceid': userOwned },
  });
  for (const sandbox of [web, kept, gw]) await addOk(node, sandbox);
  const webEip = (await podEips.get('apps', 'web'))!.spec.allocationID;
  const keptEip = (await podEips.get('apps', 'keep-0'))!.spec.allocationID;

  // While the pods run, the deletions wait (an Event says so) and every EIP stays bound.
  for (const name of ['web', 'gw']) await deletePodEip(name);
  await until(
    'PodEipDeletionWaiting Events',
    async () => {
      const reasons = [...(await eventReasons(cluster, 'apps', 'web')), ...(await eventReasons(cluster, 'apps', 'gw'))];
      return reasons.filter((r) => r === 'PodEipDeletionWaiting').length >= 2 ? true : undefined;
    },
    WITHIN_ONE_PERIOD_MS,
  );
  await sleep(GC_PERIOD_MS);
  t.true((await podEipExists('web')) && (await podEipExists('gw')), 'the PodEIPs stay while their pods run');
  t.like(eip(cluster, webEip), { status: 'InUse', binding: { privateIpAddress: web.ipv4 } });
  t.like(eip(cluster, userOwned), { status: 'InUse', binding: { privateIpAddress: gw.ipv4 } });

  // The pods go: the Auto EIP is released, the static one only unbound; both PodEIPs go.
  for (const sandbox of [web, gw]) {
    await del(node, sandbox);
    await cluster.deletePod('apps', sandbox.name);
  }
  let gone = Date.now();
  await until(
    "web and gw PodEIPs gone, web's EIP released",
    async () =>
      !(await podEipExists('web')) && !(await podEipExists('gw')) && !eip(cluster, webEip) ? true : undefined,
    WITHIN_ONE_PERIOD_MS,
  );
  t.log(`running pods: finished ${Date.now() - gone} ms after the pods were gone`);
  t.like(eip(cluster, userOwned), { status: 'Available' }, 'a static EIP is never released');

  // A Never EIP whose pod is gone is kept by its PodEIP; deleting the PodEIP releases it.
  await del(node, kept);
  await cluster.deletePod('apps', 'keep-0');
  await sleep(GC_PERIOD_MS);
  t.true(await podEipExists('keep-0'), 'Never keeps the PodEIP');
  t.like(eip(cluster, keptEip), { status: 'Available' }, 'and its EIP');
  await deletePodEip('keep-0');
  gone = Date.now();
  await until(
    "keep-0's PodEIP gone and its EIP released",
    async () => (!(await podEipExists('keep-0')) && !eip(cluster, keptEip) ? true : undefined),
    WITHIN_ONE_PERIOD_MS,
  );
  t.log(`pod already gone: finished ${Date.now() - gone} ms after the delete`);
  t.is(releaseCalls(cluster) >= 2, true);
  t.truthy(eip(cluster, userOwned), "the user's EIP is still there");
});
