/**
 * Getting hold of the EIP a row needs: the user's (static), the one its PodEIP records (fixed,
 * recreated pod), or a new one allocated with the row's ClientToken and our tags. A row found in
 * 'allocating' after a crash may have an EIP in the cloud already: it is found by its tags, or
 * the same ClientToken makes the cloud hand back the same EIP.
 */
import type { Eip } from '../cloud/types.js';
import { CloudError } from '../cloud/errors.js';
import type { BindingRow } from '../store/journal.js';
import { event, type BindingContext, type DriveNotes } from './context.js';
import { isPermanentRefusal, missingNamedResource } from './cloud-refusals.js';
import { BindingError } from '../domain/errors.js';
import { isOwnedFor, TAG_POD_UID, podSelectorTags } from '../domain/ownership.js';
import { UntrustedPodEipError } from '../domain/podeip-trust.js';
import { decodeAllocation } from '../domain/stored-allocation.js';
import { transition } from './state-machine.js';

function failed(ctx: BindingContext, row: BindingRow, err: BindingError): never {
  transition(ctx, row, 'refused', { lastError: err.message, attempts: row.attempts + 1 });
  throw err;
}

function eipNotFound(ctx: BindingContext, row: BindingRow, message: string): never {
  failed(ctx, row, new BindingError('EipNotFound', message));
}

/** pending -> allocated (static, adopted fixed) or allocating -> allocated (new EIP). */
export async function acquire(
  ctx: BindingContext,
  row: BindingRow,
  signal: AbortSignal,
  notes: DriveNotes = {},
): Promise<BindingRow> {
  if (row.mode === 'static') {
    const eip = await ctx.cloud.describeEip(row.allocationId, signal);
    if (!eip) {
      eipNotFound(
        ctx,
        row,
        `annotation pod-eip-instanceid names ${row.allocationId}, which does not exist in region ${ctx.config.regionId}; check the EIP instance ID`,
      );
    }
    return transition(ctx, row, 'eip-found', { address: eip.ipAddress });
  }
  if (row.mode === 'fixed') {
    const podEip = await ctx.kube.getPodEip(row.namespace, row.podName, signal);
    if (podEip && podEip.spec.allocationID) {
      const earlierFollow =
        podEip.spec.allocationType.releaseStrategy === 'Follow' && podEip.labels[TAG_POD_UID] !== row.podUid;
      if (podEip.deletionTimestamp || earlierFollow) {
        throw new BindingError(
          'EipInUseElsewhere',
          `PodEIP ${row.namespace}/${row.podName} belongs to an earlier pod of this name whose EIP ${podEip.spec.allocationID} follows it (release strategy Follow) and is being released; the runtime's retry gets a new EIP once the PodEIP is gone`,
        );
      }
      const eip = await ctx.cloud.describeEip(podEip.spec.allocationID, signal);
      if (!eip) {
        eipNotFound(
          ctx,
          row,
          `PodEIP ${row.namespace}/${row.podName} records ${podEip.spec.allocationID}, which no longer exists; delete the PodEIP to let the pod get a new EIP`,
        );
      }
      // The PodEIP only points; the EIP's own tags must say podeip allocated it for this pod name.
      if (!isOwnedFor(eip.tags, ctx.config.clusterId, row.namespace, row.podName)) {
        throw new UntrustedPodEipError(
          podEip,
          `its EIP ${eip.allocationId} was not allocated by podeip of this cluster for ${row.namespace}/${row.podName}`,
        );
      }
      event(
        ctx,
        row,
        'Normal',
        'EipReused',
        `Reusing fixed EIP ${eip.ipAddress} (${eip.allocationId}) recorded by PodEIP ${row.podName}`,
      );
      return transition(ctx, row, 'eip-found', {
        allocationId: eip.allocationId,
        address: eip.ipAddress,
        bandwidthPackageId: podEip.spec.bandwidthPackageID ?? '',
      });
    }
  }
  const allocated = await allocate(ctx, transition(ctx, row, 'allocate'), signal);
  notes.freshAuto = isFreshAuto(allocated);
  return allocated;
}

/**
 * An auto EIP allocated (or taken from the pool and tagged) by this very drive is unbound and
 * carries exactly the tags of its allocation request, the binding mark among them: describing it
 * before the association would only say so again. With a bandwidth package to join, it is described.
 */
