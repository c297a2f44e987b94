import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import test from 'ava';
import { CoordinationV1Api, KubeConfig, V1MicroTime } from '@kubernetes/client-node';
import { Registry, type Gauge } from 'prom-client';
import type { LeaderElector } from '../../../agent/src/kube/types.js';
import { eventually, startCluster, type Cluster } from './harness.js';

const timing = { leaseDurationSeconds: 2, renewDeadlineSeconds: 1.5, retryPeriodSeconds: 0.2 };

interface Candidate {
  name: string;
  elector: LeaderElector;
  registry: Registry;
  led: number;
  stopped: number;
  signals: AbortSignal[];
}

/** Slow enough that "before the lease expires" and "after it expires" are far apart on a busy machine. */
const longLease = { leaseDurationSeconds: 8, renewDeadlineSeconds: 4, retryPeriodSeconds: 0.2 };

function candidate(cluster: Cluster, name: string, times: typeof timing = timing): Candidate {
  const registry = new Registry();
  const gateway = cluster.gateway({ nodeName: name }, registry);
  const c: Candidate = {
    name,
    elector: gateway.createLeaderElector({ name: 'podeip-gc', ...times }),
    registry,
    led: 0,
    stopped: 0,
    signals: [],
  };
  c.elector.run({
    onStartedLeading: (signal) => {
      c.led += 1;
      c.signals.push(signal);
    },
    onStoppedLeading: () => {
      c.stopped += 1;
    },
  });
  return c;
}

async function leaderGauge(c: Candidate): Promise<number> {
  return (await (c.registry.getSingleMetric('podeip_leader') as Gauge).get()).values[0]?.value ?? -1;
}

function coordination(cluster: Cluster): CoordinationV1Api {
  const config = new KubeConfig();
  config.loadFromFile(cluster.kubeconfigPath);
  return config.makeApiClient(CoordinationV1Api);
}

async function holder(cluster: Cluster): Promise<string | undefined> {
  try {
    return (await coordination(cluster).readNamespacedLease({ namespace: 'kube-system', name: 'podeip-gc' })).spec
      ?.holderIdentity;
  } catch {
    return undefined;
  }
}

test('two candidates: exactly one leads; stop() releases and the other takes over at once', async (t) => {
  const cluster = await startCluster();
  t.teardown(() => cluster.close());
  const a = candidate(cluster, 'node-a', longLease);
  const b = candidate(cluster, 'node-b', longLease);
  const first = await eventually(() => [a, b].find((c) => c.elector.isLeader()), 'a leader');
  const second = first === a ? b : a;
  await new Promise((r) => setTimeout(r, 1000));
  t.true(first.elector.isLeader());
  t.false(second.elector.isLeader(), 'never two leaders');
  t.is(await holder(cluster), first.name);
  t.is(await leaderGauge(first), 1);
  t.is(await leaderGauge(second), 0);
  const lease = await coordination(cluster).readNamespacedLease({ namespace: 'kube-system', name: 'podeip-gc' });
  t.regex(
    String(lease.spec!.renewTime),
    /\.\d{6}Z$/,
    'MicroTime with 6 fractional digits, as a real API server requires',
  );
  t.is(lease.spec!.leaseDurationSeconds, longLease.leaseDurationSeconds);

  const stoppedAt = Date.now();
  await first.elector.stop();
  t.true(first.signals[0]!.aborted, "the leader's signal aborts when it stops");
  t.is(first.stopped, 1);
  t.is(await leaderGauge(first), 0);
  await eventually(() => second.elector.isLeader() || undefined, 'the follower to take over');
  t.true(
    Date.now() - stoppedAt < (longLease.leaseDurationSeconds * 1000) / 2,
    'a released lease is taken without waiting for it to expire',
  );
  t.is(await holder(cluster), second.name);
  t.is(
    (await coordination(cluster).readNamespacedLease({ namespace: 'kube-system', name: 'podeip-gc' })).spec!
      .leaseTransitions,
    1,
  );
  await second.elector.stop();
});

