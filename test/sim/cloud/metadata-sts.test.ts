import { execFile } from 'node:child_process';
import { request } from 'node:https';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import test from 'ava';
import CredentialsModule, { ECSRAMRoleCredentialsProvider } from '@alicloud/credentials';
import { $Vpc, OpenApi, startSim, Vpc } from './helpers.js';
import { SimConfigError } from '../../../sim/cloud/errors.js';

const TOKEN_TTL = 'X-aliyun-ecs-metadata-token-ttl-seconds';
const TOKEN = 'X-aliyun-ecs-metadata-token';

test('IMDSv2: a session token, then the instance, network and ENI paths of the reference', async (t) => {
  const sim = await startSim(t, { metadata: { instanceId: 'i-bp1podeipsim0002' } });
  const base = `http://${sim.metadataEndpoint}`;
  const tokenRes = await fetch(`${base}/latest/api/token`, { method: 'PUT', headers: { [TOKEN_TTL]: '21600' } });
  t.is(tokenRes.status, 200);
  const token = await tokenRes.text();
  const get = async (path: string, headers: Record<string, string> = { [TOKEN]: token }) => {
    const res = await fetch(`${base}/latest/meta-data/${path}`, { headers });
    return { status: res.status, text: await res.text() };
  };
  const expected: Record<string, string> = {
    'instance-id': 'i-bp1podeipsim0002',
    'region-id': 'cn-hangzhou',
    'zone-id': 'cn-hangzhou-h',
    'vpc-id': 'vpc-bp1podeipsim0001',
    'vpc-cidr-block': '192.168.0.0/16',
    'vswitch-id': 'vsw-bp1podeipsim0001',
    'instance/instance-type': 'ecs.g7.large',
    mac: '00:16:3e:00:02:00',
    'network/interfaces/macs/': '00:16:3e:00:02:00/\n00:16:3e:00:02:01/\n00:16:3e:00:02:02/',
    'network/interfaces/macs/00:16:3e:00:02:01/network-interface-id': 'eni-bp1podeipsim021',
    'network/interfaces/macs/00:16:3e:00:02:01/primary-ip-address': '192.168.0.51',
    'network/interfaces/macs/00:16:3e:00:02:01/gateway': '192.168.0.253',
    'network/interfaces/macs/00:16:3e:00:02:01/netmask': '255.255.255.0',
    'network/interfaces/macs/00:16:3e:00:02:01/vswitch-id': 'vsw-bp1podeipsim0001',
    'network/interfaces/macs/00:16:3e:00:02:01/vswitch-cidr-block': '192.168.0.0/24',
    'ram/security-credentials/': 'podeip-sim-node-role',
  };
  for (const [path, text] of Object.entries(expected)) t.deepEqual(await get(path), { status: 200, text }, path);
  const ips = JSON.parse((await get('network/interfaces/macs/00:16:3e:00:02:01/private-ipv4s')).text) as string[];
  t.deepEqual(
    ips,
    Array.from({ length: 10 }, (_, i) => `192.168.0.${51 + i}`),
  );
  t.is((await get('network/interfaces/macs/00:16:3e:00:02:01/ipv6s')).status, 404);
  t.is((await get('no/such/path')).status, 404);
  t.is((await get('instance-id', { [TOKEN]: 'forged' })).status, 401);
  t.deepEqual(
    await get('instance-id', {}),
    { status: 200, text: 'i-bp1podeipsim0002' },
    'IMDSv1 is allowed unless required',
  );
  t.is((await fetch(`${base}/latest/api/token`, { method: 'PUT' })).status, 400);

  const role = JSON.parse((await get('ram/security-credentials/podeip-sim-node-role')).text) as Record<string, string>;
  t.is(role['Code'], 'Success');
  t.regex(role['AccessKeyId']!, /^STS\./);
  t.regex(role['Expiration']!, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  const vpc = new Vpc(
    new OpenApi.$OpenApiUtil.Config({
      accessKeyId: role['AccessKeyId'],
      accessKeySecret: role['AccessKeySecret'],
      securityToken: role['SecurityToken'],
      regionId: 'cn-hangzhou',
      endpoint: sim.endpoint,
      protocol: 'http',
    }),
  );
  t.is(
    (await vpc.describeEipAddresses(new $Vpc.DescribeEipAddressesRequest({ regionId: 'cn-hangzhou' }))).statusCode,
    200,
  );
});

test('IMDSv2 can be required; an unknown metadata instance is a config error', async (t) => {
  const sim = await startSim(t, { metadata: { imdsv2Required: true } });
  const res = await fetch(`http://${sim.metadataEndpoint}/latest/meta-data/instance-id`);
  t.is(res.status, 401);
  const token = await (
    await fetch(`http://${sim.metadataEndpoint}/latest/api/token`, { method: 'PUT', headers: { [TOKEN_TTL]: '60' } })
  ).text();
  t.is(
    await (
      await fetch(`http://${sim.metadataEndpoint}/latest/meta-data/instance-id`, { headers: { [TOKEN]: token } })
    ).text(),
    'i-bp1podeipsim0001',
  );
  const error = await t.throwsAsync(startSim(t, { metadata: { instanceId: 'i-missing' } }), {
    instanceOf: SimConfigError,
  });
  t.regex(error.message, /i-missing/);
});

test('@alicloud/credentials ECS RAM role provider gets role credentials from the metadata server and the SDK uses them', async (t) => {
  const sim = await startSim(t, { metadata: { imdsv2Required: true } });
  const provider = ECSRAMRoleCredentialsProvider.builder().withDisableIMDSv1(true).build();
  // The provider hard-codes 100.100.100.200; its doRequest hook is the documented way to redirect it.
  const hook = provider as unknown as { doRequest: (req: { host: string }) => Promise<unknown>; close(): void };
  const original = hook.doRequest;
  const hosts: string[] = [];
  hook.doRequest = (req) => {
    hosts.push(req.host);
    req.host = sim.metadataEndpoint!;
    return original(req);
  };
  t.teardown(() => hook.close());
  const credential = new CredentialsModule.default(null, provider);
  const model = await credential.getCredential();
  t.regex(model.accessKeyId ?? '', /^STS\./);
  t.truthy(model.securityToken);
  t.true(hosts.every((h) => h === '100.100.100.200'));
  const vpc = new Vpc(
    new OpenApi.$OpenApiUtil.Config({ credential, regionId: 'cn-hangzhou', endpoint: sim.endpoint, protocol: 'http' }),
  );
  const res = await vpc.describeEipAddresses(new $Vpc.DescribeEipAddressesRequest({ regionId: 'cn-hangzhou' }));
  t.is(res.statusCode, 200);
});

function unsignedJwt(claims: Record<string, unknown>): string {
  const part = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
  return `${part({ alg: 'RS256', typ: 'JWT' })}.${part(claims)}.c2ln`;
}

const ROLE_ARN = 'acs:ram::1380000000000001:role/podeip-agent';
const PROVIDER_ARN = 'acs:ram::1380000000000001:oidc-provider/ack-rrsa-c1';

test('RRSA: @alicloud/credentials oidc_role_arn gets STS credentials over HTTPS and the OpenAPI accepts them', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'podeip-sts-test-'));
  const certFile = join(dir, 'sts.pem');
  const sim = await startSim(t, { sts: { certOut: certFile } });
  t.regex(sim.stsEndpoint!, /^127\.0\.0\.1:\d+$/);
  t.is(sim.stsCertFile, certFile);
  const tokenFile = join(dir, 'token');
  await writeFile(
    tokenFile,
    unsignedJwt({
      iss: 'https://oidc-ack.example',
      sub: 'system:serviceaccount:kube-system:podeip',
      aud: 'sts.aliyuncs.com',
      exp: Math.floor(Date.now() / 1000) + 3600,
    }),
  );
  const fixture = fileURLToPath(new URL('./fixtures/rrsa-client.js', import.meta.url));
  const { stdout } = await promisify(execFile)(process.execPath, [fixture], {
    env: {
      ...process.env,
      NODE_EXTRA_CA_CERTS: certFile,
      ROLE_ARN,
      OIDC_PROVIDER_ARN: PROVIDER_ARN,
      OIDC_TOKEN_FILE: tokenFile,
      STS_ENDPOINT: sim.stsEndpoint!,
      SIM_ENDPOINT: sim.endpoint,
    },
  });
  const out = JSON.parse(stdout) as Record<string, unknown>;
  t.like(out, { type: 'oidc_role_arn', hasToken: true, status: 200, totalCount: 0 });
  t.regex(String(out['accessKeyId']), /^STS\./);
  t.deepEqual(sim.state.calls.snapshot()['AssumeRoleWithOIDC'], { Success: 1 });
  t.deepEqual(sim.state.calls.snapshot()['DescribeEipAddresses'], { Success: 1 });
});

