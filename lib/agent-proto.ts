/**
 * The plugin <-> agent gRPC contract (proto/podeip/v1/agent.proto) as grpc-js definitions,
 * loaded from the .proto on disk. The names, options and TypeScript shapes live in
 * agent-contract.ts and are re-exported here.
 */
import { fileURLToPath } from 'node:url';
import * as protoLoader from '@grpc/proto-loader';
import type * as grpc from '@grpc/grpc-js';
import { AGENT_SERVICE_NAME, PROTO_LOADER_OPTIONS } from './agent-contract.js';

export * from './agent-contract.js';

export const AGENT_PROTO_PATH = fileURLToPath(new URL('../../proto/podeip/v1/agent.proto', import.meta.url));

export function loadAgentService(): grpc.ServiceDefinition {
  const pkg = protoLoader.loadSync(AGENT_PROTO_PATH, PROTO_LOADER_OPTIONS);
  return pkg[AGENT_SERVICE_NAME] as grpc.ServiceDefinition;
}
