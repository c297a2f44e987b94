/**
 * An EIP we want is bound somewhere else. Whose is it? A pod of ours that is going away: wait
 * for its detach. An earlier incarnation of this pod (same name) that podeip bound, proven by the
 * EIP's binding mark: wait a while, then take it over. Anything else is not podeip's to unbind:
 * refuse, unless it is a granted static EIP and allowEipRob is on. A PodEIP alone proves nothing.
 */
import type { Eip } from '../cloud/types.js';
import type { BindingRow } from '../store/journal.js';
import { deadline } from '../../../lib/deadline.js';
import { event, type BindingContext } from './context.js';
import { BindingError } from '../domain/errors.js';
import { requireGrant } from '../domain/grants.js';
import { isBoundByUs, TAG_POD_UID } from '../domain/ownership.js';
import { boundByPodEip, UntrustedPodEipError } from '../domain/podeip-trust.js';
import { currentTarget, unbindAndWait } from '../domain/teardown.js';

const DEFAULT_TAKEOVER_AFTER_MS = 60_000;

function holderOf(eip: Eip): string {
  return `${eip.instanceId}${eip.privateIpAddress ? `/${eip.privateIpAddress}` : ''}`;
}

/** Resolves once the EIP is unbound (or gone), or false when `signal` fired first. */
async function waitUntilFree(ctx: BindingContext, allocationId: string, signal: AbortSignal): Promise<boolean> {
  try {
    await ctx.cloud.waitForEip(allocationId, (e) => !e || e.instanceId === '' || e.status === 'Available', signal);
    return true;
  } catch (err) {
    if (signal.aborted) return false;
    throw err;
  }
}

async function takeOver(
  ctx: BindingContext,
  row: BindingRow,
  eip: Eip,
  why: string,
  signal: AbortSignal,
): Promise<void> {
  event(
    ctx,
    row,
    'Warning',
    'EipTakenOver',
    `Unbinding EIP ${eip.ipAddress} (${eip.allocationId}) from ${holderOf(eip)}: ${why}`,
  );
  ctx.logger.warn('taking over an EIP', {
    pod: `${row.namespace}/${row.podName}`,
    allocationId: eip.allocationId,
    from: holderOf(eip),
    why,
  });
  const { from, primary } = currentTarget(eip);
  await unbindAndWait(ctx.cloud, from, primary, signal);
}

/** Pod gone, recreated under another UID, or terminating: its EIP is on its way out. */
async function holderLeaving(
  ctx: BindingContext,
  namespace: string,
  name: string,
  uid: string | undefined,
  signal: AbortSignal,
): Promise<boolean> {
  const pod = await ctx.kube.pods.get(namespace, name, signal);
  return !pod || (uid !== undefined && pod.uid !== uid) || pod.deletionTimestamp !== undefined;
}

/**
 * The node the pod's PodEIP says the EIP was last bound on, when that is another node and its
 * Node object is gone (deleted with a dead machine): nobody there will ever unbind it.
 */
async function holderNodeGone(ctx: BindingContext, row: BindingRow, signal: AbortSignal): Promise<string | undefined> {
  const podEip = await ctx.kube.getPodEip(row.namespace, row.podName, signal);
  const node = podEip?.spec.allocationID === row.allocationId ? podEip.status.node : undefined;
  if (!node || node === ctx.config.nodeName) return undefined;
  return (await ctx.kube.listNodeNames(signal)).has(node) ? undefined : node;
}

/** podeip bound the EIP where it is for a pod of this row's name (an earlier sandbox or incarnation). */
async function boundForThisName(ctx: BindingContext, row: BindingRow, eip: Eip, signal: AbortSignal): Promise<boolean> {
  if (eip.privateIpAddress !== '')
    return isBoundByUs(eip.tags, ctx.config.clusterId, row.namespace, row.podName, eip.privateIpAddress);
  const podEip = await ctx.kube.getPodEip(row.namespace, row.podName, signal);
  return podEip !== undefined && boundByPodEip(eip, podEip, ctx.config.clusterId);
}

