import { z } from 'zod';
import { parseWith, readJsonFile } from './config-file.js';
import { CloudApiError, SimConfigError } from './errors.js';

export interface RateLimit {
  limit: number;
  windowMs: number;
}

export type RateLimitTable = Record<string, RateLimit>;

/** What `--rate-limits` / `setRateLimits` accept: a preset name or a per-action table. */
export type RateLimitSpec = 'documented' | 'off' | RateLimitTable;

const MINUTE = 60_000;

/**
 * Per-account budgets. Allocate, Associate, Unassociate (120/min) and Describe, Release
 * (600/min) are Alibaba's documented figures; the rest are the simulator's choice, set to the
 * same order of magnitude as the closest documented action.
 */
export const DOCUMENTED_RATE_LIMITS: RateLimitTable = {
  AllocateEipAddress: { limit: 120, windowMs: MINUTE },
  AssociateEipAddress: { limit: 120, windowMs: MINUTE },
  UnassociateEipAddress: { limit: 120, windowMs: MINUTE },
  DescribeEipAddresses: { limit: 600, windowMs: MINUTE },
  ReleaseEipAddress: { limit: 600, windowMs: MINUTE },
  AllocateEipAddressPro: { limit: 120, windowMs: MINUTE },
  ModifyEipAddressAttribute: { limit: 120, windowMs: MINUTE },
  AddCommonBandwidthPackageIp: { limit: 120, windowMs: MINUTE },
  RemoveCommonBandwidthPackageIp: { limit: 120, windowMs: MINUTE },
  TagResources: { limit: 120, windowMs: MINUTE },
  UnTagResources: { limit: 120, windowMs: MINUTE },
  ListTagResources: { limit: 600, windowMs: MINUTE },
  DescribeVSwitches: { limit: 600, windowMs: MINUTE },
  DescribeNetworkInterfaces: { limit: 600, windowMs: MINUTE },
};

const tableSchema = z.record(
  z.string(),
  z
    .object({
      limit: z.number().int().min(1, 'limit must be at least 1 call'),
      windowMs: z.number().int().min(1, 'windowMs must be at least 1 ms'),
    })
    .strict(),
);

/** Resolves a spec to a table; a table must name known actions only. */
export function resolveRateLimits(spec: unknown, knownActions: readonly string[], source: string): RateLimitTable {
  if (spec === 'documented') return { ...DOCUMENTED_RATE_LIMITS };
  if (spec === 'off') return {};
  const table = parseWith(tableSchema, spec, source);
  const unknown = Object.keys(table).filter((a) => !knownActions.includes(a));
  if (unknown.length > 0) {
    throw new SimConfigError(
      `${source} is invalid:\n  ${unknown.join(', ')}: not an action the simulator serves (known: ${knownActions.join(', ')})`,
    );
  }
  return table;
}

/** `--rate-limits documented|off|FILE`. */
export function rateLimitsFromFlag(value: string): unknown {
  return value === 'documented' || value === 'off' ? value : readJsonFile(value, '--rate-limits');
}

/**
 * Sliding-window budget per (account, action): a call is admitted when fewer than `limit` calls
 * were admitted in the last `windowMs`. A refused call does not count, and learns in
 * x-acs-retry-after (ms) when the oldest admitted call leaves the window.
 */
export class RateLimiter {
  private table: RateLimitTable = {};
  private readonly admitted = new Map<string, number[]>();

  constructor(private readonly now: () => number) {}

  set(table: RateLimitTable): void {
    this.table = table;
  }

  current(): RateLimitTable {
    return { ...this.table };
  }

  admit(account: string, action: string): void {
    const rule = this.table[action];
    if (!rule) return;
    const key = `${account}\n${action}`;
    const now = this.now();
    let log = this.admitted.get(key);
    if (!log) this.admitted.set(key, (log = []));
    while (log.length > 0 && log[0]! <= now - rule.windowMs) log.shift();
    if (log.length >= rule.limit) {
      const retryAfterMs = Math.max(1, log[log.length - rule.limit]! + rule.windowMs - now);
      throw new CloudApiError('Throttling.User', 400, 'Request was denied due to user flow control.', {
        'x-acs-retry-after': String(retryAfterMs),
      });
    }
    log.push(now);
  }
}
