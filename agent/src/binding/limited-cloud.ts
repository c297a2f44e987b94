/**
 * The CloudClient with at most `maxConcurrentReconciles` calls in flight from the binding
 * service. Waiting for an EIP to settle is not a call of ours (one shared poller serves every
 * waiter), so it takes no slot: a pod waiting minutes for a terminating owner blocks nobody.
 */
import type { CloudClient } from '../cloud/types.js';
import { Semaphore } from './pod-lock.js';

export function limitCloud(cloud: CloudClient, maxConcurrent: number): CloudClient {
  const slots = new Semaphore(maxConcurrent);
  return {
    allocateEip: (req, signal) => slots.run(() => cloud.allocateEip(req, signal), signal),
    associateEip: (binding, signal) => slots.run(() => cloud.associateEip(binding, signal), signal),
    unassociateEip: (binding, signal) => slots.run(() => cloud.unassociateEip(binding, signal), signal),
    releaseEip: (id, signal) => slots.run(() => cloud.releaseEip(id, signal), signal),
    describeEip: (id, signal) => slots.run(() => cloud.describeEip(id, signal), signal),
    listEipsByTags: (tags, signal) => slots.run(() => cloud.listEipsByTags(tags, signal), signal),
    waitForEip: (id, done, signal) => cloud.waitForEip(id, done, signal),
    tagEip: (id, tags, signal) => slots.run(() => cloud.tagEip(id, tags, signal), signal),
    untagEip: (id, keys, signal) => slots.run(() => cloud.untagEip(id, keys, signal), signal),
    setEipBandwidth: (id, bandwidth, signal) => slots.run(() => cloud.setEipBandwidth(id, bandwidth, signal), signal),
    countEips: (signal) => slots.run(() => cloud.countEips(signal), signal),
    addToBandwidthPackage: (pkg, id, signal) => slots.run(() => cloud.addToBandwidthPackage(pkg, id, signal), signal),
    removeFromBandwidthPackage: (pkg, id, signal) => slots.run(() => cloud.removeFromBandwidthPackage(pkg, id, signal), signal),
    findEniByPrivateIp: (instanceId, ip, signal) => slots.run(() => cloud.findEniByPrivateIp(instanceId, ip, signal), signal),
  };
}
