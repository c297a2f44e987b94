import test from 'ava';
import { parseEipRequest, MAX_USER_TAGS } from '../../../agent/src/domain/eip-request.js';
import { BindingError, InvalidAnnotationError } from '../../../agent/src/domain/errors.js';
import { parseGoDuration } from '../../../agent/src/domain/go-duration.js';

const N = 'network.alibabacloud.com/';
const K = 'k8s.aliyun.com/';

function problemsOf(annotations: Record<string, string>): InvalidAnnotationError {
  const err = (() => {
    try {
      parseEipRequest(annotations);
    } catch (e) {
      return e;
    }
    return undefined;
  })();
  if (!(err instanceof InvalidAnnotationError)) throw new Error(`expected InvalidAnnotationError, got ${String(err)}`);
  return err;
}

test('no EIP annotation: no request', (t) => {
  t.is(parseEipRequest({}), undefined);
  t.is(parseEipRequest({ [K + 'pod-with-eip']: 'false' }), undefined);
  t.is(parseEipRequest({ app: 'x', [K + 'eip-bandwidth']: 'not-read-without-eip' }), undefined);
});

for (const key of [N + 'pod-with-eip', K + 'pod-with-eip', K + 'eci-with-eip']) {
  test(`${key}=true asks for an auto EIP with defaults`, (t) => {
    const req = parseEipRequest({ [key]: 'True' });
    t.deepEqual(req, { userTags: {}, releaseStrategy: { kind: 'Follow' }, releaseStrategyExplicit: false });
  });
}

for (const key of [N + 'pod-eip-instanceid', K + 'pod-eip-instanceid', K + 'eci-eip-instanceid']) {
  test(`${key} asks for the user's EIP`, (t) => {
    t.is(parseEipRequest({ [key]: 'eip-bp14qxx01' })?.instanceId, 'eip-bp14qxx01');
  });
}

test('every creation parameter is read, under either prefix', (t) => {
  const req = parseEipRequest({
    [N + 'pod-with-eip']: 'true',
    [K + 'eip-bandwidth']: '300',
    [N + 'eip-internet-charge-type']: 'PayByBandwidth',
    [K + 'eip-instance-charge-type']: 'PostPaid',
    [N + 'eip-common-bandwidth-package-id']: 'cbwp-2ze1',
    [K + 'eip-isp']: 'BGP_PRO',
    [N + 'eip-public-ip-address-pool-id']: 'pippool-2ze498c',
    [K + 'eip-resource-group-id']: 'rg-acfmw',
    [N + 'eip-name']: 'game-server',
    [K + 'eip-description']: 'udp relay',
    [N + 'eip-security-protection-types']: 'AntiDDoS_Enhanced',
    [K + 'eip-tags']: '{"team":"games","env":""}',
  });
  t.deepEqual(req, {
    bandwidth: '300',
    internetChargeType: 'PayByBandwidth',
    instanceChargeType: 'PostPaid',
    bandwidthPackageId: 'cbwp-2ze1',
    isp: 'BGP_PRO',
    publicIpAddressPoolId: 'pippool-2ze498c',
    resourceGroupId: 'rg-acfmw',
    name: 'game-server',
    description: 'udp relay',
    securityProtectionTypes: ['AntiDDoS_Enhanced'],
    userTags: { team: 'games', env: '' },
    releaseStrategy: { kind: 'Follow' },
    releaseStrategyExplicit: false,
  });
});

test('compat key eip-charge-type is read', (t) => {
  t.is(
    parseEipRequest({ [K + 'pod-with-eip']: 'true', [K + 'eip-charge-type']: 'PayByBandwidth' })?.internetChargeType,
    'PayByBandwidth',
  );
});

test('same value under both prefixes is fine; network.alibabacloud.com/ is read first', (t) => {
  const req = parseEipRequest({
    [N + 'pod-with-eip']: 'true',
    [K + 'pod-with-eip']: 'TRUE',
    [N + 'eip-bandwidth']: '5',
    [K + 'eip-bandwidth']: '5',
  });
  t.is(req?.bandwidth, '5');
});

test('conflicting spellings are an error naming both', (t) => {
  const err = problemsOf({ [N + 'pod-with-eip']: 'true', [K + 'eip-bandwidth']: '5', [N + 'eip-bandwidth']: '10' });
  t.is(err.code, 'InvalidAnnotation');
  t.is(err.problems.length, 1);
  t.is(err.problems[0]!.annotation, K + 'eip-bandwidth');
  t.regex(err.message, /conflicts with network\.alibabacloud\.com\/eip-bandwidth="10"/);
});

test('conflicting compat key is an error', (t) => {
  const err = problemsOf({ [K + 'pod-eip-instanceid']: 'eip-a1', [K + 'eci-eip-instanceid']: 'eip-b2' });
  t.is(err.problems[0]!.annotation, K + 'eci-eip-instanceid');
});

test('pod-with-eip must be true or false', (t) => {
  const err = problemsOf({ [K + 'pod-with-eip']: 'yes' });
  t.regex(err.message, /k8s\.aliyun\.com\/pod-with-eip="yes": must be "true" or "false"/);
});

