/**
 * Per-account OpenAPI budgets. Every node of every cluster in the account shares them, so one
 * node only takes `share` of each.
 */
import { CloudConfigError } from './errors.js';

export interface Budget {
  /** Calls allowed per window, for the whole account. */
  calls: number;
  windowMs: number;
}

export type CloudAction =
  | 'AllocateEipAddress'
  | 'AssociateEipAddress'
  | 'UnassociateEipAddress'
  | 'ReleaseEipAddress'
  | 'DescribeEipAddresses'
  | 'TagResources'
  | 'UnTagResources'
  | 'ModifyEipAddressAttribute'
  | 'AddCommonBandwidthPackageIp'
  | 'RemoveCommonBandwidthPackageIp'
  | 'DescribeNetworkInterfaces';

export const CLOUD_ACTIONS: readonly CloudAction[] = [
  'AllocateEipAddress',
  'AssociateEipAddress',
  'UnassociateEipAddress',
  'ReleaseEipAddress',
  'DescribeEipAddresses',
  'TagResources',
  'UnTagResources',
  'ModifyEipAddressAttribute',
  'AddCommonBandwidthPackageIp',
  'RemoveCommonBandwidthPackageIp',
  'DescribeNetworkInterfaces',
];

const MINUTE = 60_000;

/**
 * Documented: Allocate/Associate/Unassociate 120 per minute, Describe/Release 600 per minute.
 * Not documented for these actions (assumed, override with `budgets`): writes (TagResources,
 * UnTagResources, ModifyEipAddressAttribute, bandwidth package add/remove) as tight as Associate, ECS DescribeNetworkInterfaces as Describe.
 */
export const DOCUMENTED_BUDGETS: Readonly<Record<CloudAction, Budget>> = {
  AllocateEipAddress: { calls: 120, windowMs: MINUTE },
  AssociateEipAddress: { calls: 120, windowMs: MINUTE },
  UnassociateEipAddress: { calls: 120, windowMs: MINUTE },
  ReleaseEipAddress: { calls: 600, windowMs: MINUTE },
  DescribeEipAddresses: { calls: 600, windowMs: MINUTE },
  TagResources: { calls: 120, windowMs: MINUTE },
  UnTagResources: { calls: 120, windowMs: MINUTE },
  ModifyEipAddressAttribute: { calls: 120, windowMs: MINUTE },
  AddCommonBandwidthPackageIp: { calls: 120, windowMs: MINUTE },
  RemoveCommonBandwidthPackageIp: { calls: 120, windowMs: MINUTE },
  DescribeNetworkInterfaces: { calls: 600, windowMs: MINUTE },
};

/**
 * Default share of the account budget one node may use: half. The common burst is one node
 * receiving many EIP pods at once (a fresh node, a rollout landing on it) while the others idle,
 * so a small fixed fraction (1/nodes) would starve it for nothing; the other half stays free for
 * other nodes, the GC leader and other tools of the account. When many nodes burst together the
 * cloud answers Throttling and each node's limiter halves its rate (AIMD), which converges.
 */
export const DEFAULT_BUDGET_SHARE = 0.5;

/**
 * Default fraction of each account budget podeip never plans to use when the fleet coordinates:
 * other tools of the account (consoles, Terraform, other controllers) keep it. Small, because the
 * coordinated fleet already stays under the budget and every point of reserve slows a burst.
 */
export const DEFAULT_ACCOUNT_RESERVE = 0.05;

/** The account's per-action budgets: the documented ones with `overrides` applied. */
export function accountBudgets(overrides: Partial<Record<CloudAction, Budget>> = {}): Record<CloudAction, Budget> {
  const out = {} as Record<CloudAction, Budget>;
  for (const action of CLOUD_ACTIONS) {
    const b = overrides[action] ?? DOCUMENTED_BUDGETS[action];
    if (!(Number.isFinite(b.calls) && b.calls > 0) || !(Number.isFinite(b.windowMs) && b.windowMs > 0)) {
      throw new CloudConfigError(
        `budgets.${action}`,
        `calls and windowMs must be positive numbers, got ${JSON.stringify(b)}`,
      );
    }
    out[action] = { calls: b.calls, windowMs: b.windowMs };
  }
  for (const key of Object.keys(overrides)) {
    if (!CLOUD_ACTIONS.includes(key as CloudAction)) {
      throw new CloudConfigError(`budgets.${key}`, `unknown action; known: ${CLOUD_ACTIONS.join(', ')}`);
    }
  }
  return out;
}

/** The node's per-action limits: budget x share, at least one call per window. */
export function nodeBudgets(
  share: number,
  overrides: Partial<Record<CloudAction, Budget>> = {},
): Record<CloudAction, Budget> {
  if (!(share > 0 && share <= 1)) {
    throw new CloudConfigError(
      'budgetShare',
      `must be a fraction in (0, 1], got ${share}; e.g. 0.5 for half of the account's budget`,
    );
  }
  const out = accountBudgets(overrides);
  for (const action of CLOUD_ACTIONS) {
    out[action] = { calls: Math.max(1, Math.floor(out[action].calls * share)), windowMs: out[action].windowMs };
  }
  return out;
}
