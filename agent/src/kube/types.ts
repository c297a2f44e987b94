/**
 * What the agent needs from the Kubernetes API, behind one narrow interface so the binding
 * state machine never touches client-node directly. The implementation talks to a real API
 * server (or sim/kube) through @kubernetes/client-node, with the configured QPS/burst.
 */

export interface OwnerRef {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  controller: boolean;
}

/** The slice of a Pod the agent reads. */
export interface PodInfo {
  namespace: string;
  name: string;
  uid: string;
  nodeName: string;
  annotations: Record<string, string>;
  ownerReferences: OwnerRef[];
  /** RFC 3339 when the pod is terminating. */
  deletionTimestamp?: string;
  phase: string;
  podIPs: string[];
  /** conditionTypes of spec.readinessGates. */
  readinessGates: string[];
  /** status of each of status.conditions, by type (e.g. `k8s.aliyun.com/eip` -> True). */
  conditions?: Record<string, string>;
  resourceVersion: string;
}

export type PodEvent = { type: 'added' | 'updated'; pod: PodInfo } | { type: 'deleted'; pod: PodInfo };

/** A node-scoped (spec.nodeName) pod informer. */
export interface PodSource {
  /** Resolves once the first list has been loaded. */
  start(): Promise<void>;
  stop(): void;
  /** From the cache only; never a network call (the no-EIP fast path relies on this). */
  cached(namespace: string, name: string): PodInfo | undefined;
  /** Cache, then a GET on a miss (a pod just scheduled may not be in the cache yet). */
  get(namespace: string, name: string, signal?: AbortSignal): Promise<PodInfo | undefined>;
  list(): PodInfo[];
  /** Called for every add/update/delete after start; returns an unsubscribe function. */
  subscribe(handler: (event: PodEvent) => void): () => void;
}

export type AllocationType = 'Auto' | 'Static';
export type ReleaseStrategy = 'Follow' | 'TTL' | 'Never';

/** alibabacloud.com/v1beta1 PodEIP, field names as the spec's sample output and ack-extend-network-controller use. */
export interface PodEipSpec {
  allocationID: string;
  bandwidthPackageID?: string;
  allocationType: {
    type: AllocationType;
    releaseStrategy: ReleaseStrategy;
    /** Go duration, with releaseStrategy TTL. */
    releaseAfter?: string;
  };
}

export interface PodEipStatus {
  eipAddress?: string;
  internetChargeType?: string;
  isp?: string;
  networkInterfaceID?: string;
  podLastSeen?: string;
  privateIPAddress?: string;
  resourceGroupID?: string;
  publicIpAddressPoolID?: string;
  /** The EIP's cloud status, e.g. InUse. */
  status?: string;
  /** The node the EIP was last bound on (ours; lets a fixed EIP move safely between nodes). */
  node?: string;
}

export interface PodEip {
  namespace: string;
  name: string;
  uid: string;
  resourceVersion: string;
  annotations: Record<string, string>;
  labels: Record<string, string>;
  finalizers: string[];
  deletionTimestamp?: string;
  spec: PodEipSpec;
  status: PodEipStatus;
}

export interface ObjectRef {
  kind: 'Pod' | 'PodEIP';
  namespace: string;
  name: string;
  uid: string;
}

export type EventType = 'Normal' | 'Warning';

export interface KubeGateway {
  readonly pods: PodSource;
  getPodEip(namespace: string, name: string, signal?: AbortSignal): Promise<PodEip | undefined>;
  /** Every PodEIP, or those whose labels match `labelSelector` (e.g. `podeip.io/node=NODE`). */
  listPodEips(signal?: AbortSignal, labelSelector?: string): Promise<PodEip[]>;
  /** false while the PodEIP CRD (podeips.alibabacloud.com) is not served. */
  podEipResourceServed(signal?: AbortSignal): Promise<boolean>;
  /** Creates with our finalizer; an existing one with the same name is returned as is. */
  createPodEip(
    namespace: string,
    name: string,
    spec: PodEipSpec,
    labels: Record<string, string>,
    signal?: AbortSignal,
  ): Promise<PodEip>;
  /** Writes the status subresource (merge). */
  updatePodEipStatus(namespace: string, name: string, status: PodEipStatus, signal?: AbortSignal): Promise<void>;
  /** Sets deletionTimestamp (the finalizer keeps it). */
  deletePodEip(namespace: string, name: string, signal?: AbortSignal): Promise<void>;
  /** Merge-patches the PodEIP's annotations; null removes one. */
  annotatePodEip(
    namespace: string,
    name: string,
    annotations: Record<string, string | null>,
    signal?: AbortSignal,
  ): Promise<void>;
  /** Removes our finalizer so a deleted PodEIP goes away. */
  removePodEipFinalizer(namespace: string, name: string, signal?: AbortSignal): Promise<void>;
  /** Sets `allocated-eipAddress` under both prefixes (k8s.aliyun.com/ and network.alibabacloud.com/). */
  annotatePodAddress(namespace: string, name: string, address: string, signal?: AbortSignal): Promise<void>;
  /** Sets condition `k8s.aliyun.com/eip` leaving every other condition untouched. */
  setPodEipCondition(
    namespace: string,
    name: string,
    ready: boolean,
    reason: string,
    message: string,
    signal?: AbortSignal,
  ): Promise<void>;
  /** Fire and forget; aggregated and rate-limited by the implementation. */
  recordEvent(ref: ObjectRef, type: EventType, reason: string, message: string): void;
  /** spec.providerID of a Node, undefined when the node or field is missing. */
  nodeProviderId(nodeName: string, signal?: AbortSignal): Promise<string | undefined>;
  /** Names of nodes that exist (for GC of pods whose node vanished). */
  listNodeNames(signal?: AbortSignal): Promise<Set<string>>;
  /** A Namespace's annotations (empty when it does not exist); may be a few seconds old. */
  namespaceAnnotations(name: string, signal?: AbortSignal): Promise<Record<string, string>>;
}

export interface LeaderCallbacks {
  onStartedLeading(signal: AbortSignal): void | Promise<void>;
  onStoppedLeading(): void;
}

/** coordination.k8s.io/v1 Lease based election. */
export interface LeaderElector {
  run(callbacks: LeaderCallbacks): void;
  stop(): Promise<void>;
  isLeader(): boolean;
  /** Leader only: annotations written on the Lease with the next renewal (others read them there). */
  publish(annotations: Record<string, string>): void;
  /** An annotation of the Lease as last read (every retry period, on every node). */
  annotation(key: string): string | undefined;
}
