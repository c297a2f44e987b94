/**
 * Drives a journal row to 'bound': EIP in hand, associated with the pod IP on its ENI (NAT
 * mode), InUse, and published (PodEIP status, pod annotation and condition, Event). Each state
 * is journaled before the cloud call that reaches the next one, so any step can be resumed.
 */
import { isTransitional } from '../cloud/poller.js';
import type { Eip } from '../cloud/types.js';
import type { PodEipSpec } from '../kube/types.js';
import type { BindingRow } from '../store/journal.js';
import { acquire, recoverAllocation } from './allocation.js';
import { resolveConflict } from './conflict.js';
import { event, pointsAt, target, type BindingContext } from './context.js';
import { driveToUnbound } from './detach.js';
import { requireGrant } from './grants.js';
import { isPermanentRefusal, missingNamedResource } from './cloud-refusals.js';
import { BindingError, toBindingError } from './errors.js';
import { bindingMark, isOwnedFor, MANAGED_BY, TAG_BINDING, TAG_MANAGED_BY, TAG_NODE, TAG_POD_UID } from './ownership.js';

export const EIP_CONDITION_REASON = 'Associate eip succeed';
const MAX_ASSOCIATE_ATTEMPTS = 3;

export async function driveToBound(ctx: BindingContext, start: BindingRow, signal: AbortSignal): Promise<BindingRow> {
  let row = start;
  /** The EIP as the association wait last saw it: publishing needs no describe of its own. */
  let seen: Eip | undefined;
  /** This drive allocated the row's EIP (or took it from the pool and tagged it) a moment ago. */
  let fresh = false;
  for (let step = 0; step < 12; step++) {
    signal.throwIfAborted();
    switch (row.state) {
      case 'pending': row = await acquire(ctx, row, signal); fresh = isFreshAuto(row); break;
      case 'allocating': row = await recoverAllocation(ctx, row, signal); break;
      case 'allocated':
      case 'unbound': row = await associate(ctx, row, signal, fresh); fresh = false; break;
      case 'associating': ({ row, eip: seen } = await confirmAssociation(ctx, row, signal)); break;
      case 'unbinding': row = await driveToUnbound(ctx, row, signal); break;
      case 'bound': await publish(ctx, row, signal, seen); return row;
      default:
        throw new BindingError('Internal', `binding of ${row.namespace}/${row.podName} is ${row.state}; it cannot be attached again`);
    }
  }
  throw new BindingError('Internal', `binding of ${row.namespace}/${row.podName} did not settle (state ${row.state})`);
}

function podEipSpec(row: BindingRow): PodEipSpec {
  return {
    allocationID: row.allocationId,
    ...(row.bandwidthPackageId ? { bandwidthPackageID: row.bandwidthPackageId } : {}),
    allocationType: {
      type: row.mode === 'static' ? 'Static' : 'Auto',
      releaseStrategy: row.releaseStrategy,
      ...(row.releaseAfter ? { releaseAfter: row.releaseAfter } : {}),
    },
  };
}

/** Creates the PodEIP (our finalizer) unless one exists; true when it records this row's EIP. */
async function ensurePodEip(ctx: BindingContext, row: BindingRow, signal: AbortSignal): Promise<boolean> {
  const labels = { [TAG_MANAGED_BY]: MANAGED_BY, [TAG_POD_UID]: row.podUid, [TAG_NODE]: ctx.config.nodeName };
  const podEip = await ctx.kube.createPodEip(row.namespace, row.podName, podEipSpec(row), labels, signal);
  if (podEip.spec.allocationID === row.allocationId) return true;
  ctx.logger.warn('PodEIP records another EIP; leaving it alone', {
    pod: `${row.namespace}/${row.podName}`, podEip: podEip.spec.allocationID, allocationId: row.allocationId,
  });
  return false;
}

