/**
 * The fleet plan and one node's share of it (pure; fleet-budget.ts runs the rounds).
 *
 * Every busy node publishes its demand per action (calls waiting or in flight); the leader
 * gathers the fresh ones into one plan. A node's share of an action is the account budget less
 * the reserve, split equally among the busy nodes the plan lists, capped by the node's own limit
 * (`rateLimitShare`). Equal, not weighted by queue length: a budget counts calls over a sliding
 * window, so a share that grows while others' calls are still in the window overruns it, and
 * queue lengths change every round while the set of busy nodes changes only when a node starts
 * or finishes. Equal demand then makes equal progress.
 *
 * A node the plan does not list yet (it just turned busy) assumes every node of the cluster may
 * be bursting and takes budget / nodes until the next plan counts it; until a second plan lists
 * it, it takes no more than that: nodes that turned busy with it but are not listed yet are not
 * counted by the first plan, and would be run over.
 */
import type { Budget, CloudAction } from './budgets.js';
import type { PlannedShare } from './rate-limiter.js';

export type Demand = Partial<Record<CloudAction, number>>;

export interface FleetPlan {
  /** Changes with every plan the leader writes; nodes judge the plan's freshness by it. */
  seq: number;
  /** Nodes of the cluster: how many may turn busy at once. */
  fleet: number;
  /** The busy nodes' fresh demand, by node name. */
  demand: Record<string, Demand>;
}

export interface ShareInput {
  plan: FleetPlan;
  self: string;
  account: Record<CloudAction, Budget>;
  /** Per-node caps (the account budget x rateLimitShare). */
  caps: Record<CloudAction, Budget>;
  /** [0, 1): the fraction of every budget left to other users of the account. */
  reserve: number;
  /** Listed by one plan only so far: take at most the newcomer's share. */
  warmingUp?: boolean;
}

export function planShares(input: ShareInput): Record<CloudAction, PlannedShare> {
  const { plan, self, account, caps, reserve } = input;
  const members = Object.keys(plan.demand).sort();
  const rank = members.indexOf(self);
  const listed = rank >= 0;
  const phase = listed ? rank / members.length : hashFraction(self);
  const out = {} as Record<CloudAction, PlannedShare>;
  for (const action of Object.keys(account) as CloudAction[]) {
    const usable = account[action].calls * (1 - reserve);
    const newcomer = usable / Math.max(plan.fleet, members.length + (listed ? 0 : 1), 1);
    let calls = newcomer;
    if (listed) calls = input.warmingUp ? Math.min(usable / members.length, newcomer) : usable / members.length;
    out[action] = { calls: Math.min(calls, caps[action].calls), phase };
  }
  return out;
}

/** A stable point in [0, 1) for a name (FNV-1a). */
export function hashFraction(name: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < name.length; i++) {
    h ^= name.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h / 2 ** 32;
}

/** Sum of demand over actions. */
export function totalDemand(demand: Demand): number {
  let n = 0;
  for (const v of Object.values(demand) as (number | undefined)[]) n += v ?? 0;
  return n;
}