function isFreshAuto(row: BindingRow): boolean {
  return row.mode === 'auto' && row.state === 'allocated' && row.bandwidthPackageId === '';
}

/** allocating -> allocated after a crash or an unanswered Allocate: adopt what the cloud has, else re-send. */
export async function recoverAllocation(
  ctx: BindingContext,
  row: BindingRow,
  signal: AbortSignal,
): Promise<BindingRow> {
  // A pool take cut short finishes first (the pod's tags, then its bandwidth), so the EIP adopted below is complete.
  await ctx.pool?.settleTakesFor(row.id, signal);
  const tagged = await ctx.cloud.listEipsByTags(podSelectorTags(ctx.config.clusterId, row.podUid), signal);
  const free = tagged.filter(
    (e) => e.status !== 'Releasing' && ctx.journal.activeByAllocation(e.allocationId).every((r) => r.id === row.id),
  );
  const found = free.sort((a, b) => a.allocationTime.localeCompare(b.allocationTime))[0];
  if (found) {
    if (free.length > 1) {
      ctx.logger.warn(
        "several unowned EIPs carry this pod's tags; adopting the oldest, the cluster sweep reclaims the rest",
        { pod: `${row.namespace}/${row.podName}`, allocationIds: free.map((e) => e.allocationId) },
      );
    }
    return adopted(ctx, row, found);
  }
  return allocate(ctx, row, signal);
}

function adopted(ctx: BindingContext, row: BindingRow, eip: Pick<Eip, 'allocationId' | 'ipAddress'>): BindingRow {
  ctx.logger.info('allocation recovered', { pod: `${row.namespace}/${row.podName}`, allocationId: eip.allocationId });
  return transition(ctx, row, 'allocated', { allocationId: eip.allocationId, address: eip.ipAddress });
}

/** The quota is used up as far as this node knows: refuse before AllocateEipAddress, saying how to fix it. */
function refuseOverQuota(ctx: BindingContext, row: BindingRow, why: string): never {
  event(ctx, row, 'Warning', 'EipQuotaExceeded', `No EIP allocated: ${why}`);
  failed(ctx, row, new BindingError('EipQuotaExceeded', `EipQuotaExceeded: ${why}; try again later`));
}

async function allocate(ctx: BindingContext, row: BindingRow, signal: AbortSignal): Promise<BindingRow> {
  if (row.mode === 'auto' && ctx.pool) {
    const taken = await ctx.pool.take(row, signal);
    if (taken) {
      event(
        ctx,
        row,
        'Normal',
        'EipAllocated',
        `Allocated EIP ${taken.ipAddress} (${taken.allocationId}) from this node's warm pool`,
      );
      return transition(ctx, row, 'allocated', { allocationId: taken.allocationId, address: taken.ipAddress });
    }
  }
  const over = ctx.quota?.exceeded();
  if (over) refuseOverQuota(ctx, row, over);
  const { allocate: params } = decodeAllocation(row.allocateParams);
  try {
    const eip = await ctx.cloud.allocateEip({ ...params, clientToken: row.clientToken }, signal);
    ctx.quota?.changed(1);
    event(ctx, row, 'Normal', 'EipAllocated', `Allocated EIP ${eip.ipAddress} (${eip.allocationId})`);
    return transition(ctx, row, 'allocated', { allocationId: eip.allocationId, address: eip.ipAddress });
  } catch (err) {
    // A definite rejection allocated nothing; anything else may have, so the row stays 'allocating'.
    if (isPermanentRefusal(err)) {
      if (err instanceof CloudError && err.code === 'EipQuotaExceeded' && ctx.quota) {
        event(ctx, row, 'Warning', 'EipQuotaExceeded', `No EIP allocated: ${ctx.quota.refusedByCloud()}`);
      }
      const refusal = missingNamedResource(
        err,
        { resourceGroupId: params.resourceGroupId, publicIpAddressPoolId: params.publicIpAddressPoolId },
        ctx.config.regionId,
      );
      transition(ctx, row, 'refused', { lastError: (refusal ?? err).message, attempts: row.attempts + 1 });
      throw refusal ?? err;
    }
    throw err;
  }
}
