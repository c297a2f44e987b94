/**
 * The CloudClient with at most `maxConcurrentReconciles` calls of each kind in flight from the
 * binding service. Waiting for an EIP to settle is not a call of ours (one shared poller serves every
 * waiter), so it takes no slot: a pod waiting minutes for a terminating owner blocks nobody.
 */
import type { CloudClient } from '../cloud/types.js';
import { Semaphore } from './pod-lock.js';

export function limitCloud(cloud: CloudClient, maxConcurrent: number): CloudClient {
  // One bound per kind of call: a call waiting for its action's budget (a whole window, in a
  // fleet-wide burst) must not hold the slot another pod's next step needs, or allocations and
  // associations run one after the other instead of side by side.
  const kinds = new Map<string, Semaphore>();
  const slots = (kind: string): Semaphore => {
    let s = kinds.get(kind);
    if (!s) kinds.set(kind, (s = new Semaphore(maxConcurrent)));
    return s;
  };
  return {
    allocateEip: (req, signal) => slots('allocate').run(() => cloud.allocateEip(req, signal), signal),
    associateEip: (binding, signal) => slots('associate').run(() => cloud.associateEip(binding, signal), signal),
    unassociateEip: (binding, signal) => slots('unassociate').run(() => cloud.unassociateEip(binding, signal), signal),
    releaseEip: (id, signal) => slots('release').run(() => cloud.releaseEip(id, signal), signal),
    describeEip: (id, signal) => slots('describe').run(() => cloud.describeEip(id, signal), signal),
    listEipsByTags: (tags, signal) => slots('describe').run(() => cloud.listEipsByTags(tags, signal), signal),
    waitForEip: (id, done, signal) => cloud.waitForEip(id, done, signal),
    tagEip: (id, tags, signal) => slots('tag').run(() => cloud.tagEip(id, tags, signal), signal),
    addToBandwidthPackage: (pkg, id, signal) =>
      slots('bandwidth').run(() => cloud.addToBandwidthPackage(pkg, id, signal), signal),
    removeFromBandwidthPackage: (pkg, id, signal) =>
      slots('bandwidth').run(() => cloud.removeFromBandwidthPackage(pkg, id, signal), signal),
    findEniByPrivateIp: (instanceId, ip, signal) =>
      slots('describe').run(() => cloud.findEniByPrivateIp(instanceId, ip, signal), signal),
    untagEip: (id, keys, signal) => slots('tag').run(() => cloud.untagEip(id, keys, signal), signal),
    setEipBandwidth: (id, bandwidth, signal) =>
      slots('bandwidth').run(() => cloud.setEipBandwidth(id, bandwidth, signal), signal),
    countEips: (signal) => slots('describe').run(() => cloud.countEips(signal), signal),
  };
}
