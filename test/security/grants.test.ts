/**
 * A tenant naming existing EIPs (pod-eip-instanceid) under the default staticEipPolicy Granted:
 * only EIPs an admin granted to the namespace (Namespace annotation or the EIP's cloud tag) are
 * bound; anything else fails the ADD with EipNotGranted (CNI 110) and is left exactly as it was.
 */
import test from 'ava';
import { ownershipTags } from '../../agent/src/domain/ownership.js';
import { CLUSTER_ID, type SimNode } from '../../sim/stack/cluster.js';
import {
  add,
  addOk,
  annotateNamespace,
  cniError,
  createNamespace,
  del,
  eip,
  elsewhere,
  fingerprint,
  releaseCalls,
  sharedCluster,
  sleep,
  userEip,
} from './tenant.js';
import { accountCloud } from '../cluster/harness.js';

const STATIC = 'k8s.aliyun.com/pod-eip-instanceid';

test('only granted EIPs are bound: by Namespace annotation, by EIP tag, "*" for untagged ones; a revoke counts within 5 s', async (t) => {
  t.timeout(240_000);
  const cluster = await sharedCluster(t, 'grants');
  const cloud = accountCloud(t, cluster);
  const node = cluster.nodes[0] as SimNode;
  await createNamespace(cluster, 'team-a');
  await createNamespace(cluster, 'team-b', { 'podeip.io/allowed-eips': '*' });

  const reserved = await userEip(cloud, 'reserved', { owner: 'prod' });
  const tagGranted = await userEip(cloud, 'tag-granted', {
    owner: 'media',
    'podeip.io/allowed-namespaces': 'team-x, team-a',
  });
  const teamAOwned = await userEip(
    cloud,
    'team-a-owned',
    ownershipTags({ clusterId: CLUSTER_ID, namespace: 'team-a', podName: 'web', podUid: 'u-1', node: node.name }),
  );
  const untagged = await userEip(cloud, 'untagged', { owner: 'media' });
  const busy = await userEip(
    cloud,
    'busy',
    { owner: 'media', 'podeip.io/allowed-namespaces': 'team-a' },
    elsewhere(cluster),
  );
  const all = [reserved, tagGranted, teamAOwned, untagged, busy];

  // Ungranted: refused with a message that says how to grant it; nothing in the cloud changes.
  const before = fingerprint(cluster, all);
  const p1 = await cluster.createPod(node, { name: 'p1', namespace: 'team-a', annotations: { [STATIC]: reserved } });
  const refused = cniError(await add(node, p1));
  t.is(refused.code, 110);
  for (const part of [reserved, 'team-a', 'podeip.io/allowed-eips', 'podeip.io/allowed-namespaces'])
    t.true(refused.msg.includes(part), `the message names ${part}: ${refused.msg}`);
  t.deepEqual(fingerprint(cluster, all), before, 'an ungranted EIP is left exactly as it was');

  // The admin grants it on the Namespace: the runtime's retry of the same sandbox gets it within 5 s.
  await annotateNamespace(cluster, 'team-a', 'podeip.io/allowed-eips', `eip-other, ${reserved}`);
  const granted = Date.now();
  for (;;) {
    const outcome = await add(node, p1);
    if (outcome.exitCode === 0) break;
    t.is(cniError(outcome).code, 110);
    t.true(Date.now() - granted < 5_000, 'a grant takes effect within 5 s');
    await sleep(250);
  }
  t.log(`grant took effect after ${Date.now() - granted} ms`);
  t.like(eip(cluster, reserved), { status: 'InUse', binding: { privateIpAddress: p1.ipv4 } });

  // Granted by the EIP's own tag.
  const p2 = await cluster.createPod(node, { name: 'p2', namespace: 'team-a', annotations: { [STATIC]: tagGranted } });
  await addOk(node, p2);
  t.like(eip(cluster, tagGranted), { status: 'InUse', binding: { privateIpAddress: p2.ipv4 } });

  // Revoked: a new pod naming it is refused within 5 s; the running pod keeps its binding.
  await del(node, p1);
  await cluster.deletePod('team-a', 'p1');
  const p3 = await cluster.createPod(node, { name: 'p3', namespace: 'team-a', annotations: { [STATIC]: reserved } });
  await annotateNamespace(cluster, 'team-a', 'podeip.io/allowed-eips', null);
  const revoked = Date.now();
  for (;;) {
    const outcome = await add(node, p3);
    if (outcome.exitCode !== 0 && cniError(outcome).code === 110) break;
    t.true(Date.now() - revoked < 5_000, 'a revoke takes effect within 5 s');
    if (outcome.exitCode === 0) await del(node, p3);
    await sleep(250);
  }
  t.log(`revoke took effect after ${Date.now() - revoked} ms`);
  t.like(eip(cluster, reserved), { status: 'Available' });
  t.like(eip(cluster, tagGranted), { status: 'InUse', binding: { privateIpAddress: p2.ipv4 } });

  // "*": every EIP without podeip tags of another namespace or cluster.
  const b1 = await cluster.createPod(node, { name: 'b1', namespace: 'team-b', annotations: { [STATIC]: untagged } });
  await addOk(node, b1);
  t.like(eip(cluster, untagged), { status: 'InUse', binding: { privateIpAddress: b1.ipv4 } });
  const b2 = await cluster.createPod(node, { name: 'b2', namespace: 'team-b', annotations: { [STATIC]: teamAOwned } });
  const beforeB2 = fingerprint(cluster, [teamAOwned]);
  const b2Refused = cniError(await add(node, b2));
  t.is(b2Refused.code, 110, `team-a's EIP is not team-b's by "*": ${b2Refused.msg}`);
  t.deepEqual(fingerprint(cluster, [teamAOwned]), beforeB2);

  // Granted but bound elsewhere, allowEipRob off: refused, the other binding stays.
  const beforeBusy = fingerprint(cluster, [busy]);
  const p4 = await cluster.createPod(node, { name: 'p4', namespace: 'team-a', annotations: { [STATIC]: busy } });
  const inUse = cniError(await add(node, p4));
  t.is(inUse.code, 101);
  t.regex(inUse.msg, /allowEipRob/);
  t.deepEqual(fingerprint(cluster, [busy]), beforeBusy);
  t.is(releaseCalls(cluster), 0, 'no static EIP is ever released');
});

