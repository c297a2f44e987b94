/**
 * Credential sources for the SDK, all through @alicloud/credentials: a static key pair, the ECS
 * RAM role from instance metadata (our provider, because the library hard-codes the metadata
 * host), and RRSA (the library's OIDC provider with an overridable STS endpoint). Every source
 * is wrapped so the client learns each secret it hands out and can scrub it from any text.
 */
import { readFile } from 'node:fs/promises';
import type { CredentialsExports } from './sdk.js';
import { CloudConfigError, CredentialSourceError, stripQueryStrings } from './errors.js';

export type CloudCredentialsOptions =
  | { type: 'access_key'; accessKeyId: string; accessKeySecret: string }
  | {
      type: 'ecs_ram_role';
      /** 'http://HOST[:PORT]' or 'HOST[:PORT]'; the real service is 100.100.100.200. */
      metadataEndpoint: string;
      /** Discovered from metadata when absent. */
      roleName?: string;
    }
  | {
      type: 'oidc_role_arn';
      roleArn: string;
      oidcProviderArn: string;
      oidcTokenFile: string;
      /** 'HOST[:PORT]', always HTTPS (the library fixes the scheme); the library's default when absent. */
      stsEndpoint?: string;
      roleSessionName?: string;
    };

/** What the SDK's `credential` option calls (the library's CredentialsProvider shape). */
export interface CredentialsProviderLike {
  getCredentials(): Promise<{
    accessKeyId: string;
    accessKeySecret: string;
    securityToken: string;
    providerName: string;
  }>;
  getProviderName(): string;
}

export const DEFAULT_METADATA_ENDPOINT = '100.100.100.200';

/** Holds the secrets recently handed to the SDK; `redact` scrubs them from text. */
export class SecretRegistry {
  private readonly secrets = new Set<string>();

  /** Sessions rotate hourly for the agent's lifetime; only recent ones can still appear in text. */
  constructor(private readonly keep = 16) {}

  add(value: string | undefined): void {
    // Short values (empty token, placeholders) would scrub ordinary words.
    if (!value || value.length < 6) return;
    this.secrets.delete(value);
    this.secrets.add(value);
    if (this.secrets.size > this.keep) this.secrets.delete(this.secrets.values().next().value!);
  }

  redact(text: string): string {
    let out = text;
    for (const s of this.secrets) out = out.split(s).join('<redacted>');
    return out;
  }
}

function metadataBaseUrl(endpoint: string): string {
  const trimmed = endpoint.trim().replace(/\/+$/, '');
  if (!trimmed)
    throw new CloudConfigError('credentials.metadataEndpoint', `must be 'HOST[:PORT]' or 'http://HOST[:PORT]', got ''`);
  return /^https?:\/\//.test(trimmed) ? trimmed : `http://${trimmed}`;
}

/** ECS RAM role credentials over the IMDSv2 token flow, against a configurable metadata endpoint. */
export class EcsMetadataRoleProvider implements CredentialsProviderLike {
  private readonly base: string;
  private cached:
    | { accessKeyId: string; accessKeySecret: string; securityToken: string; refreshAt: number; expiresAt: number }
    | undefined;
  private inflight: Promise<void> | undefined;

  constructor(
    metadataEndpoint: string,
    private readonly roleName: string | undefined,
    private readonly timeoutMs: number,
    private readonly now: () => number = Date.now,
  ) {
    this.base = metadataBaseUrl(metadataEndpoint);
  }

  getProviderName(): string {
    return 'ecs_ram_role';
  }

  async getCredentials() {
    const now = this.now();
    if (!this.cached || now >= this.cached.refreshAt) {
      this.inflight ??= this.refresh().finally(() => {
        this.inflight = undefined;
      });
      try {
        await this.inflight;
      } catch (err) {
        // A metadata hiccup must not fail calls while the old session is still valid.
        if (!this.cached || this.now() >= this.cached.expiresAt) throw err;
      }
    }
    const c = this.cached!;
    return {
      accessKeyId: c.accessKeyId,
      accessKeySecret: c.accessKeySecret,
      securityToken: c.securityToken,
      providerName: 'ecs_ram_role',
    };
  }

  private async request(method: 'GET' | 'PUT', path: string, headers: Record<string, string>): Promise<string> {
    const res = await fetch(`${this.base}${path}`, { method, headers, signal: AbortSignal.timeout(this.timeoutMs) });
    const text = await res.text();
    if (!res.ok) throw new Error(`${method} ${path}: HTTP ${res.status}`);
    return text;
  }

