/**
 * The official SDK packages, loaded once per client on first use (vpc + ecs take about 1.4 s to
 * load: thousands of model files), and the two product clients built over them. CommonJS in
 * native ESM: the default import is the exports object, the client class is its `.default`.
 */
import { CloudConfigError } from './errors.js';

/** Loads the packages; types are inferred from the import expressions (the runtime shape). */
export async function loadSdkModules() {
  const [vpc, ecs, core, dara, credentials] = await Promise.all([
    import('@alicloud/vpc20160428'),
    import('@alicloud/ecs20140526'),
    import('@alicloud/openapi-core'),
    import('@darabonba/typescript'),
    import('@alicloud/credentials'),
  ]);
  return {
    vpc: vpc.default,
    ecs: ecs.default,
    core: core.default,
    dara: dara.default,
    credentials: credentials.default,
  };
}

export type SdkModules = Awaited<ReturnType<typeof loadSdkModules>>;
export type VpcExports = SdkModules['vpc'];
export type EcsExports = SdkModules['ecs'];
export type CredentialsExports = SdkModules['credentials'];
type DaraExports = SdkModules['dara'];

export interface SdkClientOptions {
  regionId: string;
  /** '' = the SDK's default host for the region; 'HOST[:PORT]' otherwise (no scheme). */
  vpcEndpoint: string;
  ecsEndpoint: string;
  protocol: 'http' | 'https';
  connectTimeoutMs: number;
  readTimeoutMs: number;
  /** Old HMAC-SHA1 signing (signature v1) instead of ACS3-HMAC-SHA256. */
  legacySignature: boolean;
}

export type VpcClient = InstanceType<VpcExports['default']>;
export type EcsClient = InstanceType<EcsExports['default']>;

export interface SdkClients {
  modules: SdkModules;
  vpc: VpcClient;
  ecs: EcsClient;
  /** Per-call runtime options (timeouts); no SDK retries, the CallRunner retries. */
  runtime(): InstanceType<DaraExports['RuntimeOptions']>;
}

/** Rejects endpoints the SDK would mangle (a scheme makes it call http://http//...). */
export function checkEndpoint(field: string, endpoint: string): string {
  const e = endpoint.trim();
  if (/^[a-z]+:\/\//i.test(e)) {
    throw new CloudConfigError(
      field,
      `must be HOST or HOST:PORT without a scheme (the scheme comes from cloud.protocol), got "${e}"`,
    );
  }
  if (e && !/^[A-Za-z0-9.-]+(:\d{1,5})?$/.test(e)) {
    throw new CloudConfigError(field, `must be HOST or HOST:PORT, got "${e}"`);
  }
  return e;
}

export function createSdkClients(modules: SdkModules, options: SdkClientOptions, credential: unknown): SdkClients {
  const config = (endpoint: string) =>
    new modules.core.$OpenApiUtil.Config({
      regionId: options.regionId,
      protocol: options.protocol,
      credential,
      connectTimeout: options.connectTimeoutMs,
      readTimeout: options.readTimeoutMs,
      ...(endpoint ? { endpoint } : {}),
      ...(options.legacySignature ? { signatureAlgorithm: 'v2' } : {}),
    });
  const Vpc = modules.vpc.default;
  const Ecs = modules.ecs.default;
  return {
    modules,
    vpc: new Vpc(config(options.vpcEndpoint)),
    ecs: new Ecs(config(options.ecsEndpoint)),
    runtime: () =>
      new modules.dara.RuntimeOptions({ readTimeout: options.readTimeoutMs, connectTimeout: options.connectTimeoutMs }),
  };
}
