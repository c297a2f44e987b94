/**
 * The three credential sources against the simulator: an ECS RAM role through instance metadata
 * (IMDSv2) and RRSA through STS over HTTPS, plus the guarantee that no secret reaches a log line
 * or an error message.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import test from 'ava';
import { EcsMetadataRoleProvider } from '../../../agent/src/cloud/credentials.js';
import { CloudError } from '../../../agent/src/cloud/errors.js';
import { callsOf, clientFor, postControl, simState, startSim, total } from './helpers/sim.js';

async function roleCredentials(
  metadataEndpoint: string,
): Promise<{ AccessKeyId: string; AccessKeySecret: string; SecurityToken: string }> {
  const token = await (
    await fetch(`http://${metadataEndpoint}/latest/api/token`, {
      method: 'PUT',
      headers: { 'X-aliyun-ecs-metadata-token-ttl-seconds': '60' },
    })
  ).text();
  const headers = { 'X-aliyun-ecs-metadata-token': token };
  const role = (
    await (await fetch(`http://${metadataEndpoint}/latest/meta-data/ram/security-credentials/`, { headers })).text()
  )
    .split('\n')[0]!
    .replace(/\/$/, '');
  return (await (
    await fetch(`http://${metadataEndpoint}/latest/meta-data/ram/security-credentials/${role}`, { headers })
  ).json()) as never;
}

test('ECS RAM role via IMDSv2 at an overridden metadata endpoint; no secret in logs or errors, even on timeouts with v1 signing', async (t) => {
  const sim = await startSim({ metadata: { imdsv2Required: true } });
  const credentials = { type: 'ecs_ram_role' as const, metadataEndpoint: sim.metadataEndpoint! };
  const { client, logs } = clientFor(sim, { credentials });
  const v1 = clientFor(sim, {
    credentials: { ...credentials, metadataEndpoint: `http://${sim.metadataEndpoint}` },
    legacySignature: true,
    timeouts: { readMs: 300, defaultDeadlineMs: 60_000 },
  });
  t.teardown(async () => {
    client.close();
    v1.client.close();
    await sim.close();
  });

  const eip = await client.allocateEip({ clientToken: 'role-pod-1', tags: { 'podeip.io/via': 'ecs-ram-role' } });
  t.is((await client.describeEip(eip.allocationId))?.tags['podeip.io/via'], 'ecs-ram-role');
  t.is((await simState(sim)).eips.length, 1);

  // Failure paths that carry text from the transport and the cloud.
  await postControl(sim, '/faults', {
    ReleaseEipAddress: { errors: [{ code: 'Forbidden.RAM', status: 403, probability: 1 }] },
  });
  const denied = await t.throwsAsync(client.releaseEip(eip.allocationId), { instanceOf: CloudError });
  t.is(denied.code, 'CloudPermissionDenied');
  t.is(total(callsOf(await simState(sim), 'ReleaseEipAddress')), 1, 'a permission error is not retried');
  await postControl(sim, '/faults', { DescribeEipAddresses: { latencyMs: 2000 } });
  const timedOut = await t.throwsAsync(v1.client.describeEip(eip.allocationId, AbortSignal.timeout(1500)), {
    instanceOf: CloudError,
  });
  t.is(timedOut.code, 'CloudDeadlineExceeded');
  t.is(timedOut.cloudCode, 'RequestTimeout');
  await postControl(sim, '/faults', {});

  const secret = await roleCredentials(sim.metadataEndpoint!);
  const texts = [
    ...logs,
    ...v1.logs,
    denied.message,
    denied.stack ?? '',
    timedOut.message,
    timedOut.stack ?? '',
    JSON.stringify(denied),
    JSON.stringify(timedOut),
  ];
  t.true(
    logs.some((l) => l.includes(denied.requestId)),
    'the failed call is logged with its RequestId',
  );
  for (const text of texts) {
    t.false(text.includes(secret.AccessKeySecret), 'AccessKeySecret leaked');
    t.false(text.includes(secret.SecurityToken), 'SecurityToken leaked');
  }
});

test('an unreachable metadata service is CloudCredentialsUnavailable, retried until the deadline', async (t) => {
  const sim = await startSim();
  const { client } = clientFor(sim, { credentials: { type: 'ecs_ram_role', metadataEndpoint: '127.0.0.1:1' } });
  t.teardown(async () => {
    client.close();
    await sim.close();
  });
  await client.preload();
  const e = await t.throwsAsync(client.describeEip('eip-x', AbortSignal.timeout(2500)), { instanceOf: CloudError });
  t.is(e.code, 'CloudDeadlineExceeded');
  t.regex(e.message, /credentials from ecs_ram_role unavailable/);
  t.is(total(callsOf(await simState(sim), 'DescribeEipAddresses')), 0, 'nothing unsigned was sent');
});

const fixture = join(fileURLToPath(new URL('.', import.meta.url)), 'fixtures', 'rrsa-client.js');
const run = promisify(execFile);

function jwt(claims: Record<string, unknown>): string {
  const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
  return `${b64({ alg: 'RS256', typ: 'JWT' })}.${b64(claims)}.c2lnbmF0dXJlLW5vdC1jaGVja2Vk`;
}

test('RRSA: the OIDC token file and role ARN from the webhook env, STS over HTTPS at an overridden endpoint', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'podeip-rrsa-'));
  const certFile = join(dir, 'sts.pem');
  const sim = await startSim({ sts: { certOut: certFile } });
  t.teardown(() => sim.close());
  const tokenFile = join(dir, 'token');
  const token = jwt({
    iss: 'https://oidc-ack.cn-hangzhou.aliyuncs.com/c123',
    sub: 'system:serviceaccount:kube-system:podeip',
    aud: 'sts.aliyuncs.com',
    exp: Math.floor(Date.now() / 1000) + 3600,
  });
  await writeFile(tokenFile, token);
  const env = {
    ALIBABA_CLOUD_ROLE_ARN: 'acs:ram::1380000000000001:role/ignored-when-rrsaRoleName-is-set',
    ALIBABA_CLOUD_OIDC_PROVIDER_ARN: 'acs:ram::1380000000000001:oidc-provider/ack-rrsa-c123',
    ALIBABA_CLOUD_OIDC_TOKEN_FILE: tokenFile,
  };
  const input = {
    regionId: sim.regionId,
    endpoint: sim.endpoint,
    stsEndpoint: sim.stsEndpoint!,
    rrsaRoleName: 'podeip-agent',
    env,
  };
  const { stdout } = await run(process.execPath, [fixture, JSON.stringify(input)], {
    env: { ...process.env, NODE_EXTRA_CA_CERTS: certFile },
    timeout: 90_000,
  });
  const out = JSON.parse(stdout) as {
    allocationId?: string;
    described?: Record<string, string>;
    error?: unknown;
    logs: string[];
    credentials: { roleArn: string };
  };
  t.is(out.error, undefined);
  t.is(out.credentials.roleArn, 'acs:ram::1380000000000001:role/podeip-agent');
  t.regex(out.allocationId ?? '', /^eip-/);
  t.is(out.described?.['podeip.io/via'], 'rrsa');
  const state = await simState(sim);
  t.is(callsOf(state, 'AssumeRoleWithOIDC').Success, 1, 'one STS session served every call');
  t.is(state.eips.length, 1);
  t.true(out.logs.length >= 2);
  for (const line of out.logs) t.false(line.includes(token), 'the OIDC token leaked into a log line');

  // An expired token: STS refuses, the client reports it as a credential failure without the token.
  await writeFile(tokenFile, jwt({ sub: 'x', exp: Math.floor(Date.now() / 1000) - 60 }));
  const expired = JSON.parse(
    (
      await run(process.execPath, [fixture, JSON.stringify(input)], {
        env: { ...process.env, NODE_EXTRA_CA_CERTS: certFile },
        timeout: 90_000,
      })
    ).stdout,
  ) as { error: { code: string; message: string; stack: string }; logs: string[] };
  t.is(expired.error.code, 'CloudDeadlineExceeded');
  t.regex(expired.error.message, /credentials from oidc_role_arn unavailable/);
  t.regex(expired.error.message, /AuthenticationFail\.OIDCToken\.Expired/);
  const expiredToken = jwt({ sub: 'x', exp: 0 }).split('.')[0]!;
  for (const text of [expired.error.message, expired.error.stack, ...expired.logs])
    t.false(text.includes(`${expiredToken}.`), 'the OIDC token leaked');
});

// Serial: it runs before the other tests load the SDK, which blocks this process for seconds.
test.serial(
  'the metadata role provider caches its session, rides out a metadata outage until expiry, then fails',
  async (t) => {
    const sim = await startSim({ metadata: { imdsv2Required: true } });
    let closed = false;
    t.teardown(async () => {
      if (!closed) await sim.close();
    });
    let now = Date.now();
    const provider = new EcsMetadataRoleProvider(sim.metadataEndpoint!, undefined, 15_000, () => now);
    const first = await provider.getCredentials();
    t.is(first.providerName, 'ecs_ram_role');
    t.truthy(first.securityToken);
    const served = await roleCredentials(sim.metadataEndpoint!);
    t.is(first.accessKeySecret, served.AccessKeySecret, 'the role discovered from metadata');
    await sim.close();
    closed = true;
    t.deepEqual(await provider.getCredentials(), first, 'cached: no metadata call needed');
    const expiresAt = Date.parse((served as unknown as { Expiration: string }).Expiration);
    now = expiresAt - 60_000;
    t.deepEqual(await provider.getCredentials(), first, 'refresh failed, but the session is still valid');
    now = expiresAt + 1000;
    await t.throwsAsync(provider.getCredentials());
  },
);
