/**
 * The plugin <-> agent gRPC contract (proto/podeip/v1/agent.proto) as grpc-js definitions and
 * TypeScript shapes. Field names are the proto's, camelCased by proto-loader.
 */
import { fileURLToPath } from 'node:url';
import * as protoLoader from '@grpc/proto-loader';
import type * as grpc from '@grpc/grpc-js';

export const AGENT_PROTO_PATH = fileURLToPath(new URL('../../proto/podeip/v1/agent.proto', import.meta.url));
export const AGENT_SERVICE_NAME = 'podeip.v1.Agent';
/** Trailer key carrying podeip's stable error code on a failed call. */
export const ERROR_CODE_TRAILER = 'podeip-error-code';

export const PROTO_LOADER_OPTIONS: protoLoader.Options = {
  keepCase: false,
  longs: String,
  enums: String,
  defaults: true,
  oneofs: true,
};

export function loadAgentService(): grpc.ServiceDefinition {
  const pkg = protoLoader.loadSync(AGENT_PROTO_PATH, PROTO_LOADER_OPTIONS);
  return pkg[AGENT_SERVICE_NAME] as grpc.ServiceDefinition;
}

/**
 * The same service from a protobuf.js JSON descriptor of agent.proto, for a bundled binary that
 * embeds the contract instead of reading the .proto at run time (the CNI plugin).
 */
export function agentServiceFromDescriptor(descriptor: object): grpc.ServiceDefinition {
  const pkg = protoLoader.fromJSON(descriptor as Parameters<typeof protoLoader.fromJSON>[0], PROTO_LOADER_OPTIONS);
  return pkg[AGENT_SERVICE_NAME] as grpc.ServiceDefinition;
}

export interface PodRef { namespace: string; name: string; uid: string }
export interface Sandbox { containerId: string; netns: string; ifname: string }

export interface AttachRequest {
  clientVersion: string;
  pod: PodRef;
  sandbox: Sandbox;
  podIpv4: string;
  podAnnotations: Record<string, string>;
  podAnnotationsKnown: boolean;
}
export interface AttachResponse { eipRequested: boolean; binding?: Binding }

export interface DetachRequest { clientVersion: string; pod: PodRef; sandbox: Sandbox; podIpv4: string }
export interface DetachResponse { detached: boolean }

export interface CheckRequest { clientVersion: string; pod: PodRef; sandbox: Sandbox; podIpv4: string }
export interface CheckResponse { eipRequested: boolean; binding?: Binding }

export interface StatusRequest { clientVersion: string }
export interface StatusResponse {
  agentVersion: string;
  nodeName: string;
  instanceId: string;
  ready: boolean;
  bindings: Binding[];
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