/** The row's bandwidthPackageId is journaled at insert, so a release always leaves the package first. */
async function joinBandwidthPackage(ctx: BindingContext, row: BindingRow, eip: Eip, signal: AbortSignal): Promise<void> {
  const wanted = row.bandwidthPackageId;
  if (row.mode === 'static' || !wanted || eip.bandwidthPackageId === wanted) return;
  try {
    await ctx.cloud.addToBandwidthPackage(wanted, row.allocationId, signal);
  } catch (err) {
    if (!isPermanentRefusal(err)) throw err;
    const refusal = missingNamedResource(err, { bandwidthPackageId: wanted }, ctx.config.regionId) ?? toBindingError(err);
    await giveBack(ctx, row, eip, refusal, signal);
    throw refusal;
  }
  event(ctx, row, 'Normal', 'EipJoinedBandwidthPackage', `EIP ${row.address} joined Internet Shared Bandwidth ${wanted}`);
}

/**
 * The EIP cannot serve this row (the cloud refused what its annotations ask): release it when
 * it was allocated for this very pod and is bound nowhere, so a bad annotation leaves nothing
 * in the account; an EIP of an earlier pod (a fixed EIP reused) stays with its PodEIP. The row
 * fails, so the next ADD plans again from the pod's annotations as they are then.
 */
async function giveBack(ctx: BindingContext, row: BindingRow, eip: Eip, refusal: BindingError, signal: AbortSignal): Promise<void> {
  const forThisPodObject = isOwnedFor(eip.tags, ctx.config.clusterId, row.namespace, row.podName) && eip.tags[TAG_POD_UID] === row.podUid;
  if (forThisPodObject && eip.instanceId === '') {
    // Journaled first, without the package it never joined: a restart finishes the release.
    const releasing = ctx.journal.update(row.id, { state: 'releasing', bandwidthPackageId: '', lastError: refusal.message });
    await ctx.cloud.releaseEip(releasing.allocationId, signal);
    await ctx.cloud.waitForEip(releasing.allocationId, (current) => current === undefined, signal);
    event(ctx, row, 'Normal', 'EipReleased', `Released EIP ${row.address} (${row.allocationId}): ${refusal.message}`);
  }
  ctx.journal.update(row.id, { state: 'failed', lastError: refusal.message, attempts: row.attempts + 1 });
}

function gone(ctx: BindingContext, row: BindingRow): never {
  const err = new BindingError('EipNotFound', `EIP ${row.allocationId} no longer exists${row.mode === 'static' ? '; check annotation pod-eip-instanceid' : ''}`);
  ctx.journal.update(row.id, { state: 'failed', lastError: err.message, attempts: row.attempts + 1 });
  throw err;
}

/**
 * An auto EIP allocated (or taken from the pool and tagged) by this very drive is unbound and
 * carries exactly the tags of its allocation request, the binding mark among them: describing it
 * before the association would only say so again. With a bandwidth package to join, it is described.
 */
function isFreshAuto(row: BindingRow): boolean {
  return row.mode === 'auto' && row.state === 'allocated' && row.bandwidthPackageId === '';
}

/** allocated|unbound -> associating (or straight to bound when it already is). */
async function associate(ctx: BindingContext, row: BindingRow, signal: AbortSignal, fresh: boolean): Promise<BindingRow> {
  const eni = await ctx.cloud.findEniByPrivateIp(ctx.config.instanceId, row.privateIp, signal);
  if (!eni) {
    throw new BindingError('EniNotFound',
      `no ENI of instance ${ctx.config.instanceId} holds the pod IP ${row.privateIp}; the primary CNI plugin's address is not on this node's ENIs`);
  }
  const binding = { allocationId: row.allocationId, networkInterfaceId: eni.networkInterfaceId, privateIpAddress: row.privateIp };
  const primary = eni.primaryIpAddress === row.privateIp;
  if (!fresh) {
    let eip = await ctx.cloud.describeEip(row.allocationId, signal);
    if (!eip) gone(ctx, row);
    if (isTransitional(eip)) eip = await ctx.cloud.waitForEip(row.allocationId, () => true, signal);
    if (!eip) gone(ctx, row);
    await joinBandwidthPackage(ctx, row, eip, signal);
    if (eip.status === 'InUse' && pointsAt(eip, binding, primary)) {
      return ctx.journal.update(row.id, { state: 'bound', eniId: eni.networkInterfaceId, privateIpPrimary: primary, lastError: '' });
    }
    // Every association of a static EIP is a use: a revoked grant stops the next sandbox, not a running one.
    if (row.mode === 'static') await requireGrant(ctx, row.namespace, eip, 'named by annotation pod-eip-instanceid', signal);
    if (eip.instanceId !== '') await resolveConflict(ctx, row, eip, signal);
    await markBinding(ctx, row, eip, signal);
  }
  await ensurePodEip(ctx, row, signal);
  row = ctx.journal.update(row.id, { state: 'associating', eniId: eni.networkInterfaceId, privateIpPrimary: primary });
  await ctx.cloud.associateEip(binding, signal);
  return row;
}

