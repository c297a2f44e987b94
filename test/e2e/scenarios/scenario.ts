/**
 * What a scenario gets and how it is listed: each one drives pods through the real runtime and
 * throws (node:assert) on the first thing that is not as the product promises.
 */
import type { E2eNode } from '../e2e-node.js';
import type { Stack } from '../stack.js';

export interface ScenarioContext {
  node: E2eNode;
  /** The simulators, agent and installed plugin; absent for the bridge-only baseline. */
  stack: Stack | undefined;
}

export interface Scenario {
  name: string;
  /** True when the scenario needs the podeip plugin, the agent and the simulators. */
  needsPodeip: boolean;
  run(ctx: ScenarioContext): Promise<void>;
}

export const TIMING_BRIDGE_ONLY = 'without podeip (bridge only)';
export const TIMING_PODEIP_NO_EIP = 'with podeip, pod without EIP';
export const TIMING_PODEIP_EIP = 'with podeip, pod with EIP';
