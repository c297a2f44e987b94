/**
 * The steps that take a row to 'bound': associated with the pod IP on its ENI (NAT mode), InUse,
 * and published (PodEIP status, pod annotation and condition, Event). The driver (driver.ts)
 * chains them with the allocation steps; each state is journaled before the cloud call that
 * reaches the next one, so any step can be resumed.
 */
import { isTransitional } from '../cloud/poller.js';
import type { Eip } from '../cloud/types.js';
import { KubeApiError } from '../kube/errors.js';
import type { PodEipSpec, PodEipStatus } from '../kube/types.js';
import type { BindingRow } from '../store/journal.js';
import { resolveConflict } from './conflict.js';
import { event, target, type BindingContext, type DriveNotes } from './context.js';
import { pointsAt } from '../cloud/points-at.js';
import { requireGrant } from '../domain/grants.js';
import { isPermanentRefusal, missingNamedResource } from './cloud-refusals.js';
import { BindingError, toBindingError } from '../domain/errors.js';
import { transition } from './state-machine.js';
import { releaseAndWait } from '../domain/teardown.js';
import {
  bindingMark,
  isOwnedFor,
  MANAGED_BY,
  TAG_BINDING,
  TAG_MANAGED_BY,
  TAG_NODE,
  TAG_POD_UID,
} from '../domain/ownership.js';

export const EIP_CONDITION_REASON = 'Associate eip succeed';
const MAX_ASSOCIATE_ATTEMPTS = 3;

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
    pod: `${row.namespace}/${row.podName}`,
    podEip: podEip.spec.allocationID,
    allocationId: row.allocationId,
  });
  return false;
}

/** The row's bandwidthPackageId is journaled at insert, so a release always leaves the package first. */
async function joinBandwidthPackage(
  ctx: BindingContext,
  row: BindingRow,
  eip: Eip,
  signal: AbortSignal,
): Promise<void> {
  const wanted = row.bandwidthPackageId;
  if (row.mode === 'static' || !wanted || eip.bandwidthPackageId === wanted) return;
  try {
    await ctx.cloud.addToBandwidthPackage(wanted, row.allocationId, signal);
  } catch (err) {
    if (!isPermanentRefusal(err)) throw err;
    const refusal =
      missingNamedResource(err, { bandwidthPackageId: wanted }, ctx.config.regionId) ?? toBindingError(err);
    await giveBack(ctx, row, eip, refusal, signal);
    throw refusal;
  }
  event(
    ctx,
    row,
    'Normal',
    'EipJoinedBandwidthPackage',
    `EIP ${row.address} joined Internet Shared Bandwidth ${wanted}`,
  );
}

/**
 * The EIP cannot serve this row (the cloud refused what its annotations ask): release it when
 * it was allocated for this very pod and is bound nowhere, so a bad annotation leaves nothing
 * in the account; an EIP of an earlier pod (a fixed EIP reused) stays with its PodEIP. The row
 * fails, so the next ADD plans again from the pod's annotations as they are then.
 */
async function giveBack(
  ctx: BindingContext,
  row: BindingRow,
  eip: Eip,
  refusal: BindingError,
  signal: AbortSignal,
): Promise<void> {
  const forThisPodObject =
    isOwnedFor(eip.tags, ctx.config.clusterId, row.namespace, row.podName) && eip.tags[TAG_POD_UID] === row.podUid;
  if (forThisPodObject && eip.instanceId === '') {
    // Journaled first, without the package it never joined: a restart finishes the release.
    const releasing = transition(ctx, row, 'give-back', { bandwidthPackageId: '', lastError: refusal.message });
    await releaseAndWait(ctx.cloud, releasing.allocationId, signal);
    event(ctx, row, 'Normal', 'EipReleased', `Released EIP ${row.address} (${row.allocationId}): ${refusal.message}`);
  }
  transition(ctx, row, 'refused', { lastError: refusal.message, attempts: row.attempts + 1 });
}

function gone(ctx: BindingContext, row: BindingRow): never {
  const err = new BindingError(
    'EipNotFound',
    `EIP ${row.allocationId} no longer exists${row.mode === 'static' ? '; check annotation pod-eip-instanceid' : ''}`,
  );
  transition(ctx, row, 'refused', { lastError: err.message, attempts: row.attempts + 1 });
  throw err;
}

