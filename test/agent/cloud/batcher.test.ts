import test from 'ava';
import { BatchPartialFailure, KeyedBatcher } from '../../../agent/src/cloud/batcher.js';
import { settle } from './helpers/manual-clock.js';

/** A gate the test opens by hand, like a limiter with no capacity left. */
function manualGate() {
  const waiting: ((t: number) => void)[] = [];
  return {
    gate: () => new Promise<number>((r) => waiting.push(r)),
    open: () => waiting.shift()?.(42),
    get waiting() {
      return waiting.length;
    },
  };
}

test('concurrent gets of different keys share one call of at most maxBatch keys; the same key shares a slot', async (t) => {
  const g = manualGate();
  const calls: string[][] = [];
  const b = new KeyedBatcher<string, string, number>({
    maxBatch: 50,
    gate: g.gate,
    unused: () => t.fail('every ticket is used'),
    exec: async (keys, slotAt) => {
      calls.push(keys);
      t.is(slotAt, 42);
      return new Map(keys.filter((k) => k !== 'k7').map((k) => [k, `v-${k}`]));
    },
  });
  const ps = Array.from({ length: 120 }, (_, i) => b.get(`k${i}`));
  const dup = b.get('k3');
  await settle();
  t.is(g.waiting, 1, 'only one batch waits at the gate');
  g.open();
  await settle();
  t.is(g.waiting, 1, 'the rest wait for the next slot');
  g.open();
  await settle();
  g.open();
  const values = await Promise.all(ps);
  t.deepEqual(
    calls.map((c) => c.length),
    [50, 50, 20],
  );
  t.is(values[3], 'v-k3');
  t.is(await dup, 'v-k3');
  t.is(values[7], undefined, 'a key missing from the answer resolves undefined');
  t.is(new Set(calls.flat()).size, 120);
});

test('keys that arrive while a batch waits for its slot join it', async (t) => {
  const g = manualGate();
  const calls: string[][] = [];
  const b = new KeyedBatcher<string, number, number>({
    maxBatch: 50,
    gate: g.gate,
    unused: () => {},
    exec: async (keys) => {
      calls.push(keys);
      return new Map(keys.map((k) => [k, 1]));
    },
  });
  const a = b.get('a');
  await settle();
  const later = b.get('b');
  await settle();
  g.open();
  await Promise.all([a, later]);
  t.deepEqual(calls, [['a', 'b']]);
});

test('an aborted caller leaves the batch; a failing batch rejects its callers; partial failures go to their own keys', async (t) => {
  const g = manualGate();
  let mode: 'fail' | 'partial' = 'fail';
  const unused: number[] = [];
  const b = new KeyedBatcher<string, true, number>({
    maxBatch: 50,
    gate: g.gate,
    unused: (ticket) => unused.push(ticket),
    exec: async (keys) => {
      if (mode === 'fail') throw new Error('batch broke');
      throw new BatchPartialFailure(
        new Map(keys.filter((k) => k !== 'bad').map((k) => [k, true as const])),
        new Map([['bad', new Error('bad id')]]),
      );
    },
  });
  const ac = new AbortController();
  const gone = b.get('x', ac.signal);
  const kept = b.get('y');
  ac.abort(new Error('caller left'));
  await t.throwsAsync(gone, { message: 'caller left' });
  await settle();
  g.open();
  await t.throwsAsync(kept, { message: 'batch broke' });
  const ac2 = new AbortController();
  const alone = b.get('z', ac2.signal);
  await settle();
  ac2.abort(new Error('left too'));
  await t.throwsAsync(alone);
  g.open();
  await settle();
  t.deepEqual(unused, [42], 'a slot no batch used is given back');
  mode = 'partial';
  const good = b.get('good');
  const bad = b.get('bad');
  await settle();
  g.open();
  t.true(await good);
  await t.throwsAsync(bad, { message: 'bad id' });
});
