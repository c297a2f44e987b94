import test from 'ava';
import { BindingError } from '../../../agent/src/domain/errors.js';
import { bindingMark } from '../../../agent/src/domain/ownership.js';
import {
  allReleased,
  allocateCalls,
  attachReq,
  createPod,
  detachReq,
  eips,
  ip,
  never,
  removePod,
  startWorld,
  terminatePod,
  until,
  CLUSTER,
  NODE,
} from './world.js';

const EIP = { 'k8s.aliyun.com/pod-with-eip': 'true' };

test.serial('a pod without an EIP annotation is answered without touching the cloud', async (t) => {
  const w = await startWorld(t);
  const pod = await createPod(w, { name: 'plain' });
  t.deepEqual(await w.service.attach(attachReq(pod, 'c1', ip(1), {}), never()), { eipRequested: false });
  t.deepEqual(
    await w.service.attach(attachReq(pod, 'c1', ip(1)), never()),
    { eipRequested: false },
    'from the informer cache',
  );
  t.deepEqual(await w.service.check(attachReq(pod, 'c1', ip(1)), never()), { eipRequested: false });
  t.deepEqual(await w.service.detach(detachReq(pod, 'c1'), never()), { detached: false });
  t.is(allocateCalls(w), 0);
  t.deepEqual(w.journal.nonTerminal(), []);
});

test.serial(
  'auto: allocates with every parameter and our tags, binds to the pod IP, publishes PodEIP, annotation and condition',
  async (t) => {
    const w = await startWorld(t);
    const annotations = {
      ...EIP,
      'network.alibabacloud.com/eip-bandwidth': '20',
      'k8s.aliyun.com/eip-internet-charge-type': 'PayByBandwidth',
      'k8s.aliyun.com/eip-isp': 'BGP',
      'k8s.aliyun.com/eip-name': 'game',
      'k8s.aliyun.com/eip-description': 'udp relay',
      'k8s.aliyun.com/eip-tags': '{"team":"games"}',
      'k8s.aliyun.com/eip-common-bandwidth-package-id': 'cbwp-bp1podeipsim0001',
    };
    const pod = await createPod(w, { name: 'web', annotations });
    const res = await w.service.attach(attachReq(pod, 'c1', ip(1)), never());
    t.true(res.eipRequested);
    const b = res.binding!;
    t.like(b, {
      mode: 'auto',
      state: 'bound',
      privateIp: ip(1),
      networkInterfaceId: 'eni-bp1podeipsim011',
      releaseStrategy: 'Follow',
    });

    const [eip, ...others] = eips(w);
    t.is(others.length, 0);
    t.like(eip, {
      allocationId: b.allocationId,
      ipAddress: b.eipAddress,
      status: 'InUse',
      bandwidth: 20,
      internetChargeType: 'PayByBandwidth',
      isp: 'BGP',
      name: 'game',
      description: 'udp relay',
    });
    t.deepEqual(eip!.tags, {
      team: 'games',
      'podeip.io/cluster-id': CLUSTER,
      'podeip.io/namespace': 'default',
      'podeip.io/pod-name': 'web',
      'podeip.io/pod-uid': pod.metadata!.uid!,
      'podeip.io/node': NODE,
      'podeip.io/managed-by': 'podeip',
      'podeip.io/binding': bindingMark(CLUSTER, 'default', 'web', ip(1)),
    });
    t.like(eip!.binding, { instanceId: 'eni-bp1podeipsim011', privateIpAddress: ip(1) });
    t.truthy(eip!.bandwidthPackage);

    const podEip = await w.kube.getPodEip('default', 'web');
    t.like(podEip?.spec, {
      allocationID: b.allocationId,
      bandwidthPackageID: 'cbwp-bp1podeipsim0001',
      allocationType: { type: 'Auto', releaseStrategy: 'Follow' },
    });
    t.like(podEip?.status, {
      eipAddress: b.eipAddress,
      networkInterfaceID: 'eni-bp1podeipsim011',
      privateIPAddress: ip(1),
      status: 'InUse',
      isp: 'BGP',
      internetChargeType: 'PayByBandwidth',
      node: NODE,
    });
    t.truthy(podEip?.status.podLastSeen);
    t.truthy(podEip?.status.resourceGroupID);
    t.deepEqual(podEip?.finalizers, ['podeip-controller.alibabacloud.com/finalizer']);

    const live = await w.core.readNamespacedPod({ namespace: 'default', name: 'web' });
    t.is(live.metadata!.annotations!['k8s.aliyun.com/allocated-eipAddress'], b.eipAddress);
    t.is(live.metadata!.annotations!['network.alibabacloud.com/allocated-eipAddress'], b.eipAddress);
    const condition = live.status?.conditions?.find((c) => c.type === 'k8s.aliyun.com/eip');
    t.like(condition, { status: 'True', reason: 'Associate eip succeed' });

    t.like((await w.service.check(attachReq(pod, 'c1', ip(1)), never())).binding, { allocationId: b.allocationId });
    t.like(
      await w.service.attach(attachReq(pod, 'c1', ip(1)), never()),
      { binding: { allocationId: b.allocationId } },
      'a repeated ADD is idempotent',
    );
    t.is(eips(w).length, 1);
    t.deepEqual(
      w.service.bindings().map((x) => x.allocationId),
      [b.allocationId],
    );
  },
);

