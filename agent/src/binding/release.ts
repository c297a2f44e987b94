/**
 * What happens to an unbound EIP once its pod is gone (or terminating), per mode and strategy:
 * - auto, fixed+Follow: release it (only if its tags say we allocated it for this pod and nothing
 *   else holds it), then delete the PodEIP;
 * - fixed+Never / fixed+TTL: keep it; the PodEIP records podLastSeen and owns it from now on
 *   (TTL expiry is the cluster sweep's duty);
 * - static: never released; the PodEIP goes.
 */
import type { PodEip, PodInfo } from '../kube/types.js';
import type { BindingRow } from '../store/journal.js';
import { event, type BindingContext } from './context.js';
import { isOwnedFor } from '../domain/ownership.js';
import { transition } from './state-machine.js';
import { releaseAndWait } from '../domain/teardown.js';

/** The pod object this row served no longer runs: its EIP may go once unbound. */
export function podIsLeaving(row: BindingRow, pod: PodInfo | undefined): boolean {
  return !pod || pod.uid !== row.podUid || pod.deletionTimestamp !== undefined;
}

/**
 * The PodEIP still describes this row's binding, not a newer pod of the same name that has
 * since bound the same EIP (possibly on another node): only then may this row change it.
 */
function describesRow(ctx: BindingContext, podEip: PodEip | undefined, row: BindingRow): podEip is PodEip {
  if (!podEip || podEip.spec.allocationID !== row.allocationId) return false;
  const { privateIPAddress, node } = podEip.status;
  return (!privateIPAddress || privateIPAddress === row.privateIp) && (!node || node === ctx.config.nodeName);
}

async function dropPodEip(ctx: BindingContext, row: BindingRow, signal: AbortSignal): Promise<void> {
  if (!describesRow(ctx, await ctx.kube.getPodEip(row.namespace, row.podName, signal), row)) return;
  await ctx.kube.deletePodEip(row.namespace, row.podName, signal);
  await ctx.kube.removePodEipFinalizer(row.namespace, row.podName, signal);
}

/** unbound|releasing -> gone. Call only when podIsLeaving. */
export async function finish(ctx: BindingContext, start: BindingRow, signal: AbortSignal): Promise<BindingRow> {
  let row = start;
  const log = ctx.logger.child({ pod: `${row.namespace}/${row.podName}`, allocationId: row.allocationId });
  if (!row.allocationId) return transition(ctx, row, 'kept');
  if (ctx.journal.activeByAllocation(row.allocationId).some((r) => r.id !== row.id)) {
    log.info('EIP is held by a newer binding on this node; leaving it and its PodEIP to that one');
    return transition(ctx, row, 'kept');
  }

  if (row.mode === 'static') {
    await dropPodEip(ctx, row, signal);
    return transition(ctx, row, 'kept');
  }
  if (row.mode === 'fixed' && row.releaseStrategy !== 'Follow') {
    if (describesRow(ctx, await ctx.kube.getPodEip(row.namespace, row.podName, signal), row)) {
      await ctx.kube.updatePodEipStatus(
        row.namespace,
        row.podName,
        {
          podLastSeen: new Date(ctx.now()).toISOString(),
          status: 'Available',
          privateIPAddress: '',
          networkInterfaceID: '',
        },
        signal,
      );
    }
    event(
      ctx,
      row,
      'Normal',
      'EipKept',
      `EIP ${row.address} (${row.allocationId}) kept for the next pod named ${row.podName} ` +
        `(release strategy ${row.releaseStrategy === 'TTL' ? row.releaseAfter : 'Never'})`,
    );
    return transition(ctx, row, 'kept');
  }
  if (ctx.pool?.holds(row.allocationId)) {
    // Recycled into the warm pool before a crash: the pool owns it now.
    await dropPodEip(ctx, row, signal);
    return transition(ctx, row, 'kept', { lastError: '' });
  }
  row = transition(ctx, row, 'release');
  const eip = await ctx.cloud.describeEip(row.allocationId, signal);
  if (eip) {
    if (!isOwnedFor(eip.tags, ctx.config.clusterId, row.namespace, row.podName)) {
      log.error('refusing to release an EIP whose tags do not say we allocated it for this pod', { tags: eip.tags });
      return transition(ctx, row, 'kept', { lastError: 'not released: the EIP does not carry our ownership tags' });
    }
    if (eip.instanceId !== '') {
      log.warn('EIP is bound elsewhere; not releasing', {
        instanceId: eip.instanceId,
        privateIp: eip.privateIpAddress,
      });
      return transition(ctx, row, 'kept', { lastError: `not released: bound to ${eip.instanceId}` });
    }
    if (ctx.pool && (await ctx.pool.recycle(row, eip, signal))) {
      event(
        ctx,
        row,
        'Normal',
        'EipRecycled',
        `EIP ${row.address} (${row.allocationId}) went back to this node's warm pool`,
      );
      await dropPodEip(ctx, row, signal);
      return transition(ctx, row, 'recycled', { lastError: '' });
    }
    if (row.bandwidthPackageId || eip.bandwidthPackageId) {
      await ctx.cloud.removeFromBandwidthPackage(
        row.bandwidthPackageId || eip.bandwidthPackageId,
        row.allocationId,
        signal,
      );
    }
    await releaseAndWait(ctx.cloud, row.allocationId, signal);
    ctx.quota?.changed(-1);
    event(ctx, row, 'Normal', 'EipReleased', `Released EIP ${row.address} (${row.allocationId})`);
  }
  await dropPodEip(ctx, row, signal);
  return transition(ctx, row, 'released', { lastError: '' });
}
