import test from 'ava';
import { $Vpc, OpenApi, allocate, sdkError, startSim, vpcClient } from './helpers.js';
import { DOCUMENTED_RATE_LIMITS } from '../../../sim/cloud/rate-limit.js';
import { SimConfigError } from '../../../sim/cloud/errors.js';
import * as $dara from '@darabonba/typescript';

const R = 'cn-hangzhou';
const describe = () => new $Vpc.DescribeEipAddressesRequest({ regionId: R });

async function inspect(endpoint: string, path: string, body?: unknown): Promise<{ status: number; json: any }> {
  const res = await fetch(
    `http://${endpoint}${path}`,
    body === undefined ? {} : { method: 'POST', body: JSON.stringify(body) },
  );
  return { status: res.status, json: await res.json() };
}

test('a rate limit answers Throttling.User with x-acs-retry-after, surfaced as ThrottlingError.retryAfter', async (t) => {
  let skipped = 0;
  const sim = await startSim(t, {
    now: () => Date.now() + skipped,
    rateLimits: { AllocateEipAddress: { limit: 3, windowMs: 60_000 } },
  });
  const vpc = vpcClient(sim);
  for (let i = 0; i < 3; i++) await allocate(vpc);
  const error = await sdkError(t, vpc.allocateEipAddress(new $Vpc.AllocateEipAddressRequest({ regionId: R })));
  t.true(error instanceof OpenApi.ThrottlingError);
  t.is(error.code, 'Throttling.User');
  t.is(error.statusCode, 400);
  t.true(
    typeof error.retryAfter === 'number' && error.retryAfter > 50_000 && error.retryAfter <= 60_000,
    String(error.retryAfter),
  );
  t.is(sim.state.eips.count(), 3);
  t.is(sim.state.calls.count('AllocateEipAddress', 'Throttling.User'), 1);
  // Other actions have their own budgets.
  await vpc.describeEipAddresses(describe());
  skipped = error.retryAfter! - 1000;
  t.is(
    (await sdkError(t, vpc.allocateEipAddress(new $Vpc.AllocateEipAddressRequest({ regionId: R })))).code,
    'Throttling.User',
  );
  skipped = error.retryAfter! + 1;
  await allocate(vpc);
  t.is(sim.state.eips.count(), 4);
});

test("the SDK's own retry honours retry-after and gets through", async (t) => {
  const rolls = [0.1, 0.9];
  const sim = await startSim(t, {
    random: () => rolls.shift() ?? 0.9,
    faults: {
      DescribeEipAddresses: { errors: [{ code: 'Throttling.User', status: 400, probability: 0.5, retryAfterMs: 300 }] },
    },
  });
  const retryOptions = new $dara.RetryOptions({
    retryable: true,
    retryCondition: [
      new $dara.RetryCondition({
        maxAttempts: 3,
        exception: ['ThrottlingError'],
        errorCode: ['Throttling.User'],
        backoff: new $dara.BackoffPolicy({ policy: 'Fixed', period: 1 }),
        maxDelay: 2000,
      }),
    ],
    noRetryCondition: [],
  });
  const vpc = vpcClient(sim, { retryOptions });
  const started = Date.now();
  const res = await vpc.describeEipAddresses(describe());
  t.is(res.statusCode, 200);
  t.true(Date.now() - started >= 290, `waited ${Date.now() - started} ms`);
  t.deepEqual(sim.state.calls.snapshot()['DescribeEipAddresses'], { 'Throttling.User': 1, Success: 1 });
});

test('documented limits are the default; off removes them; both switchable at runtime', async (t) => {
  const sim = await startSim(t);
  t.deepEqual((await inspect(sim.inspectEndpoint, '/rate-limits')).json, DOCUMENTED_RATE_LIMITS);
  t.like(DOCUMENTED_RATE_LIMITS, {
    AllocateEipAddress: { limit: 120, windowMs: 60_000 },
    AssociateEipAddress: { limit: 120, windowMs: 60_000 },
    UnassociateEipAddress: { limit: 120, windowMs: 60_000 },
    DescribeEipAddresses: { limit: 600, windowMs: 60_000 },
    ReleaseEipAddress: { limit: 600, windowMs: 60_000 },
  });
  const vpc = vpcClient(sim);
  t.is(
    (await inspect(sim.inspectEndpoint, '/rate-limits', { DescribeEipAddresses: { limit: 1, windowMs: 60_000 } }))
      .status,
    200,
  );
  await vpc.describeEipAddresses(describe());
  t.is((await sdkError(t, vpc.describeEipAddresses(describe()))).code, 'Throttling.User');
  t.deepEqual((await inspect(sim.inspectEndpoint, '/rate-limits', 'off')).json, {});
  await vpc.describeEipAddresses(describe());
  sim.setRateLimits('documented');
  await vpc.describeEipAddresses(describe());
  const bad = await inspect(sim.inspectEndpoint, '/rate-limits', { DescribeEipAddresses: { limit: 0, windowMs: 10 } });
  t.is(bad.status, 400);
  t.regex(bad.json.error, /DescribeEipAddresses\.limit/);
  const unknown = await inspect(sim.inspectEndpoint, '/rate-limits', { DescribeEips: { limit: 1, windowMs: 10 } });
  t.regex(unknown.json.error, /DescribeEips/);
});

