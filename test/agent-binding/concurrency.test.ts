import test from 'ava';
import type { CloudClient } from '../../agent/src/cloud/types.js';
import { BindingError } from '../../agent/src/binding/errors.js';
import { allReleased, attachReq, createPod, detachReq, eips, ip, never, removePod, startWorld, until } from './world.js';

const EIP = { 'k8s.aliyun.com/pod-with-eip': 'true' };

/** The real client, with a count of the calls in flight (waiting on the shared poller is not a call). */
function counting(cloud: CloudClient, stats: { active: number; peak: number }): CloudClient {
  const wrap = <A extends unknown[], R>(fn: (...args: A) => Promise<R>) => async (...args: A): Promise<R> => {
    stats.active++;
    stats.peak = Math.max(stats.peak, stats.active);
    try { return await fn(...args); } finally { stats.active--; }
  };
  return {
    allocateEip: wrap(cloud.allocateEip.bind(cloud)),
    associateEip: wrap(cloud.associateEip.bind(cloud)),
    unassociateEip: wrap(cloud.unassociateEip.bind(cloud)),
    releaseEip: wrap(cloud.releaseEip.bind(cloud)),
    describeEip: wrap(cloud.describeEip.bind(cloud)),
    listEipsByTags: wrap(cloud.listEipsByTags.bind(cloud)),
    waitForEip: cloud.waitForEip.bind(cloud),
    tagEip: wrap(cloud.tagEip.bind(cloud)),
    untagEip: wrap(cloud.untagEip.bind(cloud)),
    setEipBandwidth: wrap(cloud.setEipBandwidth.bind(cloud)),
    countEips: wrap(cloud.countEips.bind(cloud)),
    addToBandwidthPackage: wrap(cloud.addToBandwidthPackage.bind(cloud)),
    removeFromBandwidthPackage: wrap(cloud.removeFromBandwidthPackage.bind(cloud)),
    findEniByPrivateIp: wrap(cloud.findEniByPrivateIp.bind(cloud)),
  };
}

test.serial('many pods at once: each gets its own EIP, cloud calls never exceed maxConcurrentReconciles', async (t) => {
  const stats = { active: 0, peak: 0 };
  const w = await startWorld(t, { config: { maxConcurrentReconciles: 2 }, cloud: { latencyMs: 20 }, wrapCloud: (c) => counting(c, stats) });
  const pods = await Promise.all(Array.from({ length: 8 }, (_, i) => createPod(w, { name: `p${i}`, annotations: EIP })));
  const results = await Promise.all(pods.map((pod, i) => w.service.attach(attachReq(pod, `c${i}`, ip(i + 1)), never())));
  t.is(new Set(results.map((r) => r.binding!.allocationId)).size, 8);
  t.is(eips(w).filter((e) => e.status === 'InUse').length, 8);
  t.true(stats.peak <= 2, `peak ${stats.peak}`);
  t.true(stats.peak >= 2, 'work did run in parallel');
});

test.serial('concurrent ADDs for the same sandbox share one operation and one EIP', async (t) => {
  const w = await startWorld(t);
  const pod = await createPod(w, { name: 'web', annotations: EIP });
  const [a, b, c] = await Promise.all([1, 2, 3].map(() => w.service.attach(attachReq(pod, 'c1', ip(1)), never())));
  t.is(a!.binding!.allocationId, b!.binding!.allocationId);
  t.is(b!.binding!.allocationId, c!.binding!.allocationId);
  t.is(eips(w).length, 1);
});

test.serial('a pod IP on no ENI of this node fails with EniNotFound; the EIP is released once the pod goes', async (t) => {
  const w = await startWorld(t);
  const pod = await createPod(w, { name: 'web', annotations: EIP });
  const err = await t.throwsAsync(w.service.attach(attachReq(pod, 'c1', '10.99.0.7'), never()));
  t.is((err as BindingError).code, 'EniNotFound');
  t.regex(err!.message, /10\.99\.0\.7/);
  t.like(w.journal.bySandbox('c1', 'eth0'), { state: 'allocated' });
  t.deepEqual(await w.service.detach(detachReq(pod, 'c1'), never()), { detached: true });
  await removePod(w, 'web');
  await until(() => w.journal.nonTerminal().length === 0, 'binding finished');
  await allReleased(w);
  t.deepEqual(eips(w), []);
});

test.serial('CHECK fails once the EIP no longer points at the pod', async (t) => {
  const w = await startWorld(t);
  const pod = await createPod(w, { name: 'web', annotations: EIP });
  await w.service.attach(attachReq(pod, 'c1', ip(2)), never());
  await w.service.check(attachReq(pod, 'c1', ip(2)), never());
  await w.service.detach(detachReq(pod, 'c1'), never());
  const err = await t.throwsAsync(w.service.check(attachReq(pod, 'c1', ip(2)), never()));
  t.is((err as BindingError).code, 'EipNotBound');
});

test.serial('bad requests are refused naming the field, before anything else happens', async (t) => {
  const w = await startWorld(t);
  const pod = await createPod(w, { name: 'web', annotations: EIP });
  const noNs = attachReq(pod, 'c1', ip(3));
  noNs.pod.namespace = '';
  t.regex((await t.throwsAsync(w.service.attach(noNs, never())))!.message, /pod\.namespace \(K8S_POD_NAMESPACE\)/);
  const badIp = attachReq(pod, 'c1', 'fe80::1');
  const err = await t.throwsAsync(w.service.attach(badIp, never()));
  t.is((err as BindingError).code, 'InvalidRequest');
  t.regex(err!.message, /pod_ipv4 "fe80::1"/);
  t.is(eips(w).length, 0);
});