  private async refresh(): Promise<void> {
    const token = await this.request('PUT', '/latest/api/token', {
      'X-aliyun-ecs-metadata-token-ttl-seconds': '21600',
    });
    const auth = { 'X-aliyun-ecs-metadata-token': token };
    const role =
      this.roleName ??
      (await this.request('GET', '/latest/meta-data/ram/security-credentials/', auth))
        .split('\n')[0]!
        .trim()
        .replace(/\/$/, '');
    if (!role) throw new Error('no RAM role is attached to this instance (metadata returned no role name)');
    const body = await this.request(
      'GET',
      `/latest/meta-data/ram/security-credentials/${encodeURIComponent(role)}`,
      auth,
    );
    let doc: Record<string, unknown>;
    try {
      doc = JSON.parse(body) as Record<string, unknown>;
    } catch {
      throw new Error(`role ${role}: metadata answer is not JSON`);
    }
    if (doc.Code !== 'Success') throw new Error(`role ${role}: metadata answered Code=${String(doc.Code)}`);
    const { AccessKeyId, AccessKeySecret, SecurityToken, Expiration } = doc;
    if (typeof AccessKeyId !== 'string' || typeof AccessKeySecret !== 'string' || typeof SecurityToken !== 'string') {
      throw new Error(`role ${role}: metadata answer lacks AccessKeyId/AccessKeySecret/SecurityToken`);
    }
    const expiresAt = typeof Expiration === 'string' ? Date.parse(Expiration) : Number.NaN;
    const now = this.now();
    const validFor = Number.isFinite(expiresAt) ? expiresAt - now : 3_600_000;
    // Refresh 15 minutes early like the library does; short sessions refresh at half-life.
    const refreshIn = validFor > 30 * 60_000 ? validFor - 15 * 60_000 : validFor / 2;
    this.cached = {
      accessKeyId: AccessKeyId,
      accessKeySecret: AccessKeySecret,
      securityToken: SecurityToken,
      refreshAt: now + refreshIn,
      expiresAt: now + validFor,
    };
  }
}

/** Records secrets and turns any source failure into a CredentialSourceError with scrubbed text. */
class SecretTrackingProvider implements CredentialsProviderLike {
  constructor(
    private readonly inner: CredentialsProviderLike,
    private readonly secrets: SecretRegistry,
    private readonly tokenFile: string | undefined,
  ) {}

  getProviderName(): string {
    return this.inner.getProviderName();
  }

  async getCredentials() {
    if (this.tokenFile) {
      // The OIDC token is a secret too, and the library sends it in the STS request body.
      this.secrets.add((await readFile(this.tokenFile, 'utf8').catch(() => '')).trim());
    }
    try {
      const c = await this.inner.getCredentials();
      this.secrets.add(c.accessKeySecret);
      this.secrets.add(c.securityToken);
      return c;
    } catch (err) {
      const text = err instanceof Error ? err.message : String(err);
      throw new CredentialSourceError(this.getProviderName(), stripQueryStrings(this.secrets.redact(text)));
    }
  }
}

function required(value: string | undefined, field: string, fix: string): string {
  if (!value || !value.trim()) throw new CloudConfigError(field, `is required; ${fix}`);
  return value;
}

/** Checks the credentials option up front (the SDK loads lazily, so errors would come late). */
export function validateCredentialsOptions(options: CloudCredentialsOptions): void {
  switch (options.type) {
    case 'access_key':
      required(options.accessKeyId, 'credentials.accessKeyId', 'set credential.accessKey in the config');
      required(options.accessKeySecret, 'credentials.accessKeySecret', 'set credential.accessSecret in the config');
      return;
    case 'ecs_ram_role':
      metadataBaseUrl(options.metadataEndpoint || DEFAULT_METADATA_ENDPOINT);
      return;
    case 'oidc_role_arn':
      required(options.roleArn, 'credentials.roleArn', 'set ALIBABA_CLOUD_ROLE_ARN or rrsaRoleName');
      required(options.oidcProviderArn, 'credentials.oidcProviderArn', 'set ALIBABA_CLOUD_OIDC_PROVIDER_ARN');
      required(
        options.oidcTokenFile,
        'credentials.oidcTokenFile',
        'set ALIBABA_CLOUD_OIDC_TOKEN_FILE (ack-pod-identity-webhook injects it)',
      );
      if (options.stsEndpoint && /^[a-z]+:\/\//i.test(options.stsEndpoint)) {
        throw new CloudConfigError(
          'credentials.stsEndpoint',
          `must be HOST[:PORT] without a scheme (STS is always HTTPS), got "${options.stsEndpoint}"`,
        );
      }
      return;
    default:
      throw new CloudConfigError(
        'credentials.type',
        `must be access_key, ecs_ram_role or oidc_role_arn, got ${JSON.stringify((options as { type?: unknown } | undefined)?.type)}`,
      );
  }
}

/**
 * Builds the SDK's `credential` object. `lib` is the loaded @alicloud/credentials module
 * (passed in so the package load happens once, where the client decides).
 */
export function buildCredential(
  lib: CredentialsExports,
  options: CloudCredentialsOptions,
  secrets: SecretRegistry,
  metadataTimeoutMs: number,
): unknown {
  validateCredentialsOptions(options);
  let inner: CredentialsProviderLike;
  let tokenFile: string | undefined;
  switch (options.type) {
    case 'access_key':
      secrets.add(options.accessKeySecret);
      inner = lib.StaticAKCredentialsProvider.builder()
        .withAccessKeyId(options.accessKeyId)
        .withAccessKeySecret(options.accessKeySecret)
        .build();
      break;
    case 'ecs_ram_role':
      inner = new EcsMetadataRoleProvider(
        options.metadataEndpoint || DEFAULT_METADATA_ENDPOINT,
        options.roleName || undefined,
        metadataTimeoutMs,
      );
      break;
    case 'oidc_role_arn': {
      tokenFile = options.oidcTokenFile;
      let b = lib.OIDCRoleArnCredentialsProvider.builder()
        .withRoleArn(options.roleArn)
        .withOIDCProviderArn(options.oidcProviderArn)
        .withOIDCTokenFilePath(tokenFile)
        .withRoleSessionName(options.roleSessionName || 'podeip-agent');
      if (options.stsEndpoint) b = b.withStsEndpoint(options.stsEndpoint);
      inner = b.build();
      break;
    }
  }
  return new lib.default(null, new SecretTrackingProvider(inner, secrets, tokenFile));
}
