/**
 * A tenant with PodEIP rights in their own namespace writes PodEIPs by hand, naming EIPs podeip
 * never allocated for them: untagged ones, other tenants', another cluster's, bound and unbound,
 * with and without a pod of that name. podeip must act on none of them, through several GC
 * periods: every EIP stays exactly as it was, each forged PodEIP is reported (Event and gauge),
 * a pod named like one is refused at once, and deleting one finishes without touching its EIP.
 */
import test from 'ava';
import { CLUSTER_ID, type SimNode } from '../../sim/stack/cluster.js';
import { sumMetric } from '../../sim/stack/agent-process.js';
import { PodEips, until } from '../chaos/world.js';
import {
  add,
  addOk,
  cniError,
  createNamespace,
  eip,
  elsewhere,
  eventReasons,
  fingerprint,
  forgePodEip,
  GC_PERIOD_MS,
  releaseCalls,
  sharedCluster,
  sleep,
  userEip,
  type ForgedPodEip,
} from './tenant.js';
import { accountCloud } from '../cluster/harness.js';

test('forged PodEIPs make podeip release, unbind or take over nothing', async (t) => {
  t.timeout(300_000);
  const cluster = await sharedCluster(t, 'forged');
  const cloud = accountCloud(t, cluster);
  const node = cluster.nodes[0] as SimNode;
  const podEips = new PodEips(cluster.kube.kubeconfigPath);
  await createNamespace(cluster, 'tenant');
  await createNamespace(cluster, 'victim');

  // The victim's pod has a real EIP from podeip.
  const web = await cluster.createPod(node, {
    name: 'web',
    namespace: 'victim',
    annotations: { 'k8s.aliyun.com/pod-with-eip': 'true' },
  });
  await addOk(node, web);
  const victims = (await podEips.get('victim', 'web'))!.spec.allocationID;
  const victimBinding = eip(cluster, victims)!.binding!;

  const unboundUntagged = await userEip(cloud, 'unbound-untagged', { owner: 'prod' });
  const boundUntagged = await userEip(cloud, 'bound-untagged', { owner: 'prod' }, elsewhere(cluster, 1));
  const otherCluster = await userEip(
    cloud,
    'other-cluster',
    {
      'podeip.io/cluster-id': 'c-other',
      'podeip.io/managed-by': 'podeip',
      'podeip.io/namespace': 'tenant',
      'podeip.io/pod-name': 'ghost-other',
    },
    elsewhere(cluster, 2),
  );
  const grantedBusy = await userEip(
    cloud,
    'granted-busy',
    { owner: 'media', 'podeip.io/allowed-namespaces': 'tenant' },
    elsewhere(cluster, 3),
  );
  const all = [victims, unboundUntagged, boundUntagged, otherCluster, grantedBusy];
  const statusOf = (id: string) => {
    const binding = eip(cluster, id)!.binding;
    return binding
      ? {
          networkInterfaceID: binding.networkInterfaceId,
          privateIPAddress: binding.privateIpAddress,
          node: 'sim-node-gone',
        }
      : undefined;
  };

  const forged: ForgedPodEip[] = [
    {
      namespace: 'tenant',
      name: 'ghost-static-bound',
      type: 'Static',
      allocationId: boundUntagged,
      status: statusOf(boundUntagged),
    },
    {
      namespace: 'tenant',
      name: 'ghost-static-granted',
      type: 'Static',
      allocationId: grantedBusy,
      status: statusOf(grantedBusy),
    },
    { namespace: 'tenant', name: 'ghost-auto-unbound', type: 'Auto', allocationId: unboundUntagged },
    {
      namespace: 'tenant',
      name: 'ghost-auto-bound',
      type: 'Auto',
      allocationId: boundUntagged,
      status: statusOf(boundUntagged),
    },
    { namespace: 'tenant', name: 'ghost-auto-victim', type: 'Auto', allocationId: victims, status: statusOf(victims) },
    {
      namespace: 'tenant',
      name: 'ghost-other-cluster',
      type: 'Auto',
      allocationId: otherCluster,
      releaseStrategy: 'Never',
      status: statusOf(otherCluster),
    },
    // Named after pods the tenant then creates: the takeover attacks.
    {
      namespace: 'tenant',
      name: 'db-0',
      type: 'Auto',
      allocationId: victims,
      releaseStrategy: 'Never',
      status: statusOf(victims),
    },
    { namespace: 'tenant', name: 'gw', type: 'Static', allocationId: grantedBusy, status: statusOf(grantedBusy) },
  ];
  const before = fingerprint(cluster, all);
  for (const podEip of forged) await forgePodEip(cluster, podEip);

  // A StatefulSet pod whose forged PodEIP names the victim's EIP: refused at once, naming the PodEIP.
  await cluster.kubectl.run(['apply', '-f', '-'], {
    input: JSON.stringify({
      apiVersion: 'apps/v1',
      kind: 'StatefulSet',
      metadata: { name: 'db', namespace: 'tenant' },
      spec: {
        serviceName: 'db',
        selector: { matchLabels: { app: 'db' } },
        template: { metadata: { labels: { app: 'db' } }, spec: { containers: [{ name: 'db', image: 'db' }] } },
      },
    }),
  });
  const stsUid = (
    await cluster.kubectl.run(['-n', 'tenant', 'get', 'statefulset', 'db', '-o', 'jsonpath={.metadata.uid}'])
  ).trim();
  const db = await cluster.createPod(node, {
    name: 'db-0',
    namespace: 'tenant',
    owner: { apiVersion: 'apps/v1', kind: 'StatefulSet', name: 'db', uid: stsUid },
    annotations: { 'k8s.aliyun.com/pod-with-eip': 'true', 'k8s.aliyun.com/pod-eip-release-strategy': 'Never' },
  });
  let started = Date.now();
  const untrusted = cniError(await add(node, db));
  t.is(untrusted.code, 111);
  t.true(untrusted.msg.includes('tenant/db-0') && untrusted.msg.includes('kubectl delete podeip'), untrusted.msg);
  t.true(Date.now() - started < 10_000, 'refused promptly, no takeover grace waited out');

  // A pod naming a granted static EIP bound elsewhere, with a forged PodEIP of its name claiming it was bound for it.
  const gw = await cluster.createPod(node, {
    name: 'gw',
    namespace: 'tenant',
    annotations: { 'k8s.aliyun.com/pod-eip-instanceid': grantedBusy },
  });
  started = Date.now();
  const refused = cniError(await add(node, gw));
  t.is(refused.code, 101, refused.msg);
  t.true(Date.now() - started < 10_000, 'refused promptly: a PodEIP is no proof of an earlier binding');

  // Several GC periods: nothing may change.
  await sleep(4 * GC_PERIOD_MS + 1000);
  t.deepEqual(fingerprint(cluster, all), before, 'every EIP is exactly as it was');
  t.is(releaseCalls(cluster), 0, 'nothing released');
  t.deepEqual(eip(cluster, victims)!.binding, victimBinding, 'the victim keeps its binding');

  const gauge = await until(
    'the sweep to count the untrusted PodEIPs',
    async () => {
      const value = sumMetric(await node.agent.metrics(), 'podeip_untrusted_podeips');
      return value >= 6 ? value : undefined;
    },
    30_000,
  );
  t.is(gauge, 6, 'Auto PodEIPs naming EIPs not allocated for them (5) and the ungranted Static one (1)');
  for (const name of [
    'ghost-static-bound',
    'ghost-auto-unbound',
    'ghost-auto-bound',
    'ghost-auto-victim',
    'ghost-other-cluster',
    'db-0',
  ]) {
    t.true(
      (await eventReasons(cluster, 'tenant', name)).includes('UntrustedPodEip'),
      `Event UntrustedPodEip on PodEIP ${name}`,
    );
  }

  // An admin deletes the forged PodEIPs: the deletions finish, and the EIPs are still untouched.
  // gw's is trusted (its EIP is granted to the namespace) and its pod runs: it waits for the pod.
  for (const { name } of forged)
    await cluster.kubectl.run(['-n', 'tenant', 'delete', 'podeip', name, '--wait=false', '--ignore-not-found']);
  const remaining = async () =>
    (await podEips.list()).filter((p) => p.metadata.namespace === 'tenant').map((p) => p.metadata.name);
  await until(
    "the forged PodEIPs but gw's to be gone",
    async () => ((await remaining()).join() === 'gw' ? true : undefined),
    3 * GC_PERIOD_MS + 10_000,
  );
  await until(
    'the PodEipDeletionWaiting Event on gw',
    async () => ((await eventReasons(cluster, 'tenant', 'gw')).includes('PodEipDeletionWaiting') ? true : undefined),
    2 * GC_PERIOD_MS + 10_000,
  );
  await cluster.deletePod('tenant', 'gw');
  await until(
    "gw's PodEIP to be gone once its pod is",
    async () => ((await remaining()).length === 0 ? true : undefined),
    2 * GC_PERIOD_MS + 10_000,
  );
  t.deepEqual(fingerprint(cluster, all), before, 'deleting a forged PodEIP touches no EIP');
  t.is(releaseCalls(cluster), 0);
  t.log(
    `cluster ${CLUSTER_ID}: ${forged.length} forged PodEIPs, ${all.length} EIPs untouched through ${(4 * GC_PERIOD_MS) / 1000}s of sweeps`,
  );
});