/** Returns once the EIP is free for `row`; throws EipInUseElsewhere when it is not ours to take. */
export async function resolveConflict(
  ctx: BindingContext,
  row: BindingRow,
  eip: Eip,
  signal: AbortSignal,
): Promise<void> {
  const graceMs = ctx.config.takeoverAfterMs ?? DEFAULT_TAKEOVER_AFTER_MS;
  const waitedOut = async (why: string) => {
    event(
      ctx,
      row,
      'Normal',
      'EipWaiting',
      `EIP ${eip.ipAddress} (${eip.allocationId}) is still bound to ${holderOf(eip)}: ${why}; waiting`,
    );
    const grace = deadline([signal], graceMs);
    const freed = await waitUntilFree(ctx, eip.allocationId, grace.signal).finally(grace.clear);
    if (freed) return;
    signal.throwIfAborted();
    await takeOver(ctx, row, eip, `${why}, and it was not let go within ${graceMs} ms`, signal);
  };

  // The journal is this node's own record: a holder there was bound by this agent.
  const localHolders = ctx.journal.activeByAllocation(eip.allocationId).filter((r) => r.id !== row.id);
  for (const holder of localHolders) {
    if (holder.podUid === row.podUid) continue;
    if (await holderLeaving(ctx, holder.namespace, holder.podName, holder.podUid, signal)) {
      return waitedOut(`pod ${holder.namespace}/${holder.podName} that holds it is terminating`);
    }
    return refuseOrRob(ctx, row, eip, `pod ${holder.namespace}/${holder.podName} on this node holds it`, signal);
  }
  if (localHolders.length > 0 || (await boundForThisName(ctx, row, eip, signal))) {
    const goneNode = await holderNodeGone(ctx, row, signal);
    if (goneNode)
      return takeOver(
        ctx,
        row,
        eip,
        `node ${goneNode}, where it was last bound, no longer exists, so no agent there will let it go`,
        signal,
      );
    return waitedOut('podeip bound it for an earlier sandbox or incarnation of this pod');
  }
  if (row.mode !== 'static') {
    throw new BindingError(
      'EipInUseElsewhere',
      `EIP ${eip.allocationId}, allocated by podeip for ${row.namespace}/${row.podName}, is bound to ${holderOf(eip)}, where podeip did not bind it; ` +
        'podeip never unbinds an EIP from a target it did not bind: unbind it there first',
    );
  }
  const owners = (await ctx.kube.listPodEips(signal)).filter(
    (p) => p.spec.allocationID === eip.allocationId && p.labels[TAG_POD_UID] !== row.podUid,
  );
  for (const owner of owners) {
    const proven = boundByPodEip(eip, owner, ctx.config.clusterId);
    if (owner.namespace === row.namespace && owner.name === row.podName) {
      if (owner.spec.allocationType.type !== 'Static') {
        throw new UntrustedPodEipError(
          owner,
          `it says static EIP ${eip.allocationId} was allocated for this pod, which podeip did not do`,
        );
      }
      continue;
    }
    if (!proven) continue;
    if (await holderLeaving(ctx, owner.namespace, owner.name, undefined, signal)) {
      return waitedOut(`pod ${owner.namespace}/${owner.name} that holds it is terminating`);
    }
    return refuseOrRob(ctx, row, eip, `pod ${owner.namespace}/${owner.name} holds it`, signal);
  }
  return refuseOrRob(ctx, row, eip, 'podeip did not bind it there', signal);
}

/** allowEipRob takes over only a static EIP that is granted to the pod's namespace, re-checked now. */
async function refuseOrRob(
  ctx: BindingContext,
  row: BindingRow,
  eip: Eip,
  whose: string,
  signal: AbortSignal,
): Promise<void> {
  if (!ctx.config.allowEipRob || row.mode !== 'static') {
    throw new BindingError(
      'EipInUseElsewhere',
      `EIP ${eip.allocationId} named by annotation pod-eip-instanceid is bound to ${holderOf(eip)} (${whose}); ` +
        'unbind it there first, or set allowEipRob: true in the agent config to let podeip take over EIPs granted to this namespace',
    );
  }
  await requireGrant(ctx, row.namespace, eip, 'taken over under allowEipRob', signal);
  await takeOver(ctx, row, eip, `allowEipRob is on (${whose})`, signal);
}