function stsCall(
  endpoint: string,
  ca: string,
  form: Record<string, string>,
  action = 'AssumeRoleWithOIDC',
): Promise<{ status: number; body: Record<string, any> }> {
  const [host, port] = endpoint.split(':') as [string, string];
  const body = new URLSearchParams(form).toString();
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host,
        port: Number(port),
        method: 'POST',
        ca,
        path: `/?Version=2015-04-01&Action=${action}&Format=JSON`,
        headers: { 'content-type': 'application/x-www-form-urlencoded', 'content-length': Buffer.byteLength(body) },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) }),
        );
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

test('STS validates AssumeRoleWithOIDC input; its certificate is trusted for IP 127.0.0.1', async (t) => {
  const sim = await startSim(t, { sts: {} });
  const ca = sim.stsCertPem!;
  const good = {
    RoleArn: ROLE_ARN,
    OIDCProviderArn: PROVIDER_ARN,
    OIDCToken: unsignedJwt({ sub: 's', exp: Math.floor(Date.now() / 1000) + 60 }),
    RoleSessionName: 'x',
  };
  const ok = await stsCall(sim.stsEndpoint!, ca, { ...good, DurationSeconds: '900' });
  t.is(ok.status, 200);
  t.regex(ok.body['RequestId'], /^[0-9A-F-]{36}$/);
  t.deepEqual(Object.keys(ok.body['Credentials']).sort(), [
    'AccessKeyId',
    'AccessKeySecret',
    'Expiration',
    'SecurityToken',
  ]);
  const expiresIn = Date.parse(ok.body['Credentials'].Expiration) - Date.now();
  t.true(expiresIn > 850_000 && expiresIn <= 900_000, String(expiresIn));
  const cases: Array<[Record<string, string>, string, RegExp]> = [
    [{ ...good, RoleArn: '' }, 'MissingParameter', /RoleArn/],
    [{ ...good, RoleArn: 'podeip-agent' }, 'InvalidParameter.RoleArn', /RoleArn/],
    [{ ...good, OIDCProviderArn: 'acs:ram::1:role/x' }, 'InvalidParameter.OIDCProviderArn', /OIDCProviderArn/],
    [{ ...good, OIDCToken: 'not-a-jwt' }, 'InvalidParameter.OIDCToken', /OIDCToken/],
    [{ ...good, OIDCToken: unsignedJwt({ exp: 1 }) }, 'AuthenticationFail.OIDCToken.Expired', /expired/],
    [{ ...good, DurationSeconds: '899' }, 'InvalidParameter', /DurationSeconds/],
  ];
  for (const [form, code, message] of cases) {
    const res = await stsCall(sim.stsEndpoint!, ca, form);
    t.is(res.status, 400, code);
    t.is(res.body['Code'], code);
    t.regex(res.body['Message'], message);
  }
  t.is((await stsCall(sim.stsEndpoint!, ca, good, 'AssumeRole')).body['Code'], 'InvalidAction.NotFound');
  await t.throwsAsync(stsCall(sim.stsEndpoint!, '', good), { message: /self[- ]signed|unable to verify/i });
});

test('startMetadata serves one more instance on its own port (one per simulated node)', async (t) => {
  const sim = await startSim(t, { metadata: {} });
  const second = await sim.startMetadata({ instanceId: 'i-bp1podeipsim0003' });
  t.not(second, sim.metadataEndpoint);
  t.is(await (await fetch(`http://${sim.metadataEndpoint}/latest/meta-data/instance-id`)).text(), 'i-bp1podeipsim0001');
  t.is(await (await fetch(`http://${second}/latest/meta-data/instance-id`)).text(), 'i-bp1podeipsim0003');
  await t.throwsAsync(sim.startMetadata({ instanceId: 'i-nope' }), { instanceOf: SimConfigError });
});
