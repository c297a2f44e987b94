import test from 'ava';
import { EipPoller } from '../../agent/src/cloud/poller.js';
import { CloudError } from '../../agent/src/cloud/errors.js';
import type { Eip, EipStatus } from '../../agent/src/cloud/types.js';
import { silentLogger } from '../../agent/src/log/logger.js';
import { ManualClock, settle } from './helpers/manual-clock.js';

function eip(id: string, status: EipStatus): Eip {
  return {
    allocationId: id, ipAddress: '1.2.3.4', status, instanceId: '', instanceType: '', privateIpAddress: '', bandwidth: '5',
    internetChargeType: '', chargeType: '', isp: '', name: '', description: '', resourceGroupId: '', publicIpAddressPoolId: '',
    bandwidthPackageId: '', allocationTime: '', tags: {},
  };
}

test('one describe per waited EIP per tick, however many waiters; settles when out of transition and done', async (t) => {
  const clock = new ManualClock();
  const states = new Map<string, Eip | undefined>([['eip-a', eip('eip-a', 'Associating')], ['eip-b', eip('eip-b', 'Unassociating')]]);
  const described: string[][] = [[]];
  const poller = new EipPoller({
    describe: async (id) => { described.at(-1)!.push(id); return states.get(id); },
    clock, intervalMs: 500, logger: silentLogger,
  });
  const a1 = poller.wait('eip-a', (e) => e?.status === 'InUse');
  const a2 = poller.wait('eip-a', (e) => e?.status === 'InUse');
  const b = poller.wait('eip-b', () => true);
  let bDone = 'pending' as Eip | undefined | 'pending';
  void b.then((v) => { bDone = v; });
  await clock.advance(500);
  t.deepEqual(described[0]!.sort(), ['eip-a', 'eip-b'], 'both EIPs in one tick, each once');
  t.is(bDone, 'pending');
  described.push([]);
  states.set('eip-b', undefined);
  states.set('eip-a', eip('eip-a', 'Available'));
  await clock.advance(500);
  t.is(bDone, undefined, 'a vanished EIP settles with undefined');
  t.is(poller.watching, 1, 'Available does not satisfy InUse: keep waiting');
  states.set('eip-a', eip('eip-a', 'InUse'));
  await clock.advance(500);
  t.is((await a1)?.status, 'InUse');
  t.is((await a2)?.status, 'InUse');
  t.is(poller.watching, 0);
  t.is(clock.pendingTimers, 0, 'no ticks while nobody waits');
});

test('a permanent describe failure rejects the waiters; a retryable one keeps polling; abort removes a waiter', async (t) => {
  const clock = new ManualClock();
  let fail: CloudError | undefined = new CloudError('CloudUnavailable', 'down', { action: 'DescribeEipAddresses', cloudCode: 'ServiceUnavailable', httpStatus: 503, requestId: 'r', retryable: true });
  const poller = new EipPoller({
    describe: async (id) => { if (fail) throw fail; return eip(id, 'InUse'); },
    clock, intervalMs: 100, logger: silentLogger,
  });
  const ac = new AbortController();
  const aborted = poller.wait('eip-x', () => true, ac.signal);
  const w = poller.wait('eip-y', () => true);
  await clock.advance(100);
  t.is(poller.watching, 2);
  ac.abort(new Error('deadline'));
  await t.throwsAsync(aborted, { message: 'deadline' });
  fail = new CloudError('CloudPermissionDenied', 'no', { action: 'DescribeEipAddresses', cloudCode: 'Forbidden.RAM', httpStatus: 403, requestId: 'r', retryable: false });
  await clock.advance(100);
  await t.throwsAsync(w, { instanceOf: CloudError, message: 'no' });
  fail = undefined;
  const ok = poller.wait('eip-z', () => true);
  await clock.advance(100);
  t.is((await ok)?.allocationId, 'eip-z');
  poller.close();
  await settle();
});