test('injected errors: code, status and class as configured; "*" covers every action', async (t) => {
  const sim = await startSim(t, {
    faults: {
      DescribeEipAddresses: { errors: [{ code: 'ServiceUnavailable', status: 503, probability: 1 }] },
      '*': { errors: [{ code: 'Throttling', status: 400, probability: 1, retryAfterMs: 250 }] },
    },
  });
  const vpc = vpcClient(sim);
  const unavailable = await sdkError(t, vpc.describeEipAddresses(describe()));
  t.true(unavailable instanceof OpenApi.ServerError);
  t.like(unavailable, { code: 'ServiceUnavailable', statusCode: 503 });
  const throttled = await sdkError(t, vpc.allocateEipAddress(new $Vpc.AllocateEipAddressRequest({ regionId: R })));
  t.true(throttled instanceof OpenApi.ThrottlingError);
  t.is(throttled.retryAfter, 250);
  t.is(sim.state.eips.count(), 0);
  sim.setFaults({});
  await allocate(vpc);
});

test('fault probabilities use the injected randomness', async (t) => {
  const rolls = [0.1, 0.9, 0.1, 0.9];
  const sim = await startSim(t, {
    random: () => rolls.shift() ?? 0.9,
    faults: { DescribeEipAddresses: { errors: [{ code: 'InternalError', status: 500, probability: 0.5 }] } },
  });
  const vpc = vpcClient(sim);
  const outcomes = [];
  for (let i = 0; i < 4; i++)
    outcomes.push(
      await vpc.describeEipAddresses(describe()).then(
        () => 'ok',
        (e: { code: string }) => e.code,
      ),
    );
  t.deepEqual(outcomes, ['InternalError', 'ok', 'InternalError', 'ok']);
});

test('extra latency per action makes the SDK time out', async (t) => {
  const sim = await startSim(t, { faults: { DescribeEipAddresses: { latencyMs: 400 } } });
  const error = await t.throwsAsync(vpcClient(sim, { readTimeout: 100 }).describeEipAddresses(describe()));
  t.is(error?.name, 'RequestTimeoutError');
  const fast = await vpcClient(sim).allocateEipAddress(new $Vpc.AllocateEipAddressRequest({ regionId: R }));
  t.is(fast.statusCode, 200);
});

test('"cloud unreachable": a drop fault kills the connection before anything happens, toggled at runtime', async (t) => {
  const sim = await startSim(t);
  const vpc = vpcClient(sim);
  t.is((await inspect(sim.inspectEndpoint, '/faults', { '*': { dropProbability: 1 } })).status, 200);
  const error = await t.throwsAsync(
    vpc.allocateEipAddress(new $Vpc.AllocateEipAddressRequest({ regionId: R, clientToken: 'c1' })),
  );
  t.false(error instanceof OpenApi.AlibabaCloudError);
  t.regex(String((error as NodeJS.ErrnoException).code ?? error?.message), /ECONNRESET|socket hang up/);
  t.is(sim.state.eips.count(), 0);
  t.is(sim.state.calls.count('AllocateEipAddress', 'Dropped'), 1);
  await inspect(sim.inspectEndpoint, '/faults', {});
  await allocate(vpc, { clientToken: 'c1' });
  t.is(sim.state.eips.count(), 1);
});

test('commit-then-drop: the Allocate takes effect, the caller sees a network error, a retry with the same token gets the same EIP', async (t) => {
  const sim = await startSim(t, { faults: { AllocateEipAddress: { commitThenDropProbability: 1 } } });
  const vpc = vpcClient(sim);
  const error = await t.throwsAsync(
    vpc.allocateEipAddress(new $Vpc.AllocateEipAddressRequest({ regionId: R, clientToken: 'pod-1', bandwidth: '8' })),
  );
  t.false(error instanceof OpenApi.AlibabaCloudError);
  const [committed] = sim.state.snapshot().eips;
  t.is(committed?.bandwidth, 8);
  t.is(sim.state.calls.count('AllocateEipAddress', 'CommittedThenDropped'), 1);
  sim.setFaults({});
  const retried = await allocate(vpc, { clientToken: 'pod-1', bandwidth: '8' });
  t.is(retried.allocationId, committed!.allocationId);
  t.is(sim.state.eips.count(), 1);
});

