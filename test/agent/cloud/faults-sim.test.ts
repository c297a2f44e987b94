/**
 * The "Done when" figures under faults, through the client and the official SDK against the
 * simulator: a throttling storm and a commit-then-drop Allocate each leave exactly one EIP, and a
 * burst of 500 allocate+associate reaches no caller as Throttling within 1.2x of the budget.
 */
import test from 'ava';
import { formatFigures, runBurst } from '../../../bench/cloud/burst-run.js';
import { callsOf, clientFor, firstInstance, postControl, simState, startSim } from './helpers/sim.js';

/**
 * Sets faults and, once they are in force, returns a promise of their clearing: after they have
 * fired `times` times on `action` (the storm lasts a while, however slow the machine is).
 */
async function faultsUntil(
  sim: Parameters<typeof postControl>[0],
  faults: unknown,
  action: string,
  code: string,
  times: number,
): Promise<{ cleared: Promise<void> }> {
  await postControl(sim, '/faults', faults);
  const cleared = (async () => {
    while ((callsOf(await simState(sim), action)[code] ?? 0) < times) await new Promise((r) => setTimeout(r, 50));
    await postControl(sim, '/faults', {});
  })();
  return { cleared };
}

async function counter(registry: import('prom-client').Registry, name: string): Promise<number> {
  const m = (await registry.getMetricsAsJSON()).find((x) => x.name === name);
  return (m?.values ?? []).reduce((s, v) => s + v.value, 0);
}

test('a throttling storm on Allocate and Associate leaves exactly one EIP, bound, and no caller sees Throttling', async (t) => {
  const sim = await startSim({ rateLimits: 'off' });
  const { client, registry } = clientFor(sim);
  t.teardown(async () => {
    client.close();
    await sim.close();
  });
  await client.preload();
  // Every call is refused until the storm has refused each action several times.
  const storm = {
    errors: [
      {
        code: 'Throttling.User',
        status: 400,
        probability: 1,
        retryAfterMs: 40,
        message: 'Request was denied due to user flow control.',
      },
    ],
  };
  const { primary } = firstInstance(sim);
  const allocStorm = await faultsUntil(sim, { AllocateEipAddress: storm }, 'AllocateEipAddress', 'Throttling.User', 5);
  const eip = await client.allocateEip({ clientToken: 'storm-pod-1', tags: { 'podeip.io/pod-uid': 'u-storm' } });
  await allocStorm.cleared;
  const assocStorm = await faultsUntil(
    sim,
    { AssociateEipAddress: storm },
    'AssociateEipAddress',
    'Throttling.User',
    5,
  );
  await client.associateEip({
    allocationId: eip.allocationId,
    networkInterfaceId: primary.networkInterfaceId,
    privateIpAddress: primary.privateIpAddresses[1]!,
  });
  await assocStorm.cleared;
  const bound = await client.waitForEip(eip.allocationId, (e) => e?.status === 'InUse');
  const state = await simState(sim);
  t.is(state.eips.length, 1, 'exactly one EIP');
  t.is(state.eips[0]!.allocationId, eip.allocationId);
  t.is(bound?.status, 'InUse');
  const allocCalls = callsOf(state, 'AllocateEipAddress');
  const assocCalls = callsOf(state, 'AssociateEipAddress');
  const throttled = await counter(registry, 'podeip_cloud_throttled_total');
  t.true(
    (allocCalls['Throttling.User'] ?? 0) >= 5 && (assocCalls['Throttling.User'] ?? 0) >= 5,
    'the storm hit both actions',
  );
  t.is(
    throttled,
    (allocCalls['Throttling.User'] ?? 0) + (assocCalls['Throttling.User'] ?? 0),
    'every Throttling answer was seen and retried',
  );
  t.log(
    `storm: Allocate ${JSON.stringify(allocCalls)}, Associate ${JSON.stringify(assocCalls)}; client throttled_total ${throttled}, retries ${await counter(registry, 'podeip_cloud_retries_total')}`,
  );
});

