import { createHmac, randomBytes } from 'node:crypto';
import test from 'ava';
import { $Vpc, OpenApi, sdkError, startSim, vpcClient } from './helpers.js';

const describeRequest = () => new $Vpc.DescribeEipAddressesRequest({ regionId: 'cn-hangzhou' });

for (const signatureAlgorithm of [undefined, 'v2']) {
  const label = signatureAlgorithm ?? 'ACS3';
  const sig = signatureAlgorithm ? { signatureAlgorithm } : {};

  test(`${label}: a wrong secret is SignatureDoesNotMatch (400) in the real error body`, async (t) => {
    const sim = await startSim(t);
    const error = await sdkError(
      t,
      vpcClient(sim, { ...sig, accessKeySecret: 'not-the-secret' }).describeEipAddresses(describeRequest()),
    );
    t.true(error instanceof OpenApi.ClientError);
    t.is(error.code, 'SignatureDoesNotMatch');
    t.is(error.statusCode, 400);
    t.regex(error.requestId ?? '', /^[0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12}$/);
    t.deepEqual(Object.keys(error.data as object).sort(), ['Code', 'HostId', 'Message', 'Recommend', 'RequestId']);
    t.like(error.data, {
      HostId: 'vpc.aliyuncs.com',
      Recommend: 'https://api.aliyun.com/troubleshoot?q=SignatureDoesNotMatch&product=Vpc',
    });
    t.regex(
      String((error.data as Record<string, unknown>)['Message']),
      /^Specified signature does not match our calculation/,
    );
  });

  test(`${label}: an unknown AccessKeyId is InvalidAccessKeyId.NotFound (404)`, async (t) => {
    const sim = await startSim(t);
    const error = await sdkError(
      t,
      vpcClient(sim, { ...sig, accessKeyId: 'LTAI-nobody' }).describeEipAddresses(describeRequest()),
    );
    t.is(error.code, 'InvalidAccessKeyId.NotFound');
    t.is(error.statusCode, 404);
  });

  test(`${label}: custom keys from the options are the ones accepted`, async (t) => {
    const sim = await startSim(t, { accessKeyId: 'LTAI5custom', accessKeySecret: 'custom-secret' });
    const res = await vpcClient(sim, sig).describeEipAddresses(describeRequest());
    t.is(res.statusCode, 200);
    t.deepEqual(res.body!.eipAddresses!.eipAddress, []);
    const error = await sdkError(
      t,
      vpcClient(sim, {
        ...sig,
        accessKeyId: 'podeip-sim-ak',
        accessKeySecret: 'podeip-sim-secret',
      }).describeEipAddresses(describeRequest()),
    );
    t.is(error.code, 'InvalidAccessKeyId.NotFound');
  });

  test(`${label}: a temporary key needs its matching security token`, async (t) => {
    const sim = await startSim(t);
    const temp = sim.state.credentials.issueTemporary('sts', 60_000);
    const ok = await vpcClient(sim, {
      ...sig,
      accessKeyId: temp.accessKeyId,
      accessKeySecret: temp.accessKeySecret,
      securityToken: temp.securityToken,
    }).describeEipAddresses(describeRequest());
    t.is(ok.statusCode, 200);
    const missing = await sdkError(
      t,
      vpcClient(sim, {
        ...sig,
        accessKeyId: temp.accessKeyId,
        accessKeySecret: temp.accessKeySecret,
      }).describeEipAddresses(describeRequest()),
    );
    t.is(missing.code, 'InvalidSecurityToken.Missing');
    const wrong = await sdkError(
      t,
      vpcClient(sim, {
        ...sig,
        accessKeyId: temp.accessKeyId,
        accessKeySecret: temp.accessKeySecret,
        securityToken: 'CAISforged',
      }).describeEipAddresses(describeRequest()),
    );
    t.is(wrong.code, 'InvalidSecurityToken.MismatchWithAccessKey');
  });
}

