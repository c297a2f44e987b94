import test from 'ava';
import { EipPoller } from '../../../agent/src/cloud/poller.js';
import { CloudError } from '../../../agent/src/cloud/errors.js';
import type { Eip, EipStatus } from '../../../agent/src/cloud/types.js';
import { silentLogger } from '../../../agent/src/log/logger.js';
import { ManualClock, settle } from './helpers/manual-clock.js';

function eip(id: string, status: EipStatus): Eip {
  return {
    allocationId: id,
    ipAddress: '1.2.3.4',
    status,
    instanceId: '',
    instanceType: '',
    privateIpAddress: '',
    bandwidth: '5',
    internetChargeType: '',
    chargeType: '',
    isp: '',
    name: '',
    description: '',
    resourceGroupId: '',
    publicIpAddressPoolId: '',
    bandwidthPackageId: '',
    allocationTime: '',
    tags: {},
  };
}

test('one describe per waited EIP per tick, however many waiters; settles when out of transition and done', async (t) => {
  const clock = new ManualClock();
  const states = new Map<string, Eip | undefined>([
    ['eip-a', eip('eip-a', 'Associating')],
    ['eip-b', eip('eip-b', 'Unassociating')],
  ]);
  const described: string[][] = [[]];
  const poller = new EipPoller({
    describe: async (id) => {
      described.at(-1)!.push(id);
      return states.get(id);
    },
    clock,
    intervalMs: 500,
    logger: silentLogger,
  });
  const a1 = poller.wait('eip-a', (e) => e?.status === 'InUse');
  const a2 = poller.wait('eip-a', (e) => e?.status === 'InUse');
  const b = poller.wait('eip-b', () => true);
  let bDone = 'pending' as Eip | undefined | 'pending';
  void b.then((v) => {
    bDone = v;
  });
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
  let fail: CloudError | undefined = new CloudError('CloudUnavailable', 'down', {
    action: 'DescribeEipAddresses',
    cloudCode: 'ServiceUnavailable',
    httpStatus: 503,
    requestId: 'r',
    retryable: true,
  });
  const poller = new EipPoller({
    describe: async (id) => {
      if (fail) throw fail;
      return eip(id, 'InUse');
    },
    clock,
    intervalMs: 100,
    logger: silentLogger,
  });
  const ac = new AbortController();
  const aborted = poller.wait('eip-x', () => true, ac.signal);
  const w = poller.wait('eip-y', () => true);
  await clock.advance(100);
  t.is(poller.watching, 2);
  ac.abort(new Error('deadline'));
  await t.throwsAsync(aborted, { message: 'deadline' });
  fail = new CloudError('CloudPermissionDenied', 'no', {
    action: 'DescribeEipAddresses',
    cloudCode: 'Forbidden.RAM',
    httpStatus: 403,
    requestId: 'r',
    retryable: false,
  });
  await clock.advance(100);
  await t.throwsAsync(w, { instanceOf: CloudError, message: 'no' });
  fail = undefined;
  const ok = poller.wait('eip-z', () => true);
  await clock.advance(100);
  t.is((await ok)?.allocationId, 'eip-z');
  poller.close();
  await settle();
});

/**
 * EIPs that settle `transitionMs` after their wait begins, described with `latencyMs` of round
 * trip and seen as the cloud has them when the answer leaves (as the cloud simulator does).
 */
function transitions(clock: ManualClock, latencyMs: number) {
  let startedAt = 0;
  let transitionMs = 0;
  let describes = 0;
  const poller = new EipPoller({
    describe: async (id) => {
      describes++;
      await new Promise<void>((r) => clock.setTimer(r, latencyMs));
      return eip(id, clock.now() - startedAt >= transitionMs ? 'InUse' : 'Associating');
    },
    clock,
    intervalMs: 500,
    maxIntervalMs: 2000,
    logger: silentLogger,
  });
  /** One wait for a transition of `ms`; how late it settled after the transition ended, and its describes. */
  const wait = async (ms: number): Promise<{ lateMs: number; describes: number }> => {
    transitionMs = ms;
    startedAt = clock.now();
    describes = 0;
    let settledAt: number | undefined;
    void poller
      .wait('eip-a', (e) => e?.status === 'InUse')
      .then(() => {
        settledAt = clock.now();
      });
    while (settledAt === undefined) await clock.advance(5);
    return { lateMs: settledAt - startedAt - ms, describes };
  };
  return { wait, poller };
}

test('a wait learns when transitions end: after a few waits one describe sees the EIP settle within a round trip', async (t) => {
  const clock = new ManualClock();
  const { wait, poller } = transitions(clock, 80);
  const first = await wait(1500);
  t.true(
    first.lateMs <= 500 + 80,
    `the first wait knows nothing yet and describes every interval (${first.lateMs} ms late)`,
  );
  t.true(first.describes >= 3, `${first.describes} describes`);
  const later: Array<{ lateMs: number; describes: number }> = [];
  const learning: number[] = [];
  for (let i = 0; i < 4; i++) learning.push(Math.round((await wait(1500)).lateMs));
  t.log(`first wait ${Math.round(first.lateMs)} ms late, then ${learning.join(', ')}`);
  for (let i = 0; i < 16; i++) later.push(await wait(1500));
  const late = later.map((w) => w.lateMs).sort((a, b) => a - b);
  t.true(late[Math.floor(late.length / 2)]! <= 50, `median lateness ${late[Math.floor(late.length / 2)]} ms`);
  t.true(late.at(-1)! <= 2 * 80, `worst lateness ${late.at(-1)} ms`);
  const describes = later.reduce((n, w) => n + w.describes, 0) / later.length;
  t.true(describes <= 1.8, `describes per wait ${describes}`);
  t.log(`steady: ${late.join(', ')} ms late; ${describes} describes per wait`);
  poller.close();
});

test('a wait follows transitions that get slower or faster', async (t) => {
  const clock = new ManualClock();
  const { wait, poller } = transitions(clock, 80);
  for (let i = 0; i < 8; i++) await wait(1500);
  const slower = [];
  for (let i = 0; i < 8; i++) slower.push(await wait(1900));
  t.true(
    slower[0]!.lateMs <= 500 + 2 * 80,
    `the first slower wait backs off from one interval (${slower[0]!.lateMs} ms late)`,
  );
  t.true(
    slower.slice(2).every((w) => w.lateMs <= 2 * 80),
    `slower: ${slower.map((w) => w.lateMs).join(', ')} ms late`,
  );
  const faster = [];
  for (let i = 0; i < 12; i++) faster.push(await wait(1000));
  t.true(
    faster.slice(6).every((w) => w.lateMs <= 2 * 80),
    `faster: ${faster.map((w) => w.lateMs).join(', ')} ms late`,
  );
  t.log(
    `slower: ${slower.map((w) => Math.round(w.lateMs)).join(', ')}; faster: ${faster.map((w) => Math.round(w.lateMs)).join(', ')} ms late`,
  );
  poller.close();
});