test('allowEipRob takes over only EIPs granted to the namespace', async (t) => {
  t.timeout(180_000);
  const cluster = await sharedCluster(t, 'rob', { allowEipRob: true });
  const cloud = accountCloud(t, cluster);
  const node = cluster.nodes[0] as SimNode;
  await createNamespace(cluster, 'team-a');
  const ungranted = await userEip(cloud, 'ungranted', { owner: 'prod' }, elsewhere(cluster, 1));
  const granted = await userEip(
    cloud,
    'granted',
    { owner: 'media', 'podeip.io/allowed-namespaces': 'team-a' },
    elsewhere(cluster, 2),
  );

  const before = fingerprint(cluster, [ungranted]);
  const robber = await cluster.createPod(node, {
    name: 'robber',
    namespace: 'team-a',
    annotations: { [STATIC]: ungranted },
  });
  t.is(cniError(await add(node, robber)).code, 110, 'allowEipRob does not make an ungranted EIP usable');
  t.deepEqual(fingerprint(cluster, [ungranted]), before, 'its binding elsewhere is untouched');

  const taker = await cluster.createPod(node, {
    name: 'taker',
    namespace: 'team-a',
    annotations: { [STATIC]: granted },
  });
  await addOk(node, taker);
  t.like(eip(cluster, granted), { status: 'InUse', binding: { privateIpAddress: taker.ipv4 } });
  t.is(releaseCalls(cluster), 0);
});
