import test from 'ava';
import { ConfigError, parseConfig } from '../../agent/src/config/load.js';
import { DEFAULT_RETRY_POLICIES } from '../../agent/src/retry/index.js';
import { componentsFromConfig, GC_LEASE_NAME } from '../../agent/src/wiring.js';

const minimal = 'clusterID: c-demo\nregionID: cn-hangzhou\nvpcID: vpc-demo\n';
const node = { nodeName: 'node-a', env: {} };

function problemsOf(text: string): string[] {
  try {
    parseConfig(text);
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  throw new Error(`expected a ConfigError for:\n${text}`);
}

test("without a retry section every part gets today's bounds", (t) => {
  const parts = componentsFromConfig(parseConfig(minimal), node);
  t.deepEqual(parts.retry, DEFAULT_RETRY_POLICIES);
  t.deepEqual(parts.cloud.backoff, { baseMs: 200, maxMs: 10_000 });
  t.is(parts.cloud.timeouts?.defaultDeadlineMs, 60_000);
  t.is(parts.cloud.pollIntervalMs, 500);
  t.is(parts.cloud.pollMaxIntervalMs, 2000);
  t.deepEqual(parts.kube.retry?.kubeWrite, { throttledRetries: 5, maxRetryAfterMs: 10_000, conflictRetries: 5 });
  t.deepEqual(parts.kube.retry?.informerRelist, { baseMs: 250, maxMs: 30_000 });
  t.is(parts.binding.operationTimeoutMs, 600_000);
  t.is(parts.reconcileIntervalMs, 30_000);
});

test('a retry policy set in the config reaches the part that retries', (t) => {
  const parts = componentsFromConfig(
    parseConfig(`${minimal}retry:
  cloudCall: {baseMs: 100, maxMs: 5000, deadlineMs: 30000}
  associationWait: {intervalMs: 250}
  kubeWrite: {conflictRetries: 8}
  reconcile: {intervalMs: 10000}
`),
    node,
  );
  t.deepEqual(parts.cloud.backoff, { baseMs: 100, maxMs: 5000 });
  t.is(parts.cloud.timeouts?.defaultDeadlineMs, 30_000);
  t.is(parts.cloud.pollIntervalMs, 250);
  t.is(parts.cloud.pollMaxIntervalMs, 2000, 'an unset field keeps its default');
  t.is(parts.kube.retry?.kubeWrite.conflictRetries, 8);
  t.is(parts.kube.retry?.kubeWrite.throttledRetries, 5);
  t.is(parts.reconcileIntervalMs, 10_000);
  t.is(parts.binding.operationTimeoutMs, 600_000);
});

test('a bad retry bound is an error naming the field', (t) => {
  t.deepEqual(problemsOf(`${minimal}retry:\n  cloudCall: {baseMs: 5000, maxMs: 100}\n`), [
    'retry.cloudCall.maxMs: maxMs must not be below baseMs',
  ]);
  const [negative] = problemsOf(`${minimal}retry:\n  journalOpen: {retryMs: -1}\n`);
  t.regex(negative ?? '', /^retry\.journalOpen\.retryMs: /);
  t.deepEqual(problemsOf(`${minimal}retry:\n  cloudCall: {basMs: 100}\n`), [
    'retry.cloudCall.basMs: unknown key in retry.cloudCall; did you mean retry.cloudCall.baseMs?',
  ]);
  t.deepEqual(problemsOf(`${minimal}retry:\n  cloudcall: {baseMs: 100}\n`), [
    'retry.cloudcall: unknown key in retry; did you mean retry.cloudCall?',
  ]);
});

test('the rest of the config maps as main.ts used to map it by hand', (t) => {
  const parts = componentsFromConfig(
    parseConfig(`${minimal}agent: {leaseDurationSeconds: 15, attachTimeoutSeconds: 40}
warmPool: {enabled: true, minIdle: 1}
cloud: {budgetCoordinationSeconds: 5}
`),
    node,
  );
  t.deepEqual(parts.elector, {
    name: GC_LEASE_NAME,
    namespace: 'kube-system',
    leaseDurationSeconds: 15,
    renewDeadlineSeconds: 10,
    retryPeriodSeconds: 2,
  });
  t.is(parts.binding.attachTimeoutMs, 40_000);
  t.is(parts.pool?.minIdle, 1);
  t.is(parts.fleet.intervalMs, 5000);
  t.is(componentsFromConfig(parseConfig(minimal), node).pool, undefined);
});