test('a killed leader is replaced once its lease expires, not before', async (t) => {
  const cluster = await startCluster();
  t.teardown(() => cluster.close());
  const child = spawn(
    process.execPath,
    [
      new URL('./elector-process.js', import.meta.url).pathname,
      cluster.kubeconfigPath,
      'node-dead',
      String(timing.leaseDurationSeconds),
      String(timing.renewDeadlineSeconds),
      String(timing.retryPeriodSeconds),
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  t.teardown(() => {
    child.kill('SIGKILL');
  });
  const lines = createInterface(child.stdout);
  await once(lines, 'line');
  t.is(await holder(cluster), 'node-dead');

  const follower = candidate(cluster, 'node-b');
  await new Promise((r) => setTimeout(r, 800));
  t.false(follower.elector.isLeader(), 'a live leader keeps its lease');
  child.kill('SIGKILL');
  const killedAt = Date.now();
  await eventually(() => follower.elector.isLeader() || undefined, 'the follower to take over', 10_000);
  const took = Date.now() - killedAt;
  t.true(took >= 1000, `took over after ${took} ms: not before the lease could expire`);
  t.true(
    took <= timing.leaseDurationSeconds * 1000 + 3000,
    `took over after ${took} ms: within the lease duration plus a few retries`,
  );
  t.is(await holder(cluster), 'node-b');
  await follower.elector.stop();
});

test('a leader renews with one write every half renew deadline and no read', async (t) => {
  const cluster = await startCluster();
  t.teardown(() => cluster.close());
  const a = candidate(cluster, 'node-a', longLease);
  t.teardown(() => a.elector.stop());
  await eventually(() => a.elector.isLeader() || undefined, 'a to lead');
  const count = (key: string) => cluster.sim.stats().requests[key] ?? 0;
  const before = { get: count('get leases'), replace: count('update leases') };
  const started = Date.now();
  await eventually(() => count('update leases') - before.replace >= 3 || undefined, 'three renewals', 20_000);
  t.true(
    Date.now() - started >= 2 * 1800,
    'renewals come every half renew deadline (2 s here), not every retry period (0.2 s)',
  );
  t.is(count('get leases') - before.get, 0, 'a renewal does not read the lease first');
  t.is(await holder(cluster), 'node-a');
});

test('a leader that sees the lease taken steps down and its signal aborts', async (t) => {
  const cluster = await startCluster();
  t.teardown(() => cluster.close());
  const a = candidate(cluster, 'node-a');
  await eventually(() => a.elector.isLeader() || undefined, 'a to lead');
  const api = coordination(cluster);
  const lease = await api.readNamespacedLease({ namespace: 'kube-system', name: 'podeip-gc' });
  await api.replaceNamespacedLease({
    namespace: 'kube-system',
    name: 'podeip-gc',
    body: {
      ...lease,
      spec: { ...lease.spec, holderIdentity: 'intruder', renewTime: new V1MicroTime(), leaseDurationSeconds: 30 },
    },
  });
  await eventually(() => a.signals[0]!.aborted || undefined, 'the signal to abort');
  t.false(a.elector.isLeader());
  t.is(a.stopped, 1);
  t.is(await leaderGauge(a), 0);
  await new Promise((r) => setTimeout(r, 500));
  t.is(await holder(cluster), 'intruder', 'it does not grab a lease someone else renews');
  await a.elector.stop();
  t.is(await holder(cluster), 'intruder', 'stop() releases only a lease it holds');
});

test('a leader that cannot renew steps down within the renew deadline, before the lease can expire for others', async (t) => {
  const cluster = await startCluster();
  t.teardown(() => cluster.close());
  const a = candidate(cluster, 'node-a', longLease);
  await eventually(() => a.elector.isLeader() || undefined, 'a to lead');
  const failingSince = Date.now();
  cluster.sim.setFaults({ serverErrors: { probability: 1, resources: ['leases'] } });
  await eventually(() => a.signals[0]!.aborted || undefined, 'the signal to abort', 10_000);
  const after = Date.now() - failingSince;
  t.true(
    after >= longLease.renewDeadlineSeconds * 1000 - longLease.retryPeriodSeconds * 1000,
    `stepped down ${after} ms after renewals began failing: not before the renew deadline`,
  );
  t.true(
    after < longLease.leaseDurationSeconds * 1000,
    `stepped down ${after} ms after renewals began failing, inside the lease duration`,
  );
  t.false(a.elector.isLeader());
  cluster.sim.setFaults({});
  await eventually(() => a.elector.isLeader() || undefined, 'a to lead again once the API answers', 10_000);
  t.is(a.led, 2);
  t.false(a.signals[1]!.aborted);
  await a.elector.stop();
});

test('bad timing is refused with the option named', async (t) => {
  const cluster = await startCluster();
  t.teardown(() => cluster.close());
  const gateway = cluster.gateway();
  t.throws(() => gateway.createLeaderElector({ name: 'x', leaseDurationSeconds: 10, renewDeadlineSeconds: 10 }), {
    code: 'KUBE_OPTION',
    message: /leaseDurationSeconds \(10\) must be greater than renewDeadlineSeconds \(10\)/,
  });
  t.throws(() => gateway.createLeaderElector({ name: 'x', renewDeadlineSeconds: 2, retryPeriodSeconds: 2 }), {
    code: 'KUBE_OPTION',
    message: /retryPeriodSeconds/,
  });
});
