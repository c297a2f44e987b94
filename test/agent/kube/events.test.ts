import test from 'ava';
import { Registry } from 'prom-client';
import { EventRecorder, type EventRecord, type EventSink } from '../../../agent/src/kube/events.js';
import { createKubeMetrics } from '../../../agent/src/kube/metrics.js';
import type { ObjectRef } from '../../../agent/src/kube/types.js';
import { silentLogger } from '../../../agent/src/log/logger.js';
import { ManualClock, settle } from './manual-clock.js';

class MemorySink implements EventSink {
  readonly events = new Map<string, EventRecord>();
  readonly writes: Array<{ op: 'create' | 'update'; name: string; count: number }> = [];
  failNext = 0;

  async create(event: EventRecord): Promise<void> {
    if (this.failNext > 0) {
      this.failNext--;
      throw new Error('api down');
    }
    this.events.set(`${event.namespace}/${event.name}`, structuredClone(event));
    this.writes.push({ op: 'create', name: event.name, count: event.count });
  }

  async update(namespace: string, name: string, count: number, lastTimestamp: Date): Promise<boolean> {
    const event = this.events.get(`${namespace}/${name}`);
    if (!event) return false;
    event.count = count;
    event.lastTimestamp = lastTimestamp;
    this.writes.push({ op: 'update', name, count });
    return true;
  }
}

const pod: ObjectRef = { kind: 'Pod', namespace: 'default', name: 'web-0', uid: 'uid-1' };

function setup(options: { qps?: number; burst?: number; maxPending?: number; aggregationWindowMs?: number } = {}) {
  const clock = new ManualClock();
  const sink = new MemorySink();
  const registry = new Registry();
  const metrics = createKubeMetrics(registry);
  const recorder = new EventRecorder(
    { component: 'podeip-agent', host: 'node-a', ...options },
    { sink, clock, logger: silentLogger, metrics },
  );
  const dropped = async (reason: string) =>
    (await metrics.eventsDropped.get()).values.find((v) => v.labels.reason === reason)?.value ?? 0;
  return { clock, sink, recorder, dropped };
}

test('a burst of the same event becomes one Event with the total count, later repeats update it', async (t) => {
  const { clock, sink, recorder } = setup();
  for (let i = 0; i < 100; i++) recorder.record(pod, 'Warning', 'AllocateFailed', 'quota exceeded');
  await settle();
  t.deepEqual(
    sink.writes.map((w) => [w.op, w.count]),
    [['create', 100]],
  );
  const [event] = [...sink.events.values()];
  t.like(event, {
    namespace: 'default',
    type: 'Warning',
    reason: 'AllocateFailed',
    message: 'quota exceeded',
    count: 100,
    involvedObject: { apiVersion: 'v1', kind: 'Pod', namespace: 'default', name: 'web-0', uid: 'uid-1' },
    source: { component: 'podeip-agent', host: 'node-a' },
  });
  t.regex(event!.name, /^web-0\.[0-9a-f]+$/);

  await clock.advance(30_000);
  recorder.record(pod, 'Warning', 'AllocateFailed', 'quota exceeded');
  recorder.record(pod, 'Warning', 'AllocateFailed', 'quota exceeded');
  await settle();
  t.deepEqual(sink.writes.at(-1), { op: 'update', name: event!.name, count: 102 });
  t.is(sink.events.size, 1);
  t.is(sink.events.get(`default/${event!.name}`)!.lastTimestamp.getTime(), clock.now());
  t.true(sink.events.get(`default/${event!.name}`)!.firstTimestamp.getTime() < clock.now());
});

test('different reasons or objects are different Events', async (t) => {
  const { sink, recorder } = setup();
  recorder.record(pod, 'Normal', 'Allocated', 'eip-1');
  recorder.record(pod, 'Normal', 'Associated', 'eip-1 on eni-1');
  recorder.record(
    { kind: 'PodEIP', namespace: 'default', name: 'web-0', uid: 'uid-2' },
    'Normal',
    'Allocated',
    'eip-1',
  );
  await settle();
  t.is(sink.events.size, 3);
  t.deepEqual([...sink.events.values()].map((e) => e.involvedObject.apiVersion).sort(), [
    'alibabacloud.com/v1beta1',
    'v1',
    'v1',
  ]);
});

