/**
 * The plugin <-> agent gRPC contract (proto/podeip/v1/agent.proto) as grpc-js definitions,
 * loaded from the .proto on disk. The names, options and TypeScript shapes live in
 * agent-contract.ts and are re-exported here.
 */
import { join } from 'node:path';
import * as protoLoader from '@grpc/proto-loader';
import type * as grpc from '@grpc/grpc-js';
import { AGENT_SERVICE_NAME, PROTO_LOADER_OPTIONS } from './agent-contract.js';
import { packageRoot } from './package-root.js';

export * from './agent-contract.js';

export const AGENT_PROTO_PATH = join(packageRoot(), 'proto/podeip/v1/agent.proto');

export function loadAgentService(): grpc.ServiceDefinition {
  const pkg = protoLoader.loadSync(AGENT_PROTO_PATH, PROTO_LOADER_OPTIONS);
  return pkg[AGENT_SERVICE_NAME] as grpc.ServiceDefinition;
}
