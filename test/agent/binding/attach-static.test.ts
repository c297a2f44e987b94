import test from 'ava';
import { BindingError } from '../../../agent/src/domain/errors.js';
import { bindingMark } from '../../../agent/src/domain/ownership.js';
import {
  CLUSTER,
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
  type World,
} from './world.js';

const USER_TAGS = { owner: 'alice' };

/** An EIP the user bought themselves: no podeip tags. */
async function userEip(w: World): Promise<string> {
  const eip = await w.cloud.allocateEip({
    clientToken: `user-${Math.random().toString(36).slice(2)}`,
    tags: USER_TAGS,
  });
  return eip.allocationId;
}

const staticAnnotation = (id: string) => ({ 'k8s.aliyun.com/pod-eip-instanceid': id });

test.serial("static: binds the user's EIP without modifying it, unbinds on DEL, never releases it", async (t) => {
  const w = await startWorld(t);
  const id = await userEip(w);
  const pod = await createPod(w, { name: 'gw', annotations: staticAnnotation(id) });
  const res = await w.service.attach(attachReq(pod, 'c1', ip(1)), never());
  t.like(res.binding, { mode: 'static', state: 'bound', allocationId: id });
  t.like(eips(w)[0], { status: 'InUse', binding: { privateIpAddress: ip(1) } });
  const marked = { ...USER_TAGS, 'podeip.io/binding': bindingMark(CLUSTER, 'default', 'gw', ip(1)) };
  t.deepEqual(eips(w)[0]!.tags, marked, "only the binding mark is added to the user's EIP");
  t.like((await w.kube.getPodEip('default', 'gw'))?.spec, { allocationID: id, allocationType: { type: 'Static' } });
  await terminatePod(w, 'gw');
  t.deepEqual(await w.service.detach(detachReq(pod, 'c1'), never()), { detached: true });
  await removePod(w, 'gw');
  await until(() => w.journal.nonTerminal().length === 0, 'binding finished');
  t.like(eips(w)[0], { allocationId: id, status: 'Available', tags: marked });
  t.is(await w.kube.getPodEip('default', 'gw'), undefined);
  t.false('ReleaseEipAddress' in w.cloudSim.state.snapshot().calls, 'ReleaseEipAddress never called');
});

test.serial('static: an EIP bound elsewhere is refused without allowEipRob, and nothing changes', async (t) => {
  const w = await startWorld(t);
  const id = await userEip(w);
  await w.cloud.associateEip({
    allocationId: id,
    networkInterfaceId: 'eni-bp1podeipsim021',
    privateIpAddress: '192.168.0.52',
  });
  await w.cloud.waitForEip(id, (e) => e?.status === 'InUse');
  t.like(eips(w)[0], { status: 'InUse', binding: { instanceId: 'eni-bp1podeipsim021' } });
  const pod = await createPod(w, { name: 'gw', annotations: staticAnnotation(id) });
  const err = await t.throwsAsync(w.service.attach(attachReq(pod, 'c1', ip(2)), never()));
  t.is((err as BindingError).code, 'EipInUseElsewhere');
  t.regex(err.message, /eni-bp1podeipsim021\/192\.168\.0\.52.*allowEipRob/);
  t.like(eips(w)[0], {
    status: 'InUse',
    binding: { instanceId: 'eni-bp1podeipsim021', privateIpAddress: '192.168.0.52' },
  });
  t.deepEqual(
    await w.service.detach(detachReq(pod, 'c1'), never()),
    { detached: true },
    'the DEL after a failed ADD succeeds',
  );
  t.like(
    eips(w)[0],
    { status: 'InUse', binding: { instanceId: 'eni-bp1podeipsim021' } },
    'and leaves the other binding alone',
  );
});

test.serial('static: with allowEipRob the EIP is taken over from its other binding', async (t) => {
  const w = await startWorld(t, { config: { allowEipRob: true } });
  const id = await userEip(w);
  await w.cloud.associateEip({
    allocationId: id,
    networkInterfaceId: 'eni-bp1podeipsim021',
    privateIpAddress: '192.168.0.52',
  });
  await w.cloud.waitForEip(id, (e) => e?.status === 'InUse');
  const pod = await createPod(w, { name: 'gw', annotations: staticAnnotation(id) });
  const res = await w.service.attach(attachReq(pod, 'c1', ip(3)), never());
  t.like(res.binding, { state: 'bound', allocationId: id });
  t.like(eips(w)[0], {
    status: 'InUse',
    binding: { instanceId: 'eni-bp1podeipsim011', privateIpAddress: ip(3) },
    tags: { ...USER_TAGS, 'podeip.io/binding': bindingMark(CLUSTER, 'default', 'gw', ip(3)) },
  });
});

test.serial(
  "static: held by a terminating pod of ours, the next pod waits for that pod's DEL, then binds",
  async (t) => {
    const w = await startWorld(t);
    const id = await userEip(w);
    const oldPod = await createPod(w, { name: 'gw-a', annotations: staticAnnotation(id) });
    await w.service.attach(attachReq(oldPod, 'a1', ip(4)), never());
    await terminatePod(w, 'gw-a');
    const newPod = await createPod(w, { name: 'gw-b', annotations: staticAnnotation(id) });
    let settled = false;
    const attaching = w.service.attach(attachReq(newPod, 'b1', ip(5)), never()).finally(() => {
      settled = true;
    });
    await new Promise((r) => setTimeout(r, 500));
    t.false(settled, 'waits while the terminating pod still holds the EIP');
    t.like(eips(w)[0], { binding: { privateIpAddress: ip(4) } });
    await w.service.detach(detachReq(oldPod, 'a1'), never());
    const res = await attaching;
    t.like(res.binding, { state: 'bound', allocationId: id, privateIp: ip(5) });
    t.like(eips(w)[0], { status: 'InUse', binding: { privateIpAddress: ip(5) } });
  },
);

test.serial('static: an EIP id that does not exist fails with EipNotFound and a failed row', async (t) => {
  const w = await startWorld(t);
  const pod = await createPod(w, { name: 'gw', annotations: staticAnnotation('eip-doesnotexist1') });
  const err = await t.throwsAsync(w.service.attach(attachReq(pod, 'c1', ip(6)), never()));
  t.is((err as BindingError).code, 'EipNotFound');
  t.regex(err.message, /eip-doesnotexist1/);
  t.is(w.journal.bySandbox('c1', 'eth0')?.state, 'failed');
  t.is(eips(w).length, 0);
});