test('an error storm of distinct messages is rate limited and bounded', async (t) => {
  const { clock, sink, recorder, dropped } = setup({ qps: 2, burst: 5, maxPending: 50 });
  for (let i = 0; i < 1000; i++) recorder.record(pod, 'Warning', 'AssociateFailed', `attempt ${i} failed`);
  await settle();
  t.is(sink.writes.length, 5, 'only the burst is written at once');
  t.is(await dropped('queue_full'), 1000 - 50, 'series beyond the pending bound are dropped and counted');
  await clock.advance(10_000);
  t.is(sink.writes.length, 5 + 20, 'then 2 per second');
  await clock.advance(60_000);
  t.is(sink.writes.length, 50, 'everything that was queued is written, nothing more');
});

test('repeats arriving while their series waits for the rate limit are merged into one write', async (t) => {
  const { clock, sink, recorder } = setup({ qps: 1, burst: 1 });
  recorder.record(pod, 'Warning', 'Other', 'first');
  recorder.record(pod, 'Warning', 'Failed', 'boom');
  for (let i = 0; i < 50; i++) recorder.record(pod, 'Warning', 'Failed', 'boom');
  await settle();
  t.is(sink.writes.length, 1);
  await clock.advance(1000);
  t.deepEqual(
    sink.writes.map((w) => w.count),
    [1, 51],
  );
});

test('after the aggregation window a repeat starts a new Event', async (t) => {
  const { clock, sink, recorder } = setup({ aggregationWindowMs: 60_000 });
  recorder.record(pod, 'Normal', 'Released', 'eip-1');
  await settle();
  await clock.advance(61_000);
  recorder.record(pod, 'Normal', 'Released', 'eip-1');
  await settle();
  t.deepEqual(
    sink.writes.map((w) => w.op),
    ['create', 'create'],
  );
  t.is(sink.events.size, 2);
});

test('an Event deleted by its TTL is recreated on the next repeat', async (t) => {
  const { sink, recorder } = setup();
  recorder.record(pod, 'Normal', 'Bound', 'x');
  await settle();
  sink.events.clear();
  recorder.record(pod, 'Normal', 'Bound', 'x');
  await settle();
  t.deepEqual(
    sink.writes.map((w) => [w.op, w.count]),
    [
      ['create', 1],
      ['create', 2],
    ],
  );
});

test('record never throws into the caller, and API errors are counted', async (t) => {
  const { sink, recorder, dropped } = setup();
  sink.failNext = 1;
  t.notThrows(() => recorder.record(pod, 'Warning', 'X', 'y'));
  await settle();
  t.is(await dropped('api_error'), 1);
  recorder.record(pod, 'Warning', 'X', 'y');
  await settle();
  t.deepEqual(
    sink.writes.map((w) => [w.op, w.count]),
    [['create', 2]],
    'the failed occurrence is kept in the count',
  );
});

test('close writes what is queued and ignores later records', async (t) => {
  const { clock, sink, recorder } = setup({ qps: 1, burst: 1 });
  recorder.record(pod, 'Normal', 'A', '1');
  recorder.record(pod, 'Normal', 'B', '2');
  await settle();
  const closing = recorder.close();
  await clock.advance(1000);
  await closing;
  t.is(sink.writes.length, 2);
  recorder.record(pod, 'Normal', 'C', '3');
  await settle();
  t.is(sink.writes.length, 2);
});

test('the pending bound also holds for repeats of series already written', async (t) => {
  const { clock, sink, recorder, dropped } = setup({ qps: 1, burst: 2, maxPending: 2 });
  recorder.record(pod, 'Warning', 'A', 'a');
  recorder.record(pod, 'Warning', 'B', 'b');
  await settle();
  t.is(sink.writes.length, 2);
  recorder.record(pod, 'Warning', 'C', 'c');
  recorder.record(pod, 'Warning', 'D', 'd');
  recorder.record(pod, 'Warning', 'A', 'a');
  t.is(await dropped('queue_full'), 1, "A's repeat finds the queue full");
  await clock.advance(2000);
  t.deepEqual(
    sink.writes.map((w) => w.op),
    ['create', 'create', 'create', 'create'],
  );
  recorder.record(pod, 'Warning', 'A', 'a');
  await clock.advance(1000);
  t.deepEqual(
    sink.writes.at(-1),
    { op: 'update', name: sink.writes[0]!.name, count: 3 },
    'the dropped occurrence is still counted',
  );
});