test.serial(
  'auto: a fresh EIP is associated without a describe before it, and published with the describe that saw it InUse',
  async (t) => {
    const w = await startWorld(t);
    const pod = await createPod(w, { name: 'web', annotations: EIP });
    const order: string[] = [];
    const stop = w.cloudSim.observeRequests((action) => order.push(action));
    const { binding } = await w.service.attach(attachReq(pod, 'c1', ip(1)), never());
    stop();
    t.is(binding!.state, 'bound');
    const calls = order.filter((a) => a !== 'DescribeNetworkInterfaces');
    t.deepEqual(
      calls.slice(0, 2),
      ['AllocateEipAddress', 'AssociateEipAddress'],
      `nothing between allocation and association: ${order.join(',')}`,
    );
    t.true(
      calls.slice(2).every((a) => a === 'DescribeEipAddresses'),
      `only the association wait's describes after it: ${order.join(',')}`,
    );
    const eip = eips(w).find((e) => e.allocationId === binding!.allocationId)!;
    t.is(
      eip.tags['podeip.io/binding'],
      bindingMark(CLUSTER, 'default', 'web', ip(1)),
      'the binding mark came with the allocation',
    );
    const podEip = await w.kube.getPodEip('default', 'web');
    t.like(podEip?.status, {
      eipAddress: binding!.eipAddress,
      privateIPAddress: ip(1),
      status: 'InUse',
      isp: 'BGP',
      node: NODE,
    });
  },
);

test.serial(
  'auto (Follow): DEL of a terminating pod unbinds before returning, then the EIP is released and the PodEIP goes',
  async (t) => {
    const w = await startWorld(t);
    const pod = await createPod(w, { name: 'web', annotations: EIP });
    const { binding } = await w.service.attach(attachReq(pod, 'c1', ip(2)), never());
    await terminatePod(w, 'web');
    t.is(eips(w)[0]!.status, 'InUse', 'a terminating pod keeps its EIP until DEL');
    t.deepEqual(await w.service.detach(detachReq(pod, 'c1'), never()), { detached: true });
    const after = eips(w).find((e) => e.allocationId === binding!.allocationId);
    t.true(after === undefined || after.binding === null, 'no longer points at the pod IP when DEL returns');
    await until(() => eips(w).length === 0, 'release');
    await until(async () => (await w.kube.getPodEip('default', 'web')) === undefined, 'PodEIP deleted');
    t.deepEqual(await w.service.detach(detachReq(pod, 'c1'), never()), { detached: true }, 'repeated DEL');
    t.deepEqual(
      await w.service.detach(detachReq(pod, 'c1', ''), never()),
      { detached: true },
      'DEL with an empty netns',
    );
    t.deepEqual(w.journal.nonTerminal(), []);
    t.is(w.journal.bySandbox('c1', 'eth0')?.state, 'gone');
  },
);