/**
 * The binding mark (ownership.ts) goes on the EIP before it is associated, so whatever later
 * finds it bound to this IP can tell podeip put it there. A fresh auto EIP carries it from allocation.
 */
async function markBinding(ctx: BindingContext, row: BindingRow, eip: Eip, signal: AbortSignal): Promise<void> {
  const mark = bindingMark(ctx.config.clusterId, row.namespace, row.podName, row.privateIp);
  if (eip.tags[TAG_BINDING] !== mark) await ctx.cloud.tagEip(row.allocationId, { [TAG_BINDING]: mark }, signal);
}

/** associating -> bound once the cloud shows the EIP InUse on the pod IP; with the EIP as it showed it. */
async function confirmAssociation(ctx: BindingContext, row: BindingRow, signal: AbortSignal): Promise<{ row: BindingRow; eip: Eip }> {
  const want = target(row);
  for (let attempt = 1; ; attempt++) {
    const eip = await ctx.cloud.waitForEip(row.allocationId, () => true, signal);
    if (!eip) gone(ctx, row);
    if (eip.status === 'InUse' && pointsAt(eip, want, row.privateIpPrimary)) {
      event(ctx, row, 'Normal', 'EipAssociated', `EIP ${eip.ipAddress} (${eip.allocationId}) associated with ${row.privateIp} on ${row.eniId}`);
      return { row: ctx.journal.update(row.id, { state: 'bound', lastError: '' }), eip };
    }
    if (attempt >= MAX_ASSOCIATE_ATTEMPTS) {
      throw new BindingError('CloudUnavailable',
        `EIP ${row.allocationId} did not become InUse on ${row.privateIp} after ${attempt} association attempts (it is ${eip.status}); the runtime's retry resumes`);
    }
    if (eip.instanceId !== '' && !pointsAt(eip, want, row.privateIpPrimary)) await resolveConflict(ctx, row, eip, signal);
    row = ctx.journal.update(row.id, { attempts: row.attempts + 1 });
    await ctx.cloud.associateEip(want, signal);
  }
}

/**
 * PodEIP status, `allocated-eipAddress`, the `k8s.aliyun.com/eip` condition and an Event. Idempotent.
 * `seen`: the EIP as the describe that found it InUse on the pod IP answered, when there was one.
 */
export async function publish(ctx: BindingContext, row: BindingRow, signal: AbortSignal, seen?: Eip): Promise<void> {
  const eip = seen ?? await ctx.cloud.describeEip(row.allocationId, signal);
  if (await ensurePodEip(ctx, row, signal)) {
    await ctx.kube.updatePodEipStatus(row.namespace, row.podName, {
      eipAddress: row.address,
      networkInterfaceID: row.eniId,
      privateIPAddress: row.privateIp,
      ...(eip?.isp ? { isp: eip.isp } : {}),
      ...(eip?.internetChargeType ? { internetChargeType: eip.internetChargeType } : {}),
      ...(eip?.resourceGroupId ? { resourceGroupID: eip.resourceGroupId } : {}),
      ...(eip?.publicIpAddressPoolId ? { publicIpAddressPoolID: eip.publicIpAddressPoolId } : {}),
      status: eip?.status ?? 'InUse',
      podLastSeen: new Date(ctx.now()).toISOString(),
      node: ctx.config.nodeName,
    }, signal);
  }
  await ctx.kube.annotatePodAddress(row.namespace, row.podName, row.address, signal);
  await ctx.kube.setPodEipCondition(row.namespace, row.podName, true, EIP_CONDITION_REASON,
    `EIP ${row.address} (${row.allocationId}) is bound to ${row.privateIp}`, signal);
  event(ctx, row, 'Normal', 'EipBound', `EIP ${row.address} (${row.allocationId}) bound to ${row.privateIp} on ${row.eniId}`);
}