/** allocated|unbound -> associating (or straight to bound when it already is). */
export async function associate(
  ctx: BindingContext,
  row: BindingRow,
  signal: AbortSignal,
  notes: DriveNotes = {},
): Promise<BindingRow> {
  const eni = await ctx.cloud.findEniByPrivateIp(ctx.config.instanceId, row.privateIp, signal);
  if (!eni) {
    throw new BindingError(
      'EniNotFound',
      `no ENI of instance ${ctx.config.instanceId} holds the pod IP ${row.privateIp}; the primary CNI plugin's address is not on this node's ENIs`,
    );
  }
  const binding = {
    allocationId: row.allocationId,
    networkInterfaceId: eni.networkInterfaceId,
    privateIpAddress: row.privateIp,
  };
  const primary = eni.primaryIpAddress === row.privateIp;
  const fresh = notes.freshAuto === true;
  notes.freshAuto = false;
  if (!fresh) {
    let eip = await ctx.cloud.describeEip(row.allocationId, signal);
    if (!eip) gone(ctx, row);
    if (isTransitional(eip)) eip = await ctx.cloud.waitForEip(row.allocationId, () => true, signal);
    if (!eip) gone(ctx, row);
    await joinBandwidthPackage(ctx, row, eip, signal);
    if (eip.status === 'InUse' && pointsAt(eip, binding, primary)) {
      return transition(ctx, row, 'already-bound', {
        eniId: eni.networkInterfaceId,
        privateIpPrimary: primary,
        lastError: '',
      });
    }
    // Every association of a static EIP is a use: a revoked grant stops the next sandbox, not a running one.
    if (row.mode === 'static')
      await requireGrant(ctx, row.namespace, eip, 'named by annotation pod-eip-instanceid', signal);
    if (eip.instanceId !== '') await resolveConflict(ctx, row, eip, signal);
    await markBinding(ctx, row, eip, signal);
  }
  notes.podEipRecorded = await ensurePodEip(ctx, row, signal);
  row = transition(ctx, row, 'associate', { eniId: eni.networkInterfaceId, privateIpPrimary: primary });
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

/** associating -> bound once the cloud shows the EIP InUse on the pod IP. */
export async function confirmAssociation(
  ctx: BindingContext,
  row: BindingRow,
  signal: AbortSignal,
  notes: DriveNotes = {},
): Promise<BindingRow> {
  const want = target(row);
  for (let attempt = 1; ; attempt++) {
    const eip = await ctx.cloud.waitForEip(row.allocationId, () => true, signal);
    if (!eip) gone(ctx, row);
    if (eip.status === 'InUse' && pointsAt(eip, want, row.privateIpPrimary)) {
      event(
        ctx,
        row,
        'Normal',
        'EipAssociated',
        `EIP ${eip.ipAddress} (${eip.allocationId}) associated with ${row.privateIp} on ${row.eniId}`,
      );
      notes.seen = eip;
      return transition(ctx, row, 'associated', { lastError: '' });
    }
    if (attempt >= MAX_ASSOCIATE_ATTEMPTS) {
      throw new BindingError(
        'CloudUnavailable',
        `EIP ${row.allocationId} did not become InUse on ${row.privateIp} after ${attempt} association attempts (it is ${eip.status}); the runtime's retry resumes`,
      );
    }
    if (eip.instanceId !== '' && !pointsAt(eip, want, row.privateIpPrimary))
      await resolveConflict(ctx, row, eip, signal);
    row = ctx.journal.update(row.id, { attempts: row.attempts + 1 });
    await ctx.cloud.associateEip(want, signal);
  }
}

/**
 * PodEIP status, `allocated-eipAddress`, the `k8s.aliyun.com/eip` condition and an Event. Idempotent.
 * The PodEIP this drive created before the association is not created again (`notes`); one that
 * vanished since is.
 */
export async function publish(
  ctx: BindingContext,
  row: BindingRow,
  signal: AbortSignal,
  notes: DriveNotes = {},
): Promise<void> {
  const eip = notes.seen ?? (await ctx.cloud.describeEip(row.allocationId, signal));
  const status: PodEipStatus = {
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
  };
  if (notes.podEipRecorded ?? (await ensurePodEip(ctx, row, signal))) {
    try {
      await ctx.kube.updatePodEipStatus(row.namespace, row.podName, status, signal);
    } catch (err) {
      // Deleted since this drive created it: create it again, as a resumed drive would.
      if (!(notes.podEipRecorded && err instanceof KubeApiError && err.notFound)) throw err;
      if (await ensurePodEip(ctx, row, signal))
        await ctx.kube.updatePodEipStatus(row.namespace, row.podName, status, signal);
    }
  }
  await ctx.kube.annotatePodAddress(row.namespace, row.podName, row.address, signal);
  await ctx.kube.setPodEipCondition(
    row.namespace,
    row.podName,
    true,
    EIP_CONDITION_REASON,
    `EIP ${row.address} (${row.allocationId}) is bound to ${row.privateIp}`,
    signal,
  );
  event(
    ctx,
    row,
    'Normal',
    'EipBound',
    `EIP ${row.address} (${row.allocationId}) bound to ${row.privateIp} on ${row.eniId}`,
  );
}