test.serial('DEL for a pod the agent never saw succeeds', async (t) => {
  const w = await startWorld(t);
  const ghost = { metadata: { namespace: 'default', name: 'ghost', uid: 'nope' } };
  t.deepEqual(await w.service.detach(detachReq(ghost, 'c9'), never()), { detached: false });
  t.deepEqual(await w.service.detach(detachReq(ghost, 'c9', ''), never()), { detached: false });
});

test.serial(
  "a sandbox recreated for a running pod gets the same EIP back; the old sandbox's late DEL touches nothing",
  async (t) => {
    const w = await startWorld(t);
    const pod = await createPod(w, { name: 'web', annotations: EIP });
    const first = (await w.service.attach(attachReq(pod, 'c1', ip(3)), never())).binding!;
    t.deepEqual(await w.service.detach(detachReq(pod, 'c1'), never()), { detached: true });
    t.is(eips(w)[0]!.status, 'Available', 'unbound but kept: the pod object still exists');
    const second = (await w.service.attach(attachReq(pod, 'c2', ip(4)), never())).binding!;
    t.is(second.allocationId, first.allocationId);
    t.like(eips(w)[0]!.binding, { privateIpAddress: ip(4) });
    t.deepEqual(await w.service.detach(detachReq(pod, 'c1'), never()), { detached: false }, 'old sandbox DEL again');
    t.like(eips(w)[0], { status: 'InUse', binding: { privateIpAddress: ip(4) } });
    t.is(allocateCalls(w), 1);
  },
);

test.serial(
  "a new sandbox before the old one's DEL moves the EIP to the new IP; the old DEL then leaves it alone",
  async (t) => {
    const w = await startWorld(t);
    const pod = await createPod(w, { name: 'web', annotations: EIP });
    const first = (await w.service.attach(attachReq(pod, 'c1', ip(3)), never())).binding!;
    const second = (await w.service.attach(attachReq(pod, 'c2', ip(4)), never())).binding!;
    t.is(second.allocationId, first.allocationId);
    t.deepEqual(await w.service.detach(detachReq(pod, 'c1'), never()), { detached: false });
    t.like(eips(w)[0], { status: 'InUse', binding: { privateIpAddress: ip(4) } });
  },
);

test.serial('a pod deleted without any DEL is detached and its EIP released', async (t) => {
  const w = await startWorld(t);
  const pod = await createPod(w, { name: 'web', annotations: EIP });
  await w.service.attach(attachReq(pod, 'c1', ip(5)), never());
  await removePod(w, 'web');
  await until(() => w.journal.nonTerminal().length === 0, 'the binding finished after the pod vanished');
  await allReleased(w);
  t.is(await w.kube.getPodEip('default', 'web'), undefined);
});

test.serial('a bad annotation fails the ADD naming it, creates nothing, and records a Warning event', async (t) => {
  const w = await startWorld(t);
  const annotations = { ...EIP, 'k8s.aliyun.com/eip-bandwidth': '9000' };
  const pod = await createPod(w, { name: 'bad', annotations });
  const err = await t.throwsAsync(w.service.attach(attachReq(pod, 'c1', ip(6)), never()));
  t.true(err instanceof BindingError);
  t.is((err as BindingError).code, 'InvalidAnnotation');
  t.regex(err.message, /k8s\.aliyun\.com\/eip-bandwidth="9000"/);
  t.is(allocateCalls(w), 0);
  t.deepEqual(w.journal.nonTerminal(), []);
  t.is(await w.kube.getPodEip('default', 'bad'), undefined);
  await until(
    async () =>
      (await w.core.listNamespacedEvent({ namespace: 'default' })).items.some(
        (e) => e.reason === 'InvalidEipAnnotation' && e.involvedObject.name === 'bad',
      ),
    'the Warning event',
  );
});

