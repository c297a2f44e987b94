import test from 'ava';
import { ActionLimiter, type Slot } from '../../../agent/src/cloud/rate-limiter.js';
import { nodeBudgets, DOCUMENTED_BUDGETS } from '../../../agent/src/cloud/budgets.js';
import { CloudConfigError } from '../../../agent/src/cloud/errors.js';
import { ManualClock, settle } from './helpers/manual-clock.js';

const WINDOW = 1000;

/** Acquires n slots; each call is answered at once unless `hold` (then the test settles it). */
function collect(
  limiter: ActionLimiter,
  n: number,
  signal?: AbortSignal,
  hold = false,
): { starts: number[]; slots: Slot[]; errors: unknown[] } {
  const out = { starts: [] as number[], slots: [] as Slot[], errors: [] as unknown[] };
  for (let i = 0; i < n; i++) {
    limiter.acquire(signal).then(
      (slot) => {
        out.starts.push(slot.startedAt);
        out.slots.push(slot);
        if (!hold) slot.finish();
      },
      (e) => out.errors.push(e),
    );
  }
  return out;
}

function maxInAnyWindow(starts: number[], windowMs: number): number {
  let max = 0;
  for (const s of starts) max = Math.max(max, starts.filter((x) => x >= s && x < s + windowMs).length);
  return max;
}

test('never lets more than the limit start in any window, and uses the whole budget', async (t) => {
  const clock = new ManualClock();
  const limiter = new ActionLimiter({ calls: 5, windowMs: 1000 }, clock);
  const { starts } = collect(limiter, 23);
  await settle();
  t.is(starts.length, 5, 'the first window admits exactly the limit at once');
  await clock.advance(10 * WINDOW);
  t.is(starts.length, 23);
  t.true(maxInAnyWindow(starts, 1000) <= 5);
  // 23 calls at 5 per window: the last starts in the 5th window (4 windows after the first).
  t.is(starts[22]! - starts[0]!, 4 * WINDOW);
});

test('Throttling pauses until retry-after, halves the rate once per round, and successes restore it', async (t) => {
  const clock = new ManualClock();
  const limiter = new ActionLimiter({ calls: 8, windowMs: 1000 }, clock);
  const first = collect(limiter, 8, undefined, true);
  await settle();
  t.is(first.starts.length, 8);
  // Every call of that round is throttled: one cut, not eight; the server did not count them.
  for (const s of first.slots) {
    limiter.onThrottled(s.startedAt, 300);
    s.refund();
  }
  t.is(limiter.state().inWindow, 0);
  t.is(limiter.state().currentLimit, 4);
  t.is(limiter.state().pausedForMs, 300);
  const next = collect(limiter, 1);
  await clock.advance(299);
  t.is(next.starts.length, 0, 'paused until retry-after');
  await clock.advance(WINDOW);
  t.is(next.starts.length, 1);
  // A call started after the cut and throttled again cuts again.
  limiter.onThrottled(next.starts[0]!, 0);
  t.is(limiter.state().currentLimit, 2);
  for (let i = 0; i < 10; i++) limiter.onSuccess();
  t.is(limiter.state().currentLimit, 8, 'recovers additively up to the configured limit, not beyond');
});

test('a call holds its place while in flight and for one window after its answer; a refund frees it', async (t) => {
  const clock = new ManualClock();
  const limiter = new ActionLimiter({ calls: 2, windowMs: 1000 }, clock);
  const held = collect(limiter, 2, undefined, true);
  const next = collect(limiter, 2);
  await settle();
  await clock.advance(5000);
  t.is(next.starts.length, 0, 'two calls in flight fill the window however long they take');
  held.slots[0]!.finish();
  await clock.advance(WINDOW - 1);
  t.is(next.starts.length, 0, 'the answered call stays one window from its answer');
  await clock.advance(1);
  t.is(next.starts.length, 1);
  held.slots[1]!.refund();
  await settle();
  t.is(next.starts.length, 2, 'a refunded place is free at once');
});

test('a missing retry-after still pauses (one second or one window)', async (t) => {
  const clock = new ManualClock();
  const limiter = new ActionLimiter({ calls: 2, windowMs: 60_000 }, clock);
  const r = collect(limiter, 1);
  await settle();
  limiter.onThrottled(r.starts[0]!, undefined);
  t.is(limiter.state().pausedForMs, 1000);
});

test('an aborted waiter leaves the queue and the others keep their order', async (t) => {
  const clock = new ManualClock();
  const limiter = new ActionLimiter({ calls: 1, windowMs: 1000 }, clock);
  const ac = new AbortController();
  const a = collect(limiter, 1);
  const b = collect(limiter, 1, ac.signal);
  const c = collect(limiter, 1);
  await settle();
  ac.abort(new Error('caller gave up'));
  await settle();
  t.is((b.errors[0] as Error).message, 'caller gave up');
  t.is(limiter.state().queued, 1);
  await clock.advance(WINDOW);
  t.is(a.starts.length, 1);
  t.is(c.starts.length, 1);
  t.is(c.starts[0]! - a.starts[0]!, WINDOW);
});

test('close rejects queued callers', async (t) => {
  const clock = new ManualClock();
  const limiter = new ActionLimiter({ calls: 1, windowMs: 1000 }, clock);
  const r = collect(limiter, 3);
  await settle();
  limiter.close();
  await settle();
  t.is(r.starts.length, 1);
  t.is(r.errors.length, 2);
});

test('node budgets are the documented ones times the share, at least one call', (t) => {
  const b = nodeBudgets(0.5);
  t.deepEqual(b.AllocateEipAddress, { calls: 60, windowMs: 60_000 });
  t.deepEqual(b.DescribeEipAddresses, { calls: 300, windowMs: 60_000 });
  t.is(DOCUMENTED_BUDGETS.ReleaseEipAddress.calls, 600);
  t.is(nodeBudgets(0.001).AssociateEipAddress.calls, 1);
  t.deepEqual(nodeBudgets(1, { AllocateEipAddress: { calls: 50, windowMs: 1000 } }).AllocateEipAddress, {
    calls: 50,
    windowMs: 1000,
  });
  const bad = t.throws(() => nodeBudgets(0), { instanceOf: CloudConfigError });
  t.regex(bad.message, /budgetShare/);
  t.throws(() => nodeBudgets(1.5), { instanceOf: CloudConfigError });
  t.throws(() => nodeBudgets(1, { AllocateEipAddress: { calls: 0, windowMs: 1000 } }), {
    message: /budgets\.AllocateEipAddress/,
  });
  t.throws(() => nodeBudgets(1, { Bogus: { calls: 1, windowMs: 1000 } } as never), {
    message: /budgets\.Bogus: unknown action/,
  });
});
