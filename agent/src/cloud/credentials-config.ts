/**
 * Maps the agent's config file keys (plus the environment ack-pod-identity-webhook injects) to the
 * client's `credentials` option. Pure: the agent core calls it with its parsed config and env.
 */
import { CloudConfigError } from './errors.js';
import { DEFAULT_METADATA_ENDPOINT, type CloudCredentialsOptions } from './credentials.js';

export interface CredentialConfigInput {
  credential?: { accessKey?: string; accessSecret?: string } | undefined;
  enableRRSA?: boolean | undefined;
  rrsaRoleName?: string | undefined;
  cloud?: { metadataEndpoint?: string | undefined; stsEndpoint?: string | undefined } | undefined;
}

export type CredentialEnv = Readonly<Record<string, string | undefined>>;

/** acs:ram::<account uid>:oidc-provider/<name> -> <account uid> */
function accountOfProviderArn(arn: string): string | undefined {
  return /^acs:ram::(\d+):oidc-provider\/.+$/.exec(arn)?.[1];
}

/**
 * - `enableRRSA: true` -> oidc_role_arn from ALIBABA_CLOUD_ROLE_ARN, ALIBABA_CLOUD_OIDC_PROVIDER_ARN,
 *   ALIBABA_CLOUD_OIDC_TOKEN_FILE (and ALIBABA_CLOUD_ROLE_SESSION_NAME); `rrsaRoleName`, when set,
 *   names the role in the provider's account instead of ALIBABA_CLOUD_ROLE_ARN; `cloud.stsEndpoint`.
 * - else `credential.accessKey` + `credential.accessSecret` -> access_key.
 * - else ecs_ram_role through `cloud.metadataEndpoint` (default 100.100.100.200), role discovered.
 */
export function credentialsFromConfig(config: CredentialConfigInput, env: CredentialEnv): CloudCredentialsOptions {
  const accessKey = config.credential?.accessKey?.trim() ?? '';
  const accessSecret = config.credential?.accessSecret?.trim() ?? '';
  if (config.enableRRSA) {
    const oidcProviderArn = env.ALIBABA_CLOUD_OIDC_PROVIDER_ARN?.trim() ?? '';
    const oidcTokenFile = env.ALIBABA_CLOUD_OIDC_TOKEN_FILE?.trim() ?? '';
    if (!oidcProviderArn) {
      throw new CloudConfigError(
        'ALIBABA_CLOUD_OIDC_PROVIDER_ARN',
        "is not set but enableRRSA is true; enable the ack-pod-identity-webhook for the agent's namespace or set the variable",
      );
    }
    if (!oidcTokenFile) {
      throw new CloudConfigError(
        'ALIBABA_CLOUD_OIDC_TOKEN_FILE',
        "is not set but enableRRSA is true; enable the ack-pod-identity-webhook for the agent's namespace or set the variable",
      );
    }
    let roleArn = env.ALIBABA_CLOUD_ROLE_ARN?.trim() ?? '';
    const roleName = config.rrsaRoleName?.trim();
    if (roleName) {
      const account = accountOfProviderArn(oidcProviderArn);
      if (!account) {
        throw new CloudConfigError(
          'ALIBABA_CLOUD_OIDC_PROVIDER_ARN',
          `"${oidcProviderArn}" is not acs:ram::<account>:oidc-provider/<name>, so rrsaRoleName cannot be turned into a role ARN; fix the variable or set ALIBABA_CLOUD_ROLE_ARN and drop rrsaRoleName`,
        );
      }
      roleArn = `acs:ram::${account}:role/${roleName}`;
    }
    if (!roleArn) {
      throw new CloudConfigError(
        'rrsaRoleName',
        'is empty and ALIBABA_CLOUD_ROLE_ARN is not set, but enableRRSA is true; set rrsaRoleName to the RAM role the agent assumes',
      );
    }
    const sessionName = env.ALIBABA_CLOUD_ROLE_SESSION_NAME?.trim();
    const stsEndpoint = config.cloud?.stsEndpoint?.trim();
    return {
      type: 'oidc_role_arn',
      roleArn,
      oidcProviderArn,
      oidcTokenFile,
      ...(stsEndpoint ? { stsEndpoint } : {}),
      ...(sessionName ? { roleSessionName: sessionName } : {}),
    };
  }
  if (accessKey || accessSecret) {
    if (!accessKey)
      throw new CloudConfigError(
        'credential.accessKey',
        "is empty but credential.accessSecret is set; set both or neither (neither uses the node's RAM role)",
      );
    if (!accessSecret)
      throw new CloudConfigError(
        'credential.accessSecret',
        "is empty but credential.accessKey is set; set both or neither (neither uses the node's RAM role)",
      );
    return { type: 'access_key', accessKeyId: accessKey, accessKeySecret: accessSecret };
  }
  return {
    type: 'ecs_ram_role',
    metadataEndpoint: config.cloud?.metadataEndpoint?.trim() || DEFAULT_METADATA_ENDPOINT,
  };
}
