import test from 'ava';
import { accountBudgets, nodeBudgets } from '../../../agent/src/cloud/budgets.js';
import { hashFraction, planShares, type FleetPlan } from '../../../agent/src/cloud/fleet-share.js';
import { ActionLimiter, type Slot } from '../../../agent/src/cloud/rate-limiter.js';
import { ManualClock } from './helpers/manual-clock.js';

const account = accountBudgets();
const caps = nodeBudgets(0.5);

function plan(members: string[], fleet: number): FleetPlan {
  return { seq: 7, fleet, demand: Object.fromEntries(members.map((m) => [m, { AllocateEipAddress: 3 }])) };
}

test('busy nodes the plan lists split the budget less the reserve equally; the sum stays under the budget', (t) => {
  const members = Array.from({ length: 200 }, (_, i) => `node-${i}`);
  const p = plan(members, 500);
  let sum = 0;
  for (const m of members) {
    const share = planShares({ plan: p, self: m, account, caps, reserve: 0.05 }).AssociateEipAddress;
    t.is(share.calls, (120 * 0.95) / 200);
    sum += share.calls;
  }
  t.true(sum <= 120 * 0.95 + 1e-9, `sum ${sum}`);
  const phases = new Set(
    members.map((m) => planShares({ plan: p, self: m, account, caps, reserve: 0.05 }).AssociateEipAddress.phase),
  );
  t.is(phases.size, 200, 'every listed node takes its turn at its own phase');
});

test('rateLimitShare caps one node; a node not listed yet takes budget / nodes of the cluster, and no more until listed twice', (t) => {
  const alone = planShares({ plan: plan(['a'], 50), self: 'a', account, caps, reserve: 0.05 });
  t.is(alone.AllocateEipAddress.calls, 60, 'alone: the per-node cap (0.5 x 120)');
  const newcomer = planShares({ plan: plan(['a'], 50), self: 'b', account, caps, reserve: 0.05 });
  t.is(newcomer.AllocateEipAddress.calls, (120 * 0.95) / 50);
  t.is(newcomer.AllocateEipAddress.phase, hashFraction('b'));
  const warming = planShares({ plan: plan(['a', 'b'], 50), self: 'b', account, caps, reserve: 0.05, warmingUp: true });
  t.is(warming.AllocateEipAddress.calls, (120 * 0.95) / 50);
  const warm = planShares({ plan: plan(['a', 'b'], 50), self: 'b', account, caps, reserve: 0.05 });
  t.is(warm.AllocateEipAddress.calls, 57);
});

function take(limiter: ActionLimiter, n: number): number[] {
  const starts: number[] = [];
  for (let i = 0; i < n; i++)
    void limiter.acquire().then((slot: Slot) => {
      starts.push(slot.startedAt);
      slot.finish();
    });
  return starts;
}

test("a planned share under one call per window: one call per stretched window, the first at the node's phase", async (t) => {
  const clock = new ManualClock();
  const limiter = new ActionLimiter({ calls: 60, windowMs: 1000 }, clock);
  limiter.setPlan({ calls: 0.25, phase: 0.5 });
  t.is(limiter.state().windowMs, 4000);
  const t0 = clock.now();
  const starts = take(limiter, 3);
  await clock.advance(12_000);
  const offset = (((0.5 * 4000 - t0) % 4000) + 4000) % 4000;
  t.deepEqual(
    starts.map((s) => s - t0),
    [offset, offset + 4000, offset + 8000],
  );
});

test('a share below one call still gets its turn when timers fire late', async (t) => {
  const manual = new ManualClock();
  const late = { now: () => manual.now(), setTimer: (fn: () => void, ms: number) => manual.setTimer(fn, ms + 3) };
  const limiter = new ActionLimiter({ calls: 60, windowMs: 1000 }, late);
  limiter.setPlan({ calls: 1 / 3, phase: 0.25 });
  const t0 = manual.now();
  const starts = take(limiter, 2);
  await manual.advance(7000);
  t.is(starts.length, 2, 'neither call waits for ever behind a turn that moves on');
  t.true(starts[0]! - t0 <= 3000 + 3, `first call after ${starts[0]! - t0} ms`);
  t.true(starts[1]! - starts[0]! >= 3000, 'then one call per stretched window');
});

test("a planned share of c > 1: floor(c) calls per budget window, and the fraction as an extra call at the node's turn; no plan goes back to the configured limit", async (t) => {
  const clock = new ManualClock();
  const limiter = new ActionLimiter({ calls: 60, windowMs: 1000 }, clock);
  // 2.5 calls: 2 per window, plus one extra every 1000 / 0.5 = 2000 ms at a quarter of that period.
  limiter.setPlan({ calls: 2.5, phase: 0.25 });
  t.like(limiter.state(), { limit: 2, currentLimit: 2, windowMs: 1000, planned: true });
  const t0 = clock.now();
  const starts = take(limiter, 8);
  await clock.advance(3000);
  t.deepEqual(
    starts.map((s) => s - t0),
    [0, 0, 500, 1000, 1000, 2000, 2000, 2500],
  );
  limiter.setPlan(undefined);
  t.like(limiter.state(), { limit: 60, currentLimit: 2, planned: false }, 'AIMD goes on from where the plan left it');
  limiter.onSuccess();
  t.is(limiter.state().currentLimit, 3);
});

test('50 nodes sharing 114 of 120 calls a window use all 114, and no window of the server sees more than 120', async (t) => {
  const clock = new ManualClock();
  const window = 1000;
  const nodes = 50;
  const perNode: number[][] = [];
  const t0 = clock.now();
  for (let i = 0; i < nodes; i++) {
    const limiter = new ActionLimiter({ calls: 60, windowMs: window }, clock);
    limiter.setPlan({ calls: 114 / nodes, phase: i / nodes });
    perNode.push(take(limiter, 60));
  }
  const windows = 20;
  await clock.advance(windows * window - 1);
  const inRun = perNode.flat().filter((s) => s < t0 + windows * window);
  let most = 0;
  for (const s of inRun) most = Math.max(most, inRun.filter((x) => x >= s && x < s + window).length);
  t.true(most <= 120, `at most ${most} calls in one window`);
  // floor(2.28) = 2 per node would be 100 a window.
  t.true(inRun.length >= 114 * windows * 0.97, `${inRun.length} calls in ${windows} windows`);
});

test('held: no call goes out until released; demand counts waiting and in-flight calls', async (t) => {
  const clock = new ManualClock();
  const limiter = new ActionLimiter({ calls: 10, windowMs: 1000 }, clock);
  limiter.hold(true);
  const slots: Slot[] = [];
  for (let i = 0; i < 3; i++) void limiter.acquire().then((s) => slots.push(s));
  await clock.advance(5000);
  t.is(slots.length, 0);
  t.is(limiter.demand(), 3);
  limiter.hold(false);
  await clock.advance(0);
  t.is(slots.length, 3);
  t.is(limiter.demand(), 3, 'in flight until answered');
  for (const s of slots) s.finish();
  t.is(limiter.demand(), 0);
});
