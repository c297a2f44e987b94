export {
  createCloudClient,
  type CloudClientOptions,
  type CloudClientDeps,
  type ClosableCloudClient,
} from './client.js';
export { credentialsFromConfig, type CredentialConfigInput, type CredentialEnv } from './credentials-config.js';
export { DEFAULT_METADATA_ENDPOINT, type CloudCredentialsOptions } from './credentials.js';
export { DEFAULT_BUDGET_SHARE, DOCUMENTED_BUDGETS, type Budget, type CloudAction } from './budgets.js';
export { CloudError, CloudConfigError, type CloudErrorCode } from './errors.js';
export type * from './types.js';
