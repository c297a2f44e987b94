/**
 * The fleet plan and one node's share of it (pure; fleet-budget.ts runs the rounds).
 *
 * Every busy node publishes its demand per action (calls waiting or in flight); the leader
 * gathers the fresh ones into one plan. A node's share of an action is the account budget less
 * the reserve, split by demand: own weight / the fleet's weight, capped by the node's own limit
 * (`rateLimitShare`). A busy node with no demand on an action still weighs 1 there: it may need
 * the action before the next round, and the others then leave room for it. A node the plan
 * does not list yet (it just turned busy) assumes every node of the cluster may be bursting and
 * takes budget / nodes until the next plan counts it; and until a second plan lists it, it takes
 * no more than that: nodes that turned busy with it but are not listed yet are not counted by
 * the first plan, and would be run over.
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
  own: Demand;
  account: Record<CloudAction, Budget>;
  /** Per-node caps (the account budget x rateLimitShare). */
  caps: Record<CloudAction, Budget>;
  /** [0, 1): the fraction of every budget left to other users of the account. */
  reserve: number;
  /** Listed by one plan only so far: take at most the newcomer's share. */
  warmingUp?: boolean;
}

const weight = (demand: Demand | undefined, action: CloudAction): number => Math.max(1, demand?.[action] ?? 0);

export function planShares(input: ShareInput): Record<CloudAction, PlannedShare> {
  const { plan, self, own, account, caps, reserve } = input;
  const members = Object.keys(plan.demand).sort();
  const rank = members.indexOf(self);
  const listed = rank >= 0;
  const phase = listed ? rank / members.length : hashFraction(self);
  const out = {} as Record<CloudAction, PlannedShare>;
  for (const action of Object.keys(account) as CloudAction[]) {
    const usable = account[action].calls * (1 - reserve);
    const newcomer = usable / Math.max(plan.fleet, members.length + (listed ? 0 : 1), 1);
    let calls = newcomer;
    if (listed) {
      let others = 0;
      for (const m of members) if (m !== self) others += weight(plan.demand[m], action);
      const mine = weight(own, action);
      calls = usable * mine / (others + mine);
      if (input.warmingUp) calls = Math.min(calls, newcomer);
    }
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
  for (const v of Object.values(demand)) n += v ?? 0;
  return n;
}
