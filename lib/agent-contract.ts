/**
 * The plugin <-> agent contract (proto/podeip/v1/agent.proto) without any loader: names,
 * options and TypeScript shapes. Field names are the proto's, camelCased. Importing this pulls
 * in no protobuf library, which keeps the CNI plugin's no-EIP path light.
 */
import type { Options } from '@grpc/proto-loader';

export const AGENT_SERVICE_NAME = 'podeip.v1.Agent';
/** Trailer key carrying podeip's stable error code on a failed call. */
export const ERROR_CODE_TRAILER = 'podeip-error-code';

/** How messages become objects; the agent's loader and the plugin's codec both use these. */
export const PROTO_LOADER_OPTIONS: Options = {
  keepCase: false,
  longs: String,
  enums: String,
  defaults: true,
  oneofs: true,
};

export interface PodRef {
  namespace: string;
  name: string;
  uid: string;
}
export interface Sandbox {
  containerId: string;
  netns: string;
  ifname: string;
}

export interface AttachRequest {
  clientVersion: string;
  pod: PodRef;
  sandbox: Sandbox;
  podIpv4: string;
  podAnnotations: Record<string, string>;
  podAnnotationsKnown: boolean;
}
export interface AttachResponse {
  eipRequested: boolean;
  binding?: Binding;
}

export interface DetachRequest {
  clientVersion: string;
  pod: PodRef;
  sandbox: Sandbox;
  podIpv4: string;
}
export interface DetachResponse {
  detached: boolean;
}

export interface CheckRequest {
  clientVersion: string;
  pod: PodRef;
  sandbox: Sandbox;
  podIpv4: string;
}
export interface CheckResponse {
  eipRequested: boolean;
  binding?: Binding;
}

export interface StatusRequest {
  clientVersion: string;
}
export interface StatusResponse {
  agentVersion: string;
  nodeName: string;
  instanceId: string;
  ready: boolean;
  bindings: Binding[];
  pool?: PoolStatus;
  quota?: QuotaStatus;
}

export interface PoolStatus {
  enabled: boolean;
  idle: number;
  taking: number;
  refilling: number;
  returning: number;
  releasing: number;
  takenSinceStart: number;
  minIdle: number;
  maxIdle: number;
}

export interface QuotaStatus {
  quota: number;
  used: number;
}

export interface Binding {
  pod: PodRef;
  containerId: string;
  mode: string;
  releaseStrategy: string;
  releaseAfter: string;
  state: string;
  allocationId: string;
  eipAddress: string;
  networkInterfaceId: string;
  privateIp: string;
  lastError: string;
  updatedAt: string;
  attempts: number;
}
