export { backoffDelay, type BackoffPolicy } from './backoff.js';
export { DEFAULT_RETRY_POLICIES, type RetryPolicies } from './policies.js';
