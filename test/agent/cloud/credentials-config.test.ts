import test from 'ava';
import { credentialsFromConfig } from '../../../agent/src/cloud/credentials-config.js';
import { CloudConfigError } from '../../../agent/src/cloud/errors.js';

const rrsaEnv = {
  ALIBABA_CLOUD_ROLE_ARN: 'acs:ram::1234567890:role/from-webhook',
  ALIBABA_CLOUD_OIDC_PROVIDER_ARN: 'acs:ram::1234567890:oidc-provider/ack-rrsa-c123',
  ALIBABA_CLOUD_OIDC_TOKEN_FILE: '/var/run/secrets/ack.alibabacloud.com/rrsa-tokens/token',
};

test('access key pair from credential.accessKey/accessSecret', (t) => {
  t.deepEqual(credentialsFromConfig({ credential: { accessKey: 'AK', accessSecret: 'SK' } }, {}), {
    type: 'access_key',
    accessKeyId: 'AK',
    accessKeySecret: 'SK',
  });
});

test('half a key pair names the missing field', (t) => {
  const e = t.throws(() => credentialsFromConfig({ credential: { accessKey: 'AK' } }, {}), {
    instanceOf: CloudConfigError,
  });
  t.regex(e.message, /credential\.accessSecret/);
  t.throws(() => credentialsFromConfig({ credential: { accessSecret: 'SK' } }, {}), {
    message: /credential\.accessKey/,
  });
});

test('no key: the node RAM role through the configured (or real) metadata endpoint', (t) => {
  t.deepEqual(credentialsFromConfig({}, {}), { type: 'ecs_ram_role', metadataEndpoint: '100.100.100.200' });
  t.deepEqual(
    credentialsFromConfig(
      { credential: { accessKey: '', accessSecret: '' }, cloud: { metadataEndpoint: '127.0.0.1:9000' } },
      {},
    ),
    { type: 'ecs_ram_role', metadataEndpoint: '127.0.0.1:9000' },
  );
});

test('RRSA from the webhook env, with the STS endpoint and session name', (t) => {
  t.deepEqual(
    credentialsFromConfig(
      { enableRRSA: true, cloud: { stsEndpoint: '127.0.0.1:8443' } },
      { ...rrsaEnv, ALIBABA_CLOUD_ROLE_SESSION_NAME: 'node-a' },
    ),
    {
      type: 'oidc_role_arn',
      roleArn: rrsaEnv.ALIBABA_CLOUD_ROLE_ARN,
      oidcProviderArn: rrsaEnv.ALIBABA_CLOUD_OIDC_PROVIDER_ARN,
      oidcTokenFile: rrsaEnv.ALIBABA_CLOUD_OIDC_TOKEN_FILE,
      stsEndpoint: '127.0.0.1:8443',
      roleSessionName: 'node-a',
    },
  );
});

test("RRSA wins over a key pair; rrsaRoleName names a role in the OIDC provider's account", (t) => {
  const c = credentialsFromConfig(
    { enableRRSA: true, rrsaRoleName: 'podeip-role', credential: { accessKey: 'AK', accessSecret: 'SK' } },
    rrsaEnv,
  );
  t.is(c.type, 'oidc_role_arn');
  t.is(c.type === 'oidc_role_arn' && c.roleArn, 'acs:ram::1234567890:role/podeip-role');
  t.false('stsEndpoint' in c);
});

test('RRSA without the webhook env names the missing variable', (t) => {
  t.throws(() => credentialsFromConfig({ enableRRSA: true }, {}), { message: /ALIBABA_CLOUD_OIDC_PROVIDER_ARN/ });
  t.throws(
    () =>
      credentialsFromConfig(
        { enableRRSA: true },
        { ALIBABA_CLOUD_OIDC_PROVIDER_ARN: rrsaEnv.ALIBABA_CLOUD_OIDC_PROVIDER_ARN },
      ),
    { message: /ALIBABA_CLOUD_OIDC_TOKEN_FILE/ },
  );
  t.throws(() => credentialsFromConfig({ enableRRSA: true }, { ...rrsaEnv, ALIBABA_CLOUD_ROLE_ARN: '' }), {
    message: /rrsaRoleName/,
  });
  t.throws(
    () =>
      credentialsFromConfig(
        { enableRRSA: true, rrsaRoleName: 'r' },
        { ...rrsaEnv, ALIBABA_CLOUD_OIDC_PROVIDER_ARN: 'bogus' },
      ),
    { message: /acs:ram::<account>:oidc-provider/ },
  );
});
