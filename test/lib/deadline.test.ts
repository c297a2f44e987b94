/** lib/deadline.ts: the signal fires with its parents or at its time, and clear() lets go of both. */
import test from 'ava';
import { deadline } from '../../lib/deadline.js';

const wait = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

test('fires at its time with a TimeoutError, like AbortSignal.timeout', async (t) => {
  const d = deadline([new AbortController().signal], 50);
  t.false(d.signal.aborted);
  await wait(120);
  t.true(d.signal.aborted);
  t.is((d.signal.reason as DOMException).name, 'TimeoutError');
});

test("fires with a parent, carrying the parent's reason, and stops its timer", async (t) => {
  const parent = new AbortController();
  const d = deadline([new AbortController().signal, parent.signal], 60_000);
  const reason = new Error('caller hung up');
  parent.abort(reason);
  t.true(d.signal.aborted);
  t.is(d.signal.reason, reason);
});

test('an already aborted parent aborts it at once', (t) => {
  const parent = AbortSignal.abort('gone');
  t.is(deadline([parent], 60_000).signal.reason, 'gone');
});

test('clear() stops the timer and unhooks the parents: nothing fires afterwards', async (t) => {
  const parent = new AbortController();
  const d = deadline([parent.signal], 40, () => new Error('late'));
  d.clear();
  parent.abort(new Error('after clear'));
  await wait(100);
  t.false(d.signal.aborted);
});

test('a custom reason is used for the timeout', async (t) => {
  const d = deadline([], 10, () => new Error('the attach took too long'));
  await wait(60);
  t.is((d.signal.reason as Error).message, 'the attach took too long');
});
