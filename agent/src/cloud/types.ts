/**
 * The agent's one door to Alibaba Cloud (VPC 2016-04-28 and ECS 2014-05-26). Everything above
 * this interface is cloud-agnostic about retries, throttling and batching: the implementation
 * rate-limits per action, retries retryable failures with the same ClientToken until the
 * caller's AbortSignal fires, coalesces reads and tag writes, and throws only `CloudError`s
 * (and `CloudConfigError` for an invalid argument, before any call).
 */
import type { AllocateEipParameters } from '../../../lib/annotations.js';

/** A cloud resource holds at most 20 tags. */
export const MAX_TAGS = 20;

export type EipStatus = 'Available' | 'Associating' | 'InUse' | 'Unassociating' | 'Releasing';

/** What an EIP looks like to the agent (a subset of DescribeEipAddresses' fields). */
export interface Eip {
  allocationId: string;
  ipAddress: string;
  status: EipStatus;
  /** Bound instance/ENI id, '' when not bound. */
  instanceId: string;
  instanceType: string;
  /** '' when bound to an ENI's primary IP (the cloud's quirk) or not bound. */
  privateIpAddress: string;
  bandwidth: string;
  internetChargeType: string;
  chargeType: string;
  isp: string;
  name: string;
  description: string;
  resourceGroupId: string;
  publicIpAddressPoolId: string;
  bandwidthPackageId: string;
  allocationTime: string;
  tags: Record<string, string>;
}

/** AllocateEipAddress: the parameters the annotations can carry (lib/annotations.ts); undefined means the cloud's default. */
export interface AllocateEipRequest extends AllocateEipParameters {
  /** Idempotency key (<= 64 ASCII chars), derived by the caller from the pod UID. */
  clientToken: string;
  /** Ownership tags merged with the user's eip-tags; at most 20. */
  tags: Record<string, string>;
}

export interface AllocatedEip {
  allocationId: string;
  ipAddress: string;
  resourceGroupId: string;
}

export interface EniBinding {
  allocationId: string;
  networkInterfaceId: string;
  privateIpAddress: string;
}

export interface NetworkInterface {
  networkInterfaceId: string;
  instanceId: string;
  type: 'Primary' | 'Secondary';
  primaryIpAddress: string;
  /** Every private IPv4 on the ENI, primary included. */
  privateIpAddresses: string[];
}

export interface CloudClient {
  allocateEip(req: AllocateEipRequest, signal?: AbortSignal): Promise<AllocatedEip>;
  /** NAT mode, InstanceType=NetworkInterface. Resolves when the call is accepted (EIP Associating). */
  associateEip(binding: EniBinding, signal?: AbortSignal): Promise<void>;
  /** Resolves when accepted; an EIP already unbound or gone counts as success. */
  unassociateEip(binding: EniBinding, signal?: AbortSignal): Promise<void>;
  /** Resolves when accepted; an EIP already gone counts as success. */
  releaseEip(allocationId: string, signal?: AbortSignal): Promise<void>;
  /** One EIP; undefined when it does not exist. Concurrent callers share one Describe (<= 50 ids). */
  describeEip(allocationId: string, signal?: AbortSignal): Promise<Eip | undefined>;
  /** Every EIP of the region carrying all of `tags` (paged). */
  listEipsByTags(tags: Record<string, string>, signal?: AbortSignal): Promise<Eip[]>;
  /**
   * Resolves when the EIP has left its transitional state (Associating, Unassociating, Releasing)
   * and `done` holds, with the EIP, or undefined once it no longer exists. One poller serves all
   * waiters.
   */
  waitForEip(
    allocationId: string,
    done: (eip: Eip | undefined) => boolean,
    signal?: AbortSignal,
  ): Promise<Eip | undefined>;
  /** Adds or overwrites tags; concurrent calls are batched into one TagResources where they can be. */
  tagEip(allocationId: string, tags: Record<string, string>, signal?: AbortSignal): Promise<void>;
  /** Removes tags by key; keys the EIP does not carry count as removed. */
  untagEip(allocationId: string, keys: string[], signal?: AbortSignal): Promise<void>;
  /** ModifyEipAddressAttribute's Bandwidth (Mbps) of an unbound EIP. */
  setEipBandwidth(allocationId: string, bandwidth: string, signal?: AbortSignal): Promise<void>;
  /** How many EIPs the account holds in the region (every EIP, as the quota counts them): one call. */
  countEips(signal?: AbortSignal): Promise<number>;
  addToBandwidthPackage(bandwidthPackageId: string, allocationId: string, signal?: AbortSignal): Promise<void>;
  /** An EIP not in the package counts as success. */
  removeFromBandwidthPackage(bandwidthPackageId: string, allocationId: string, signal?: AbortSignal): Promise<void>;
  /** The ENI of `instanceId` holding `privateIp` (primary or secondary), cached, refreshed on a miss. */
  findEniByPrivateIp(
    instanceId: string,
    privateIp: string,
    signal?: AbortSignal,
  ): Promise<NetworkInterface | undefined>;
}
