import test from 'ava';
import { Registry } from 'prom-client';
import { CallRunner } from '../../../agent/src/cloud/call-runner.js';
import { nodeBudgets } from '../../../agent/src/cloud/budgets.js';
import { CloudError } from '../../../agent/src/cloud/errors.js';
import { createCloudMetrics } from '../../../agent/src/cloud/metrics.js';
import { RateLimiter } from '../../../agent/src/cloud/rate-limiter.js';
import { silentLogger } from '../../../agent/src/log/logger.js';
import { ManualClock, settle } from './helpers/manual-clock.js';

function setup() {
  const clock = new ManualClock();
  const registry = new Registry();
  const limiter = new RateLimiter(nodeBudgets(1, { AllocateEipAddress: { calls: 10, windowMs: 1000 } }), clock);
  const runner = new CallRunner({
    limiter,
    metrics: createCloudMetrics(registry),
    logger: silentLogger,
    clock,
    random: () => 0,
    backoff: { baseMs: 100, maxMs: 1000 },
    defaultDeadlineMs: 5000,
    redact: (s) => s,
  });
  return { clock, registry, limiter, runner };
}

const throttled = () =>
  Object.assign(new Error('Throttling.User'), {
    name: 'ThrottlingError',
    code: 'Throttling.User',
    statusCode: 400,
    requestId: 'R-T',
    retryAfter: 700,
    data: { Message: 'Request was denied due to user flow control.' },
  });
const reset = () => Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
const ok = { statusCode: 200, body: { requestId: 'R-OK', allocationId: 'eip-1' } };

async function metric(registry: Registry, name: string): Promise<Record<string, number>> {
  const m = (await registry.getMetricsAsJSON()).find((x) => x.name === name)!;
  const out: Record<string, number> = {};
  for (const v of m.values as { labels: Record<string, string>; value: number; metricName?: string }[]) {
    if (v.metricName && !v.metricName.endsWith('_count') && String(m.type) === 'histogram') continue;
    out[Object.values(v.labels).join('/')] = v.value;
  }
  return out;
}

test('retries network failures with backoff and Throttling after retry-after, sending the same request', async (t) => {
  const { clock, registry, runner, limiter } = setup();
  const answers: unknown[] = [reset(), throttled(), ok];
  const sent: number[] = [];
  const p = runner.run('AllocateEipAddress', async () => {
    sent.push(clock.now());
    const a = answers.shift();
    if (a instanceof Error) throw a;
    return a as typeof ok;
  });
  await settle();
  t.is(sent.length, 1);
  await clock.advance(49);
  t.is(sent.length, 1, 'first backoff is 50..100 ms');
  await clock.advance(1);
  t.is(sent.length, 2);
  t.is(limiter.for('AllocateEipAddress').state().currentLimit, 5, 'Throttling halved the limit');
  await clock.advance(699);
  t.is(sent.length, 2, 'held until retry-after');
  await clock.advance(1);
  const answer = await p;
  t.is(answer.body.allocationId, 'eip-1');
  t.is(sent.length, 3);
  t.deepEqual(await metric(registry, 'podeip_cloud_requests_total'), {
    'AllocateEipAddress/ECONNRESET': 1,
    'AllocateEipAddress/Throttling.User': 1,
    'AllocateEipAddress/Success': 1,
  });
  t.deepEqual(await metric(registry, 'podeip_cloud_throttled_total'), { AllocateEipAddress: 1 });
  t.deepEqual(await metric(registry, 'podeip_cloud_retries_total'), { AllocateEipAddress: 2 });
  t.deepEqual(await metric(registry, 'podeip_cloud_request_duration_seconds'), { AllocateEipAddress: 3 });
  t.deepEqual(await metric(registry, 'podeip_cloud_limiter_wait_seconds'), { AllocateEipAddress: 3 });
});

test('a permanent failure is thrown at once as a CloudError', async (t) => {
  const { runner } = setup();
  let calls = 0;
  const e = await t.throwsAsync(
    runner.run('AllocateEipAddress', async () => {
      calls++;
      throw Object.assign(new Error('x'), {
        name: 'ClientError',
        code: 'QuotaExceeded.Eip',
        statusCode: 400,
        requestId: 'R-Q',
        data: { Message: 'quota' },
      });
    }),
    { instanceOf: CloudError },
  );
  t.is(e.code, 'EipQuotaExceeded');
  t.is(e.requestId, 'R-Q');
  t.is(calls, 1);
});

test("the caller's signal ends the retries with CloudDeadlineExceeded carrying the last failure", async (t) => {
  const { clock, runner } = setup();
  const ac = new AbortController();
  const p = runner.run(
    'AllocateEipAddress',
    async () => {
      throw Object.assign(new Error('x'), {
        name: 'ServerError',
        code: 'ServiceUnavailable',
        statusCode: 503,
        requestId: 'R-5',
        data: {},
      });
    },
    { signal: ac.signal },
  );
  const outcome = t.throwsAsync(p, { instanceOf: CloudError });
  await clock.advance(1000);
  ac.abort(new Error('CNI deadline'));
  const e = await outcome;
  t.is(e.code, 'CloudDeadlineExceeded');
  t.is(e.cloudCode, 'ServiceUnavailable');
  t.is(e.requestId, 'R-5');
  t.regex(e.message, /last failure: AllocateEipAddress failed: ServiceUnavailable/);
});

test('without a signal the default deadline bounds the retries', async (t) => {
  const { clock, runner } = setup();
  let calls = 0;
  const p = runner.run('AllocateEipAddress', async () => {
    calls++;
    throw reset();
  });
  const outcome = t.throwsAsync(p, { instanceOf: CloudError });
  await clock.advance(5000);
  const e = await outcome;
  t.is(e.code, 'CloudDeadlineExceeded');
  t.true(calls >= 5, `retried ${calls} times within the deadline`);
  t.is(clock.pendingTimers, 0, 'no timer left behind');
});

test('an answer that never comes is abandoned when the signal fires', async (t) => {
  const { runner } = setup();
  const ac = new AbortController();
  const p = runner.run('AllocateEipAddress', () => new Promise<typeof ok>(() => {}), { signal: ac.signal });
  const outcome = t.throwsAsync(p, { instanceOf: CloudError });
  await settle();
  ac.abort(new Error('gone'));
  t.is((await outcome).code, 'CloudDeadlineExceeded');
});
