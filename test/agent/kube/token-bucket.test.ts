import test from 'ava';
import { KubeOptionError } from '../../../agent/src/kube/errors.js';
import { TokenBucket } from '../../../agent/src/kube/token-bucket.js';
import { ManualClock, settle } from './manual-clock.js';

test('burst is available at once, then tokens come at qps', async (t) => {
  const clock = new ManualClock();
  const bucket = new TokenBucket(5, 3, clock);
  let granted = 0;
  const all = Array.from({ length: 8 }, () =>
    bucket.take().then(() => {
      granted += 1;
    }),
  );
  await settle();
  t.is(granted, 3, 'the burst of 3 is granted without waiting');
  await clock.advance(199);
  t.is(granted, 3, 'no token before 1/qps = 200 ms');
  await clock.advance(1);
  t.is(granted, 4);
  await clock.advance(800);
  t.is(granted, 8, 'one more every 200 ms');
  await Promise.all(all);
});

test('waiters are served in arrival order', async (t) => {
  const clock = new ManualClock();
  const bucket = new TokenBucket(1, 1, clock);
  const order: number[] = [];
  const all = [1, 2, 3].map((n) =>
    bucket.take().then(() => {
      order.push(n);
    }),
  );
  await clock.advance(3000);
  await Promise.all(all);
  t.deepEqual(order, [1, 2, 3]);
});

test('an aborted waiter rejects and does not consume a token', async (t) => {
  const clock = new ManualClock();
  const bucket = new TokenBucket(1, 1, clock);
  await bucket.take();
  const controller = new AbortController();
  const aborted = bucket.take(controller.signal);
  const next = bucket.take();
  controller.abort(new Error('caller gave up'));
  await t.throwsAsync(aborted, { message: 'caller gave up' });
  let done = false;
  void next.then(() => {
    done = true;
  });
  await clock.advance(999);
  t.false(done);
  await clock.advance(1);
  t.true(done, 'the next waiter got the token the aborted one would have had');
});

test('idle time refills up to the burst, not beyond', async (t) => {
  const clock = new ManualClock();
  const bucket = new TokenBucket(10, 4, clock);
  for (let i = 0; i < 4; i++) t.true(bucket.tryTake());
  t.false(bucket.tryTake());
  await clock.advance(60_000);
  for (let i = 0; i < 4; i++) t.true(bucket.tryTake());
  t.false(bucket.tryTake(), 'a minute idle gives back only the burst');
});

test('bad settings name the option', (t) => {
  const clock = new ManualClock();
  t.throws(() => new TokenBucket(0, 5, clock), {
    instanceOf: KubeOptionError,
    message: /kubeClientQPS must be a positive number/,
  });
  t.throws(() => new TokenBucket(5, 0.5, clock), {
    instanceOf: KubeOptionError,
    message: /kubeClientBurst must be an integer >= 1/,
  });
});