test('the inspection endpoint dumps EIPs, ENIs, calls and tokens, and changes quota and delay', async (t) => {
  const sim = await startSim(t, { associationDelayMs: 5000 });
  const vpc = vpcClient(sim);
  const { allocationId } = await allocate(vpc, {
    clientToken: 'tok-1',
    tag: [new $Vpc.AllocateEipAddressRequestTag({ key: 'a', value: 'b' })],
  });
  await vpc.associateEipAddress(
    new $Vpc.AssociateEipAddressRequest({
      regionId: R,
      allocationId,
      instanceId: 'eni-bp1podeipsim012',
      instanceType: 'NetworkInterface',
      privateIpAddress: '192.168.0.33',
    }),
  );
  await sdkError(
    t,
    vpc.releaseEipAddress(new $Vpc.ReleaseEipAddressRequest({ regionId: R, allocationId: 'eip-bp1nope' })),
  );
  const { json } = await inspect(sim.inspectEndpoint, '/state');
  t.like(json.eips[0], {
    allocationId,
    status: 'Associating',
    tags: { a: 'b' },
    binding: { instanceId: 'eni-bp1podeipsim012', privateIpAddress: '192.168.0.33', isPrimaryIp: false },
  });
  const eni = json.networkInterfaces.find(
    (e: { networkInterfaceId: string }) => e.networkInterfaceId === 'eni-bp1podeipsim012',
  );
  t.deepEqual(
    eni.privateIpAddresses.find((p: { ip: string }) => p.ip === '192.168.0.33'),
    { ip: '192.168.0.33', allocationId },
  );
  t.deepEqual(json.calls, {
    AllocateEipAddress: { Success: 1 },
    AssociateEipAddress: { Success: 1 },
    ReleaseEipAddress: { 'InvalidAllocationId.NotFound': 1 },
  });
  t.like(json.idempotencyTokens[0], {
    action: 'AllocateEipAddress',
    clientToken: 'tok-1',
    result: { AllocationId: allocationId },
  });
  t.deepEqual((await inspect(sim.inspectEndpoint, '/eip-quota', { eipQuota: 1 })).json, { eipQuota: 1 });
  t.is(
    (await sdkError(t, vpc.allocateEipAddress(new $Vpc.AllocateEipAddressRequest({ regionId: R })))).code,
    'QuotaExceeded.Eip',
  );
  t.deepEqual((await inspect(sim.inspectEndpoint, '/settle', {})).json, { settled: true });
  t.is(sim.state.eips.get(allocationId)?.status, 'InUse');
  t.deepEqual((await inspect(sim.inspectEndpoint, '/association-delay', { associationDelayMs: 0 })).json, {
    associationDelayMs: 0,
  });
  const badFaults = await inspect(sim.inspectEndpoint, '/faults', {
    AllocateEipAddress: { errors: [{ code: 'X', status: 503, probability: 2 }] },
  });
  t.is(badFaults.status, 400);
  t.regex(badFaults.json.error, /AllocateEipAddress\.errors\[0\]\.probability/);
  t.is((await inspect(sim.inspectEndpoint, '/nothing')).status, 404);
});

test('bad faults and rate-limit tables name the field', (t) => {
  const cases: Array<[unknown, RegExp]> = [
    [{ AllocateEipAddress: { commitThenDropProbability: -1 } }, /AllocateEipAddress\.commitThenDropProbability/],
    [{ AllocateEipAddress: { errors: [{ code: 'X', status: 200, probability: 1 }] } }, /errors\[0\]\.status/],
    [{ AllocateEip: {} }, /AllocateEip/],
    [{ AllocateEipAddress: { dropProbabilty: 1 } }, /dropProbabilty/],
  ];
  return (async () => {
    for (const [faults, message] of cases) {
      const error = await t.throwsAsync(startSim(t, { faults }), { instanceOf: SimConfigError });
      t.regex(error.message, message);
    }
    const rate = await t.throwsAsync(startSim(t, { rateLimits: { AllocateEipAddress: { limit: 5 } } }), {
      instanceOf: SimConfigError,
    });
    t.regex(rate.message, /AllocateEipAddress\.windowMs/);
  })();
});

test('observeRequests reports each OpenAPI request as it arrives, before its latency', async (t) => {
  const sim = await startSim(t, { latencyMs: 200 });
  const seen: Array<[string, number]> = [];
  const stop = sim.observeRequests((action) => seen.push([action, Date.now()]));
  const vpc = vpcClient(sim);
  const started = Date.now();
  await vpc.describeEipAddresses(describe());
  const answered = Date.now();
  stop();
  await allocate(vpc);
  t.deepEqual(
    seen.map(([a]) => a),
    ['DescribeEipAddresses'],
  );
  t.true(seen[0]![1] - started < answered - started - 150, 'observed before the latency elapsed');
});