test('bandwidth range depends on the charge type', (t) => {
  t.is(parseEipRequest({ [K + 'pod-with-eip']: 'true', [K + 'eip-bandwidth']: '200' })?.bandwidth, '200');
  t.regex(
    problemsOf({ [K + 'pod-with-eip']: 'true', [K + 'eip-bandwidth']: '201' }).message,
    /from 1 to 200 for PayByTraffic/,
  );
  t.is(
    parseEipRequest({
      [K + 'pod-with-eip']: 'true',
      [K + 'eip-bandwidth']: '500',
      [K + 'eip-internet-charge-type']: 'PayByBandwidth',
    })?.bandwidth,
    '500',
  );
  t.regex(
    problemsOf({
      [K + 'pod-with-eip']: 'true',
      [K + 'eip-bandwidth']: '501',
      [K + 'eip-internet-charge-type']: 'PayByBandwidth',
    }).message,
    /from 1 to 500 for PayByBandwidth/,
  );
  for (const bad of ['0', '-1', '5.5', 'ten', '1e2']) {
    t.is(problemsOf({ [K + 'pod-with-eip']: 'true', [K + 'eip-bandwidth']: bad }).problems[0]!.value, bad);
  }
});

test('enums list the valid values', (t) => {
  t.regex(
    problemsOf({ [K + 'pod-with-eip']: 'true', [K + 'eip-internet-charge-type']: 'paybytraffic' }).message,
    /must be one of PayByTraffic, PayByBandwidth/,
  );
  t.regex(
    problemsOf({ [K + 'pod-with-eip']: 'true', [K + 'eip-instance-charge-type']: 'PrePaid' }).message,
    /must be one of PostPaid/,
  );
  t.regex(
    problemsOf({ [K + 'pod-with-eip']: 'true', [K + 'eip-isp']: 'BGP-PRO' }).message,
    /must be one of BGP, BGP_PRO, ChinaTelecom/,
  );
  for (const isp of ['BGP', 'ChinaMobile_L2', 'BGP_FinanceCloud']) {
    t.is(parseEipRequest({ [K + 'pod-with-eip']: 'true', [K + 'eip-isp']: isp })?.isp, isp);
  }
});

test('resource ids need their prefix', (t) => {
  const err = problemsOf({
    [K + 'pod-with-eip']: 'true',
    [K + 'eip-common-bandwidth-package-id']: 'bwp-1',
    [K + 'eip-public-ip-address-pool-id']: 'pool-1',
    [K + 'eip-resource-group-id']: 'RG-1',
  });
  t.deepEqual(
    err.problems.map((p) => p.annotation),
    [K + 'eip-common-bandwidth-package-id', K + 'eip-public-ip-address-pool-id', K + 'eip-resource-group-id'],
  );
  t.regex(err.message, /expected "cbwp-"/);
  t.regex(problemsOf({ [K + 'pod-eip-instanceid']: 'bp14' }).message, /not a valid EIP instance ID; expected "eip-"/);
  t.regex(problemsOf({ [K + 'pod-eip-instanceid']: '   ' }).message, /is blank/);
});

test('name and description limits', (t) => {
  t.regex(
    problemsOf({ [K + 'pod-with-eip']: 'true', [K + 'eip-name']: 'x'.repeat(129) }).message,
    /129 characters; at most 128/,
  );
  t.regex(
    problemsOf({ [K + 'pod-with-eip']: 'true', [K + 'eip-description']: 'x'.repeat(257) }).message,
    /at most 256/,
  );
  t.regex(
    problemsOf({ [K + 'pod-with-eip']: 'true', [K + 'eip-name']: 'https://x' }).message,
    /must not start with http/,
  );
  t.is(parseEipRequest({ [K + 'pod-with-eip']: 'true', [K + 'eip-name']: 'x'.repeat(128) })?.name, 'x'.repeat(128));
});

test('security protection types', (t) => {
  t.regex(
    problemsOf({ [K + 'pod-with-eip']: 'true', [K + 'eip-security-protection-types']: 'AntiDDoS_Basic' }).message,
    /unknown protection type\(s\) AntiDDoS_Basic; valid: AntiDDoS_Enhanced/,
  );
  t.regex(
    problemsOf({
      [K + 'pod-with-eip']: 'true',
      [K + 'eip-security-protection-types']: 'AntiDDoS_Enhanced,AntiDDoS_Enhanced',
    }).message,
    /twice/,
  );
});