test('Allocate and Associate that commit and then drop the connection leave exactly one EIP (same ClientToken on retry)', async (t) => {
  const sim = await startSim({ rateLimits: 'off' });
  const { client, registry } = clientFor(sim);
  t.teardown(async () => {
    client.close();
    await sim.close();
  });
  await client.preload();
  const { primary } = firstInstance(sim);
  // The fault holds for a while: retries commit-and-drop too, then the answer comes through.
  const allocDrops = await faultsUntil(
    sim,
    { AllocateEipAddress: { commitThenDropProbability: 1 } },
    'AllocateEipAddress',
    'CommittedThenDropped',
    2,
  );
  const eip = await client.allocateEip({ clientToken: 'drop-pod-1', tags: { 'podeip.io/pod-uid': 'u-drop' } });
  await allocDrops.cleared;
  const binding = {
    allocationId: eip.allocationId,
    networkInterfaceId: primary.networkInterfaceId,
    privateIpAddress: primary.privateIpAddresses[2]!,
  };
  const assocDrops = await faultsUntil(
    sim,
    { AssociateEipAddress: { commitThenDropProbability: 1 } },
    'AssociateEipAddress',
    'CommittedThenDropped',
    2,
  );
  await client.associateEip(binding);
  await assocDrops.cleared;
  const bound = await client.waitForEip(eip.allocationId, (e) => e?.status === 'InUse');
  const state = await simState(sim);
  const allocCalls = callsOf(state, 'AllocateEipAddress');
  t.true((allocCalls.CommittedThenDropped ?? 0) >= 2, 'the Allocate answer was lost, then lost again on the retry');
  t.true(
    (callsOf(state, 'AssociateEipAddress').CommittedThenDropped ?? 0) >= 2,
    'the Associate answer was lost, then lost again on the retry',
  );
  t.is(state.eips.length, 1, 'exactly one EIP');
  t.is(state.eips[0]!.allocationId, eip.allocationId, 'the retry got the committed EIP back');
  t.is(bound?.privateIpAddress, binding.privateIpAddress);
  t.true(state.idempotencyTokens.some((r) => r.action === 'AllocateEipAddress' && r.clientToken === 'drop-pod-1'));
  t.log(
    `commit-then-drop: Allocate ${JSON.stringify(allocCalls)}, Associate ${JSON.stringify(callsOf(state, 'AssociateEipAddress'))}; retries ${await counter(registry, 'podeip_cloud_retries_total')}`,
  );
});

// Serial: ava runs it before the file's concurrent tests, so they do not share the CPU with it.
test.serial(
  'a burst of 500 allocate+associate reaches no caller as Throttling and finishes within 1.2x of the budget',
  async (t) => {
    // 50 calls per 5 s per action (the documented 120/min, 5x faster) so the burst takes ~45 s: long
    // windows, because each window costs one call round trip (the limiter counts a call from its
    // answer), and round trips on a saturated test machine reach half a second.
    const f = await runBurst({ pods: 500, budget: { calls: 50, windowMs: 5000 }, waitInUse: true });
    for (const line of formatFigures(f)) t.log(line);
    t.deepEqual(f.callerErrors, {}, 'no caller saw any error, Throttling included');
    t.is(f.eipsInCloud, 500);
    t.is(f.eipsInUse, 500);
    t.is(f.simCalls.AllocateEipAddress?.Success, 500);
    t.is(f.simCalls.AssociateEipAddress?.Success, 500);
    t.true(f.ratio <= 1.2, `finished in ${f.ratio}x the budget's minimum`);
    // Unbatched, every EIP would need at least one Describe of its own.
    t.true((f.simCalls.DescribeEipAddresses?.Success ?? 0) < 500 / 2, 'waiting for 500 EIPs is batched');
  },
);