test.serial(
  'quota exceeded: a typed error, a failed row, nothing leaked; a retry after the quota rises succeeds',
  async (t) => {
    const w = await startWorld(t, { cloud: { eipQuota: 0 } });
    const pod = await createPod(w, { name: 'web', annotations: EIP });
    const err = await t.throwsAsync(w.service.attach(attachReq(pod, 'c1', ip(7)), never()));
    t.is((err as BindingError).code, 'EipQuotaExceeded');
    t.is(eips(w).length, 0);
    t.is(w.journal.bySandbox('c1', 'eth0')?.state, 'failed');
    t.deepEqual(w.journal.nonTerminal(), []);
    const metrics = await w.registry.getSingleMetricAsString('podeip_binding_errors_total');
    t.regex(metrics, /podeip_binding_errors_total\{code="EipQuotaExceeded"\} 1/);
    w.cloudSim.setEipQuota(5);
    const ok = await w.service.attach(attachReq(pod, 'c1', ip(7)), never());
    t.is(ok.binding?.state, 'bound');
    t.is(eips(w).length, 1);
  },
);

test.serial(
  'ADD past its deadline keeps working; the retry joins it and gets the same EIP from one allocation',
  async (t) => {
    const w = await startWorld(t, { cloud: { associationDelayMs: 800 } });
    const pod = await createPod(w, { name: 'slow', annotations: EIP });
    const deadline = AbortSignal.timeout(150);
    const err = await t.throwsAsync(w.service.attach(attachReq(pod, 'c1', ip(8)), deadline));
    t.is((err as BindingError).code, 'DeadlineExceeded');
    const retry = await w.service.attach(attachReq(pod, 'c1', ip(8)), never());
    t.is(retry.binding?.state, 'bound');
    t.is(eips(w).length, 1);
    t.is(w.cloudSim.state.snapshot().calls['AllocateEipAddress']?.['Success'], 1);
    t.is(retry.binding!.allocationId, eips(w)[0]!.allocationId);
  },
);

test.serial('metrics: attach and detach histograms by mode and result, bindings by state', async (t) => {
  const w = await startWorld(t);
  const pod = await createPod(w, { name: 'web', annotations: EIP });
  await w.service.attach(attachReq(pod, 'c1', ip(9)), never());
  await w.service.detach(detachReq(pod, 'c1'), never());
  const text = await w.registry.metrics();
  t.regex(text, /podeip_attach_duration_seconds_count\{mode="auto",result="success"\} 1/);
  t.regex(text, /podeip_detach_duration_seconds_count\{mode="auto",result="success"\} 1/);
  t.regex(text, /podeip_bindings\{state="unbound"\} 1/);
});

test.serial('a pod whose EIP another controller owns (eip-controller) is refused; nothing is allocated', async (t) => {
  const w = await startWorld(t);
  const pod = await createPod(w, {
    name: 'theirs',
    annotations: { ...EIP, 'k8s.aliyun.com/eip-controller': 'ack-extend-network-controller' },
  });
  const err = await t.throwsAsync(w.service.attach(attachReq(pod, 'c1', ip(10)), never()));
  t.is((err as BindingError).code, 'ForeignController');
  t.is(allocateCalls(w), 0);
  t.deepEqual(w.journal.nonTerminal(), []);
});

test.serial(
  "auto without a charge-type annotation is metered PayByTraffic, the product default, not the cloud's PayByBandwidth",
  async (t) => {
    const w = await startWorld(t);
    const pod = await createPod(w, { name: 'plain-defaults', annotations: EIP });
    await w.service.attach(attachReq(pod, 'c1', ip(3)), never());
    t.like(eips(w)[0], { internetChargeType: 'PayByTraffic' });
  },
);

test.serial(
  'one PodEIP write per attach: created once before the association, its status patched once, never read back',
  async (t) => {
    const w = await startWorld(t);
    const pod = await createPod(w, { name: 'once', annotations: EIP });
    const before = w.kubeSim.stats().requests;
    const res = await w.service.attach(attachReq(pod, 'c1', ip(1)), never());
    t.is(res.binding?.state, 'bound');
    const after = w.kubeSim.stats().requests;
    const podEipRequests = Object.fromEntries(
      Object.keys(after)
        .filter((k) => k.includes('podeips'))
        .map((k) => [k, (after[k] ?? 0) - (before[k] ?? 0)])
        .filter(([, n]) => n !== 0),
    );
    t.deepEqual(podEipRequests, { 'create podeips': 1, 'patch podeips/status': 1 });
    t.like((await w.kube.getPodEip('default', 'once'))?.status, {
      eipAddress: res.binding!.eipAddress,
      status: 'InUse',
      node: NODE,
    });
  },
);