test('eip-tags must be a JSON object of strings with allowed keys', (t) => {
  const base = { [K + 'pod-with-eip']: 'true' };
  t.regex(problemsOf({ ...base, [K + 'eip-tags']: '{foo:bar}' }).message, /not valid JSON/);
  t.regex(problemsOf({ ...base, [K + 'eip-tags']: '["a"]' }).message, /must be a JSON object/);
  t.regex(problemsOf({ ...base, [K + 'eip-tags']: '{"n":1}' }).message, /non-string value for tag "n"; quote it/);
  t.regex(
    problemsOf({ ...base, [K + 'eip-tags']: '{"aliyun:x":"1"}' }).message,
    /must not start with "aliyun" or "acs:"/,
  );
  t.regex(problemsOf({ ...base, [K + 'eip-tags']: '{"acs:x":"1"}' }).message, /must not start with "aliyun" or "acs:"/);
  t.regex(problemsOf({ ...base, [K + 'eip-tags']: '{"podeip.io/pod-uid":"forged"}' }).message, /reserved/);
  t.regex(problemsOf({ ...base, [K + 'eip-tags']: '{"":"1"}' }).message, /empty tag key/);
  t.regex(
    problemsOf({ ...base, [K + 'eip-tags']: JSON.stringify({ ['k'.repeat(129)]: 'v' }) }).message,
    /longer than 128/,
  );
  t.regex(
    problemsOf({ ...base, [K + 'eip-tags']: JSON.stringify({ k: 'v'.repeat(129) }) }).message,
    /value longer than 128/,
  );
});

test('eip-tags: at most 20 tags including ours', (t) => {
  const base = { [K + 'pod-with-eip']: 'true' };
  const tags = (n: number) => JSON.stringify(Object.fromEntries(Array.from({ length: n }, (_, i) => [`k${i}`, 'v'])));
  t.is(
    Object.keys(parseEipRequest({ ...base, [K + 'eip-tags']: tags(MAX_USER_TAGS) })!.userTags).length,
    MAX_USER_TAGS,
  );
  t.regex(
    problemsOf({ ...base, [K + 'eip-tags']: tags(MAX_USER_TAGS + 1) }).message,
    new RegExp(`has ${MAX_USER_TAGS + 1} tags; at most ${MAX_USER_TAGS} fit`),
  );
});

test('release strategy: Follow, Never, Go durations', (t) => {
  const base = { [K + 'pod-with-eip']: 'true' };
  t.deepEqual(parseEipRequest({ ...base, [K + 'pod-eip-release-strategy']: 'Follow' })?.releaseStrategy, {
    kind: 'Follow',
  });
  t.true(parseEipRequest({ ...base, [K + 'pod-eip-release-strategy']: 'Follow' })!.releaseStrategyExplicit);
  t.deepEqual(parseEipRequest({ ...base, [N + 'pod-eip-release-strategy']: 'never' })?.releaseStrategy, {
    kind: 'Never',
  });
  t.deepEqual(parseEipRequest({ ...base, [K + 'pod-eip-release-strategy']: '5m30s' })?.releaseStrategy, {
    kind: 'TTL',
    releaseAfter: '5m30s',
    releaseAfterMs: 330_000,
  });
  t.deepEqual(parseEipRequest({ ...base, [K + 'pod-eip-release-strategy']: '10m' })?.releaseStrategy, {
    kind: 'TTL',
    releaseAfter: '10m',
    releaseAfterMs: 600_000,
  });
  for (const bad of ['10', '0s', 'forever', '-5m', '5 m']) {
    t.regex(
      problemsOf({ ...base, [K + 'pod-eip-release-strategy']: bad }).message,
      /must be Follow, Never, or a positive Go duration/,
      bad,
    );
  }
});

test('all problems are listed at once', (t) => {
  const err = problemsOf({
    [K + 'pod-with-eip']: 'true',
    [K + 'eip-bandwidth']: '0',
    [K + 'eip-isp']: 'X',
    [K + 'eip-tags']: 'nope',
    [K + 'pod-eip-release-strategy']: 'sometimes',
  });
  t.is(err.problems.length, 4);
  t.deepEqual(
    err.problems.map((p) => p.annotation).sort(),
    [K + 'eip-bandwidth', K + 'eip-isp', K + 'eip-tags', K + 'pod-eip-release-strategy'].sort(),
  );
});

test('eip-controller naming another controller is refused; naming podeip is fine', (t) => {
  const err = t.throws(() =>
    parseEipRequest({ [K + 'pod-with-eip']: 'true', [K + 'eip-controller']: 'ack-extend-network-controller' }),
  );
  t.true(err instanceof BindingError);
  t.is((err as BindingError).code, 'ForeignController');
  t.regex(err.message, /eip-controller="ack-extend-network-controller"/);
  t.truthy(parseEipRequest({ [K + 'pod-with-eip']: 'true', [K + 'eip-controller']: 'PodEIP' }));
  t.is(parseEipRequest({ [K + 'eip-controller']: 'other' }), undefined);
});

test('Go durations', (t) => {
  t.is(parseGoDuration('1h2m3s'), 3_723_000);
  t.is(parseGoDuration('1.5h'), 5_400_000);
  t.is(parseGoDuration('300ms'), 300);
  t.is(parseGoDuration('2µs'), 0.002);
  t.is(parseGoDuration('.5s'), 500);
  t.is(parseGoDuration(''), undefined);
  t.is(parseGoDuration('5'), undefined);
  t.is(parseGoDuration('5d'), undefined);
});
