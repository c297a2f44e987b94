import test from 'ava';
import { BindingError } from '../../../agent/src/domain/errors.js';
import { attachReq, createPod, eips, ip, never, startWorld, until } from './world.js';

const EIP = { 'k8s.aliyun.com/pod-with-eip': 'true' };

test.serial(
  'Allocate commits but every answer is lost: the ADD times out, the retry gets that same EIP; one EIP exists',
  async (t) => {
    const w = await startWorld(t);
    w.cloudSim.setFaults({ AllocateEipAddress: { commitThenDropProbability: 1 } });
    const pod = await createPod(w, { name: 'web', annotations: EIP });
    const err = await t.throwsAsync(w.service.attach(attachReq(pod, 'c1', ip(1)), AbortSignal.timeout(1500)));
    t.is((err as BindingError).code, 'DeadlineExceeded');
    await until(() => eips(w).length > 0, 'the dropped Allocate to commit');
    await new Promise((r) => setTimeout(r, 500));
    t.is(eips(w).length, 1, 'retries with the same ClientToken allocated nothing more');
    w.cloudSim.setFaults({});
    const res = await w.service.attach(attachReq(pod, 'c1', ip(1)), never());
    t.like(res.binding, { state: 'bound', allocationId: eips(w)[0]!.allocationId });
    t.is(eips(w).length, 1);
  },
);

test.serial('Associate commits but the answer is lost: the binding still completes on the same EIP', async (t) => {
  const w = await startWorld(t);
  w.cloudSim.setFaults({ AssociateEipAddress: { commitThenDropProbability: 1 } });
  const pod = await createPod(w, { name: 'web', annotations: EIP });
  const first = w.service.attach(attachReq(pod, 'c1', ip(2)), AbortSignal.timeout(1500)).catch((e: unknown) => e);
  await new Promise((r) => setTimeout(r, 800));
  w.cloudSim.setFaults({});
  await first;
  const res = await w.service.attach(attachReq(pod, 'c1', ip(2)), never());
  t.like(res.binding, { state: 'bound' });
  t.like(eips(w)[0], { status: 'InUse', binding: { privateIpAddress: ip(2) } });
  t.is(eips(w).length, 1);
});

test.serial('the cloud refuses every call (permission denied): a typed error and nothing allocated', async (t) => {
  const w = await startWorld(t);
  w.cloudSim.setFaults({ AllocateEipAddress: { errors: [{ code: 'Forbidden.RAM', status: 403, probability: 1 }] } });
  const pod = await createPod(w, { name: 'web', annotations: EIP });
  const err = await t.throwsAsync(w.service.attach(attachReq(pod, 'c1', ip(3)), never()));
  t.is((err as BindingError).code, 'CloudPermissionDenied');
  t.is(eips(w).length, 0);
  t.is(w.journal.bySandbox('c1', 'eth0')?.state, 'failed');
});
