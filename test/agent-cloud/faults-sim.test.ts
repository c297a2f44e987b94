/**
 * The "Done when" figures under faults, through the client and the official SDK against the
 * simulator: a throttling storm and a commit-then-drop Allocate each leave exactly one EIP, and a
 * burst of 500 allocate+associate reaches no caller as Throttling within 1.2x of the budget.
 */
import test from 'ava';
import { formatFigures, runBurst } from '../../bench/cloud/burst-run.js';
import { callsOf, clientFor, firstInstance, postControl, simState, startSim } from './helpers/sim.js';

/** Sets faults and, once they are in force, returns a promise of their clearing after `ms`. */
async function faultsFor(sim: Parameters<typeof postControl>[0], faults: unknown, ms: number): Promise<{ cleared: Promise<void> }> {
  await postControl(sim, '/faults', faults);
  return { cleared: new Promise<void>((resolve) => { setTimeout(() => { void postControl(sim, '/faults', {}).then(resolve, resolve); }, ms); }) };
}

async function counter(registry: import('prom-client').Registry, name: string): Promise<number> {
  const m = (await registry.getMetricsAsJSON()).find((x) => x.name === name);
  return (m?.values ?? []).reduce((s, v) => s + v.value, 0);
}

test('a throttling storm on Allocate and Associate leaves exactly one EIP, bound, and no caller sees Throttling', async (t) => {
  const sim = await startSim({ rateLimits: 'off' });
  const { client, registry } = clientFor(sim);
  t.teardown(async () => { client.close(); await sim.close(); });
  await client.preload();
  const storm = { errors: [{ code: 'Throttling.User', status: 400, probability: 0.9, retryAfterMs: 40, message: 'Request was denied due to user flow control.' }] };
  const { primary } = firstInstance(sim);
  const allocStorm = await faultsFor(sim, { AllocateEipAddress: storm }, 1500);
  const eip = await client.allocateEip({ clientToken: 'storm-pod-1', tags: { 'podeip.io/pod-uid': 'u-storm' } });
  await allocStorm.cleared;
  const assocStorm = await faultsFor(sim, { AssociateEipAddress: storm }, 1500);
  await client.associateEip({ allocationId: eip.allocationId, networkInterfaceId: primary.networkInterfaceId, privateIpAddress: primary.privateIpAddresses[1]! });
  await assocStorm.cleared;
  const bound = await client.waitForEip(eip.allocationId, (e) => e?.status === 'InUse');
  const state = await simState(sim);
  t.is(state.eips.length, 1, 'exactly one EIP');
  t.is(state.eips[0]!.allocationId, eip.allocationId);
  t.is(bound?.status, 'InUse');
  const allocCalls = callsOf(state, 'AllocateEipAddress');
  const assocCalls = callsOf(state, 'AssociateEipAddress');
  const throttled = await counter(registry, 'podeip_cloud_throttled_total');
  t.true((allocCalls['Throttling.User'] ?? 0) >= 1 && (assocCalls['Throttling.User'] ?? 0) >= 1, 'the storm hit both actions');
  t.is(throttled, (allocCalls['Throttling.User'] ?? 0) + (assocCalls['Throttling.User'] ?? 0), 'every Throttling answer was seen and retried');
  t.log(`storm: Allocate ${JSON.stringify(allocCalls)}, Associate ${JSON.stringify(assocCalls)}; client throttled_total ${throttled}, retries ${await counter(registry, 'podeip_cloud_retries_total')}`);
});

test('Allocate and Associate that commit and then drop the connection leave exactly one EIP (same ClientToken on retry)', async (t) => {
  const sim = await startSim({ rateLimits: 'off' });
  const { client, registry } = clientFor(sim);
  t.teardown(async () => { client.close(); await sim.close(); });
  await client.preload();
  const { primary } = firstInstance(sim);
  // The fault holds for a while: retries commit-and-drop too, then the answer comes through.
  const allocDrops = await faultsFor(sim, { AllocateEipAddress: { commitThenDropProbability: 1 } }, 1200);
  const eip = await client.allocateEip({ clientToken: 'drop-pod-1', tags: { 'podeip.io/pod-uid': 'u-drop' } });
  await allocDrops.cleared;
  const binding = { allocationId: eip.allocationId, networkInterfaceId: primary.networkInterfaceId, privateIpAddress: primary.privateIpAddresses[2]! };
  const assocDrops = await faultsFor(sim, { AssociateEipAddress: { commitThenDropProbability: 1 } }, 1200);
  await client.associateEip(binding);
  await assocDrops.cleared;
  const bound = await client.waitForEip(eip.allocationId, (e) => e?.status === 'InUse');
  const state = await simState(sim);
  const allocCalls = callsOf(state, 'AllocateEipAddress');
  t.true((allocCalls.CommittedThenDropped ?? 0) >= 1, 'the Allocate answer was lost at least once');
  t.true((callsOf(state, 'AssociateEipAddress').CommittedThenDropped ?? 0) >= 1, 'the Associate answer was lost at least once');
  t.is(state.eips.length, 1, 'exactly one EIP');
  t.is(state.eips[0]!.allocationId, eip.allocationId, 'the retry got the committed EIP back');
  t.is(bound?.privateIpAddress, binding.privateIpAddress);
  t.true(state.idempotencyTokens.some((r) => r.action === 'AllocateEipAddress' && r.clientToken === 'drop-pod-1'));
  t.log(`commit-then-drop: Allocate ${JSON.stringify(allocCalls)}, Associate ${JSON.stringify(callsOf(state, 'AssociateEipAddress'))}; retries ${await counter(registry, 'podeip_cloud_retries_total')}`);
});

// Serial: ava runs it before the file's concurrent tests, so they do not share the CPU with it.
test.serial('a burst of 500 allocate+associate reaches no caller as Throttling and finishes within 1.2x of the budget', async (t) => {
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
});
