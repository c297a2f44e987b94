import test from 'ava';
import { backoffDelay } from '../../../agent/src/retry/index.js';

const policy = { baseMs: 200, maxMs: 10_000 };

test('doubles per attempt with equal jitter, capped', (t) => {
  t.is(
    backoffDelay(1, policy, () => 0),
    100,
  );
  t.is(
    backoffDelay(1, policy, () => 0.999999),
    200,
  );
  t.is(
    backoffDelay(2, policy, () => 0),
    200,
  );
  t.is(
    backoffDelay(3, policy, () => 0.5),
    600,
  );
  t.is(
    backoffDelay(20, policy, () => 0),
    5000,
  );
  t.is(
    backoffDelay(20, policy, () => 0.999999),
    10_000,
  );
});

test('jitter spreads delays across the upper half of the step', (t) => {
  const seen = new Set<number>();
  for (let i = 0; i < 200; i++) {
    const d = backoffDelay(4, policy, Math.random);
    t.true(d >= 800 && d <= 1600);
    seen.add(d);
  }
  t.true(seen.size > 50);
});