test('an expired temporary key is refused', async (t) => {
  let now = Date.now();
  const sim = await startSim(t, { now: () => now });
  const temp = sim.state.credentials.issueTemporary('sts', 1000);
  now += 2000;
  const error = await sdkError(
    t,
    vpcClient(sim, {
      accessKeyId: temp.accessKeyId,
      accessKeySecret: temp.accessKeySecret,
      securityToken: temp.securityToken,
    }).describeEipAddresses(describeRequest()),
  );
  t.is(error.code, 'InvalidSecurityToken.Expired');
});

/** A legacy HMAC-SHA1 request signed here, independently of the SDK, so nonce and time can be chosen. */
async function signedV1(
  endpoint: string,
  fields: { nonce: string; timestamp: string; secret?: string },
): Promise<{ status: number; body: Record<string, unknown> }> {
  const enc = (s: string) =>
    encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  const query: Record<string, string> = {
    Action: 'DescribeEipAddresses',
    Version: '2016-04-28',
    Format: 'json',
    RegionId: 'cn-hangzhou',
    AccessKeyId: 'podeip-sim-ak',
    SignatureMethod: 'HMAC-SHA1',
    SignatureVersion: '1.0',
    SignatureNonce: fields.nonce,
    Timestamp: fields.timestamp,
  };
  const canonical = Object.keys(query)
    .sort()
    .map((k) => `${enc(k)}=${enc(query[k]!)}`)
    .join('&');
  query['Signature'] = createHmac('sha1', `${fields.secret ?? 'podeip-sim-secret'}&`)
    .update(`POST&%2F&${enc(canonical)}`)
    .digest('base64');
  const res = await fetch(`http://${endpoint}/?${new URLSearchParams(query)}`, { method: 'POST' });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

test('a reused signature nonce is SignatureNonceUsed; a timestamp 20 minutes off is InvalidTimeStamp.Expired', async (t) => {
  const sim = await startSim(t);
  const nonce = randomBytes(16).toString('hex');
  const timestamp = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
  const first = await signedV1(sim.endpoint, { nonce, timestamp });
  t.is(first.status, 200);
  t.is(first.body['TotalCount'], 0);
  const replay = await signedV1(sim.endpoint, { nonce, timestamp });
  t.is(replay.status, 400);
  t.is(replay.body['Code'], 'SignatureNonceUsed');
  const stale = await signedV1(sim.endpoint, {
    nonce: randomBytes(16).toString('hex'),
    timestamp: new Date(Date.now() - 20 * 60_000).toISOString().replace(/\.\d{3}Z$/, 'Z'),
  });
  t.is(stale.body['Code'], 'InvalidTimeStamp.Expired');
});

test('a request with no signature at all is IncompleteSignature', async (t) => {
  const sim = await startSim(t);
  const res = await fetch(`http://${sim.endpoint}/?RegionId=cn-hangzhou`, {
    method: 'POST',
    headers: { 'x-acs-action': 'DescribeEipAddresses', 'x-acs-version': '2016-04-28' },
  });
  t.is(res.status, 400);
  t.is(((await res.json()) as Record<string, string>)['Code'], 'IncompleteSignature');
});

test('an action the simulator does not serve is InvalidAction.NotFound (404)', async (t) => {
  const sim = await startSim(t);
  const client = vpcClient(sim);
  const error = await sdkError(t, client.describeVpcs(new $Vpc.DescribeVpcsRequest({ regionId: 'cn-hangzhou' })));
  t.is(error.code, 'InvalidAction.NotFound');
  t.is(error.statusCode, 404);
});

test('RegionId is required and must be the simulated region', async (t) => {
  const sim = await startSim(t);
  const client = vpcClient(sim);
  const missing = await sdkError(t, client.describeEipAddresses(new $Vpc.DescribeEipAddressesRequest({})));
  t.is(missing.code, 'MissingParameter');
  t.regex(missing.message, /RegionId/);
  const other = await sdkError(
    t,
    client.describeEipAddresses(new $Vpc.DescribeEipAddressesRequest({ regionId: 'cn-beijing' })),
  );
  t.is(other.code, 'Forbidden.RegionNotFound');
  t.is(other.statusCode, 404);
});
