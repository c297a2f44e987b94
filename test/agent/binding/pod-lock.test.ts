import test from 'ava';
import { KeyedMutex, Semaphore } from '../../../agent/src/binding/pod-lock.js';

const tick = () => new Promise((r) => setTimeout(r, 5));

test('KeyedMutex runs one holder per key at a time, in arrival order, and keys independently', async (t) => {
  const mutex = new KeyedMutex();
  const log: string[] = [];
  const job = (key: string, name: string) =>
    mutex.run(key, async () => {
      log.push(`${name}+`);
      await tick();
      log.push(`${name}-`);
      return name;
    });
  const results = await Promise.all([job('a', 'a1'), job('a', 'a2'), job('b', 'b1')]);
  t.deepEqual(results, ['a1', 'a2', 'b1']);
  t.true(log.indexOf('a1-') < log.indexOf('a2+'), 'a2 waits for a1');
  t.true(log.indexOf('b1+') < log.indexOf('a1-'), 'b does not wait for a');
  t.is(mutex.busyKeys, 0);
});

test('KeyedMutex releases the key when the holder throws', async (t) => {
  const mutex = new KeyedMutex();
  await t.throwsAsync(
    mutex.run('a', async () => {
      throw new Error('boom');
    }),
    { message: 'boom' },
  );
  t.is(await mutex.run('a', async () => 'next'), 'next');
});

test('Semaphore never exceeds its limit and lets an aborted waiter go', async (t) => {
  const sem = new Semaphore(2);
  let active = 0;
  let peak = 0;
  const work = () =>
    sem.run(async () => {
      active++;
      peak = Math.max(peak, active);
      await tick();
      active--;
    });
  await Promise.all([work(), work(), work(), work(), work()]);
  t.is(peak, 2);
  const blockers = [sem.run(() => tick()), sem.run(() => tick())];
  const controller = new AbortController();
  const waiting = sem.run(async () => 'never', controller.signal);
  controller.abort(new Error('gave up'));
  await t.throwsAsync(waiting, { message: 'gave up' });
  await Promise.all(blockers);
  t.is(sem.inUse, 0);
  t.throws(() => new Semaphore(0), { instanceOf: RangeError });
});
