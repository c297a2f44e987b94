import test from 'ava';
import type { CloudClient } from '../../../agent/src/cloud/types.js';
import { BindingError } from '../../../agent/src/domain/errors.js';
import { checkRequest } from '../../../agent/src/server/request-checks.js';
import type { AttachRequest } from '../../../lib/agent-proto.js';
import type { PodeipError } from '../../../lib/errors.js';
import {
  allReleased,
  attachReq,
  createPod,
  detachReq,
  eips,
  ip,
  never,
  removePod,
  startWorld,
  until,
} from './world.js';

const EIP = { 'k8s.aliyun.com/pod-with-eip': 'true' };

interface Stats {
  active: Map<string, number>;
  peak: Map<string, number>;
}

/** The real client, with a count of the calls in flight per kind (waiting on the shared poller is not a call). */
function counting(cloud: CloudClient, stats: Stats): CloudClient {
  const wrap =
    <A extends unknown[], R>(kind: string, fn: (...args: A) => Promise<R>) =>
    async (...args: A): Promise<R> => {
      const active = (stats.active.get(kind) ?? 0) + 1;
      stats.active.set(kind, active);
      stats.peak.set(kind, Math.max(stats.peak.get(kind) ?? 0, active));
      try {
        return await fn(...args);
      } finally {
        stats.active.set(kind, stats.active.get(kind)! - 1);
      }
    };
  return {
    allocateEip: wrap('allocate', cloud.allocateEip.bind(cloud)),
    associateEip: wrap('associate', cloud.associateEip.bind(cloud)),
    unassociateEip: wrap('unassociate', cloud.unassociateEip.bind(cloud)),
    releaseEip: wrap('release', cloud.releaseEip.bind(cloud)),
    describeEip: wrap('describe', cloud.describeEip.bind(cloud)),
    listEipsByTags: wrap('describe', cloud.listEipsByTags.bind(cloud)),
    waitForEip: cloud.waitForEip.bind(cloud),
    tagEip: wrap('tag', cloud.tagEip.bind(cloud)),
    addToBandwidthPackage: wrap('bandwidth', cloud.addToBandwidthPackage.bind(cloud)),
    removeFromBandwidthPackage: wrap('bandwidth', cloud.removeFromBandwidthPackage.bind(cloud)),
    findEniByPrivateIp: wrap('describe', cloud.findEniByPrivateIp.bind(cloud)),
    untagEip: wrap('tag', cloud.untagEip.bind(cloud)),
    setEipBandwidth: wrap('bandwidth', cloud.setEipBandwidth.bind(cloud)),
    countEips: wrap('describe', cloud.countEips.bind(cloud)),
  };
}

test.serial(
  'many pods at once: each gets its own EIP, calls of each kind never exceed maxConcurrentReconciles',
  async (t) => {
    const stats: Stats = { active: new Map(), peak: new Map() };
    const w = await startWorld(t, {
      config: { maxConcurrentReconciles: 2 },
      cloud: { latencyMs: 20 },
      wrapCloud: (c) => counting(c, stats),
    });
    const pods = await Promise.all(
      Array.from({ length: 8 }, (_, i) => createPod(w, { name: `p${i}`, annotations: EIP })),
    );
    const results = await Promise.all(
      pods.map((pod, i) => w.service.attach(attachReq(pod, `c${i}`, ip(i + 1)), never())),
    );
    t.is(new Set(results.map((r) => r.binding!.allocationId)).size, 8);
    t.is(eips(w).filter((e) => e.status === 'InUse').length, 8);
    for (const [kind, peak] of stats.peak) t.true(peak <= 2, `${kind}: peak ${peak}`);
    t.is(stats.peak.get('allocate'), 2, 'allocations did run in parallel');
    t.is(stats.peak.get('associate'), 2, 'associations did run in parallel');
  },
);

test.serial('concurrent ADDs for the same sandbox share one operation and one EIP', async (t) => {
  const w = await startWorld(t);
  const pod = await createPod(w, { name: 'web', annotations: EIP });
  const [a, b, c] = await Promise.all([1, 2, 3].map(() => w.service.attach(attachReq(pod, 'c1', ip(1)), never())));
  t.is(a!.binding!.allocationId, b!.binding!.allocationId);
  t.is(b!.binding!.allocationId, c!.binding!.allocationId);
  t.is(eips(w).length, 1);
});

test.serial(
  'a pod IP on no ENI of this node fails with EniNotFound; the EIP is released once the pod goes',
  async (t) => {
    const w = await startWorld(t);
    const pod = await createPod(w, { name: 'web', annotations: EIP });
    const err = await t.throwsAsync(w.service.attach(attachReq(pod, 'c1', '10.99.0.7'), never()));
    t.is((err as BindingError).code, 'EniNotFound');
    t.regex(err.message, /10\.99\.0\.7/);
    t.like(w.journal.bySandbox('c1', 'eth0'), { state: 'allocated' });
    t.deepEqual(await w.service.detach(detachReq(pod, 'c1'), never()), { detached: true });
    await removePod(w, 'web');
    await until(() => w.journal.nonTerminal().length === 0, 'binding finished');
    await allReleased(w);
    t.deepEqual(eips(w), []);
  },
);

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
  // What the gRPC server does: the one identity check, then the service.
  const attach = async (req: AttachRequest): Promise<unknown> => {
    checkRequest(req, true);
    return w.service.attach(req, never());
  };
  const noNs = attachReq(pod, 'c1', ip(3));
  noNs.pod.namespace = '';
  t.regex(
    (await t.throwsAsync(attach(noNs))).message,
    /^pod\.namespace: "" is not a namespace name \(K8S_POD_NAMESPACE\)/,
  );
  const err = await t.throwsAsync(attach(attachReq(pod, 'c1', 'fe80::1')));
  t.is((err as PodeipError).code, 'InvalidRequest');
  t.regex(err.message, /^pod_ipv4: "fe80::1" is not an IPv4 address/);
  t.is(eips(w).length, 0);
});
