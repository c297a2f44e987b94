/**
 * Where the chaos suite kills the agent. Each kill point is a failpoint the agent arms from
 * PODEIP_FAILPOINTS (lib/failpoint.ts), sometimes with cloud faults that put a call in flight
 * or make the cloud commit and drop the answer, or a random moment (no failpoint at all).
 */
export type Mode = 'auto' | 'static' | 'fixed' | 'pooled';

export interface KillPoint {
  /** What the report calls it. */
  label: string;
  /** PODEIP_FAILPOINTS value; empty for a kill at a random moment. */
  failpoint: string;
  /** Cloud simulator faults while the agent is armed. */
  faults?: Record<string, unknown>;
  /** For random kills: the window after the ADD starts, in ms. */
  randomWindowMs?: number;
  /** Modes in which this point is on the path. */
  modes: readonly Mode[];
}

const ALL: readonly Mode[] = ['auto', 'static', 'fixed', 'pooled'];
/** 'pooled' (two auto pods at once, with the warm pool on) allocates in the pool's refill. */
const ALLOCATING: readonly Mode[] = ['auto', 'fixed', 'pooled'];
/** With the pool on, an auto pod's EIP is recycled instead; a pooled iteration releases the EIP past maxIdle. */
const RELEASING: readonly Mode[] = ['auto', 'pooled'];
/**
 * Taking, refilling and recycling: only with the warm pool on (`--pool`). Each is on the path of
 * every 'pooled' iteration: its three pods take more than the pool's idle EIPs (so it refills),
 * two of them ask for a bandwidth no idle EIP has (so a take sets it), and their gone pods' EIPs
 * fill the pool past maxIdle (so it recycles, then releases).
 */
const POOLED: readonly Mode[] = ['pooled'];

export const KILL_POINTS: readonly KillPoint[] = [
  { label: 'after the journal records the intent', failpoint: 'journal:pending', modes: ALL },
  { label: 'after the journal write before Allocate', failpoint: 'journal:allocating', modes: ALLOCATING },
  {
    label: 'with Allocate in flight (the cloud commits after we die)',
    failpoint: 'cloud:AllocateEipAddress:send@100',
    faults: { AllocateEipAddress: { latencyMs: 400 } },
    modes: ALLOCATING,
  },
  {
    label: 'after Allocate was committed and the answer dropped',
    failpoint: 'cloud:AllocateEipAddress:failed',
    faults: { AllocateEipAddress: { commitThenDropProbability: 1 } },
    modes: ALLOCATING,
  },
  { label: 'after Allocate answered', failpoint: 'cloud:AllocateEipAddress:answer', modes: ALLOCATING },
  { label: 'after the journal records the allocation', failpoint: 'journal:allocated', modes: ALLOCATING },
  { label: 'after the journal write before Associate', failpoint: 'journal:associating', modes: ALL },
  {
    label: 'with Associate in flight',
    failpoint: 'cloud:AssociateEipAddress:send@100',
    faults: { AssociateEipAddress: { latencyMs: 400 } },
    modes: ALL,
  },
  { label: 'while the EIP is Associating', failpoint: 'cloud:AssociateEipAddress:answer', modes: ALL },
  { label: 'after InUse, before the PodEIP status write', failpoint: 'kube:patch:podeips/status:send', modes: ALL },
  { label: 'after the journal records bound', failpoint: 'journal:bound', modes: ALL },
  { label: 'in DEL, after the journal write before Unassociate', failpoint: 'journal:unbinding', modes: ALL },
  {
    label: 'in DEL, with Unassociate in flight',
    failpoint: 'cloud:UnassociateEipAddress:send@100',
    faults: { UnassociateEipAddress: { latencyMs: 400 } },
    modes: ALL,
  },
  { label: 'in DEL, while the EIP is Unassociating', failpoint: 'cloud:UnassociateEipAddress:answer', modes: ALL },
  { label: 'after the journal records unbound', failpoint: 'journal:unbound', modes: ALL },
  { label: 'during release, after the journal write', failpoint: 'journal:releasing', modes: RELEASING },
  {
    label: 'during release, with Release in flight',
    failpoint: 'cloud:ReleaseEipAddress:send@100',
    faults: { ReleaseEipAddress: { latencyMs: 400 } },
    modes: RELEASING,
  },
  { label: 'during release, after Release answered', failpoint: 'cloud:ReleaseEipAddress:answer', modes: RELEASING },
  { label: "at a random moment of the pod's life", failpoint: '', randomWindowMs: 4000, modes: ALL },
  { label: 'taking a pool EIP, after the journal claims it', failpoint: 'journal:pool-taking', modes: POOLED },
  {
    label: "taking a pool EIP, with the pod's TagResources in flight",
    failpoint: 'cloud:TagResources:send@100',
    faults: { TagResources: { latencyMs: 400 } },
    modes: POOLED,
  },
  {
    label: 'taking a pool EIP, TagResources committed and the answer dropped',
    failpoint: 'cloud:TagResources:failed',
    faults: { TagResources: { commitThenDropProbability: 1 } },
    modes: POOLED,
  },
  {
    label: "taking a pool EIP, after the pod's tags, before ModifyEipAddressAttribute sets its bandwidth",
    failpoint: 'cloud:ModifyEipAddressAttribute:send',
    modes: POOLED,
  },
  {
    label: 'taking a pool EIP, with ModifyEipAddressAttribute in flight',
    failpoint: 'cloud:ModifyEipAddressAttribute:send@100',
    faults: { ModifyEipAddressAttribute: { latencyMs: 400 } },
    modes: POOLED,
  },
  {
    label: 'taking a pool EIP, after ModifyEipAddressAttribute answered',
    failpoint: 'cloud:ModifyEipAddressAttribute:answer',
    modes: POOLED,
  },
  { label: 'after a taken EIP left the pool journal', failpoint: 'journal:pool-deleted', modes: POOLED },
  {
    label: 'refilling, after the journal records the ClientToken',
    failpoint: 'journal:pool-allocating',
    modes: POOLED,
  },
  { label: 'refilling or recycling, as the EIP becomes idle', failpoint: 'journal:pool-idle', modes: POOLED },
  {
    label: 'recycling, after the journal records the returning EIP',
    failpoint: 'journal:pool-returning',
    modes: POOLED,
  },
  {
    label: 'recycling, with UnTagResources in flight',
    failpoint: 'cloud:UnTagResources:send@100',
    faults: { UnTagResources: { latencyMs: 400 } },
    modes: POOLED,
  },
  { label: 'recycling, after UnTagResources answered', failpoint: 'cloud:UnTagResources:answer', modes: POOLED },
];
