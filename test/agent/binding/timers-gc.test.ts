/**
 * The agent's waits fire on time however often the garbage collector runs. A timeout held only
 * inside AbortSignal.any is collectable on Node 20 and then never fires: the takeover grace and
 * the operation timeout had that shape, and a pod waited in ContainerCreating until a restart.
 * Each test forces full collections while the wait runs.
 */
import test from 'ava';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { deadline } from '../../../lib/deadline.js';
import type { BindingError } from '../../../agent/src/domain/errors.js';
import type { CloudClient } from '../../../agent/src/cloud/types.js';
import {
  allocateCalls,
  attachReq,
  createPod,
  earlierIncarnationEip,
  eips,
  ip,
  never,
  startWorld,
  until,
} from './world.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/**
 * A full collection every 200 ms until the test ends: several within each wait (a timeout's
 * signal dies at the first one), not so many that the collector starves the work.
 */
function collectConstantly(t: { teardown(fn: () => void): void }, everyMs = 200): () => void {
  const timer = setInterval(gc, everyMs);
  const stop = () => clearInterval(timer);
  t.teardown(stop);
  return stop;
}

/** Settles like `promise`, or rejects once `ms` pass: a wait that never fires fails the test instead of hanging it. */
function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not happen within ${ms} ms`)), ms);
  });
  return Promise.race([promise, expired]).finally(() => clearTimeout(timer));
}

/** The client with `unassociateEip` observed: `seen` runs before each call goes out. */
function onUnassociate(cloud: CloudClient, seen: () => void): CloudClient {
  return new Proxy(cloud, {
    get(target, prop) {
      const value = Reflect.get(target, prop, target) as unknown;
      if (prop === 'unassociateEip')
        return (...args: Parameters<CloudClient['unassociateEip']>) => {
          seen();
          return target.unassociateEip(...args);
        };
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

const STS = { kind: 'StatefulSet', name: 'db' };
const FIXED = { 'k8s.aliyun.com/pod-with-eip': 'true', 'k8s.aliyun.com/pod-eip-release-strategy': '10m' };

test('the collector is really running: a bare AbortSignal.any timeout dies, deadline() fires', async (t) => {
  // Faster than the 100 ms timeouts below, so a collection surely comes before they fire.
  collectConstantly(t, 5);
  let anyFired = false;
  const any = AbortSignal.any([new AbortController().signal, AbortSignal.timeout(100)]);
  any.addEventListener('abort', () => {
    anyFired = true;
  });
  const ours = deadline([new AbortController().signal], 100);
  const started = Date.now();
  await within(new Promise((resolve) => ours.signal.addEventListener('abort', resolve)), 2000, 'the deadline');
  t.true(Date.now() - started >= 95);
  t.is((ours.signal.reason as DOMException).name, 'TimeoutError');
  await new Promise((resolve) => setTimeout(resolve, 400));
  // The shape this file guards against: under constant collection its timer is gone.
  t.false(anyFired, 'AbortSignal.any with a timeout source was collected before firing (Node 20)');
});

test.serial('the takeover grace fires on time under constant garbage collection', async (t) => {
  // When the agent starts unbinding the EIP from its previous holder: the end of the grace.
  let takeoverAt: number | undefined;
  const w = await startWorld(t, {
    config: { takeoverAfterMs: 1500 },
    wrapCloud: (cloud) =>
      onUnassociate(cloud, () => {
        takeoverAt ??= Date.now();
      }),
  });
  const stale = { allocationId: await earlierIncarnationEip(w, 'db-0') };
  const pod = await createPod(w, { name: 'db-0', annotations: FIXED, owner: STS });

  collectConstantly(t);
  const started = Date.now();
  const res = await within(w.service.attach(attachReq(pod, 'c1', ip(8)), never()), 30_000, 'the takeover');
  const waited = takeoverAt! - started;
  t.true(waited >= 1500 && waited < 4500, `took over when the 1500 ms grace ended (${waited} ms)`);
  t.like(res.binding, { allocationId: stale.allocationId, state: 'bound', privateIp: ip(8) });
  t.is(allocateCalls(w), 1, 'only the earlier agent allocated');
});

test.serial('the operation timeout stops an attach on time under constant garbage collection', async (t) => {
  // Association never completes within the test: only the operation timeout can end the attach.
  const w = await startWorld(t, { cloud: { associationDelayMs: 60_000 }, config: { operationTimeoutMs: 1500 } });
  const pod = await createPod(w, { name: 'stuck', annotations: { 'k8s.aliyun.com/pod-with-eip': 'true' } });
  collectConstantly(t);
  const started = Date.now();
  const err = await within(
    t.throwsAsync(w.service.attach(attachReq(pod, 'c1', ip(3)), never())),
    10_000,
    'the operation timeout',
  );
  const waited = Date.now() - started;
  t.is((err as BindingError).code, 'DeadlineExceeded');
  t.regex(err.message, /did not finish within 1\.5 s/);
  t.true(waited >= 1500 && waited < 6000, `stopped at the timeout (${waited} ms)`);
  t.is(w.journal.nonTerminal()[0]?.lastError, err.message, 'the journal row says why');
});

test.serial(
  'agent.attachTimeoutSeconds: the ADD that outlives it gets "try again later", the work goes on and the retry gets the same EIP',
  async (t) => {
    const w = await startWorld(t, { cloud: { associationDelayMs: 2500 }, config: { attachTimeoutMs: 1000 } });
    const pod = await createPod(w, { name: 'slow', annotations: { 'k8s.aliyun.com/pod-with-eip': 'true' } });
    const stopCollecting = collectConstantly(t);
    const started = Date.now();
    const err = await within(
      t.throwsAsync(w.service.attach(attachReq(pod, 'c1', ip(4)), never())),
      10_000,
      'the attach timeout',
    );
    const waited = Date.now() - started;
    t.is((err as BindingError).code, 'DeadlineExceeded');
    t.regex(err.message, /within 1 s \(agent\.attachTimeoutSeconds\).*the same EIP/);
    t.true(waited >= 1000 && waited < 2500, `answered at the attach timeout, before the work was done (${waited} ms)`);
    await until(() => w.journal.nonTerminal()[0]?.state === 'bound', 'the background attach to finish');
    stopCollecting();
    const retryStarted = Date.now();
    const retry = await w.service.attach(attachReq(pod, 'c1', ip(4)), never());
    t.like(
      retry.binding,
      { state: 'bound', allocationId: eips(w)[0]!.allocationId },
      `retry took ${Date.now() - retryStarted} ms`,
    );
    t.is(allocateCalls(w), 1);
  },
);
