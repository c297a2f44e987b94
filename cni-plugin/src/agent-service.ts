/**
 * The agent service's codec straight from the embedded protobuf.js JSON descriptor, with
 * protobuf.js's light build. @grpc/proto-loader would give the same codec but first loads the
 * full protobuf.js and builds a descriptor proto of every message, which the plugin never needs
 * and pays for on every EIP call. Objects come out as with the agent's loader (same options).
 */
import type * as grpc from '@grpc/grpc-js';
import protobuf from 'protobufjs/light.js';
import { AGENT_SERVICE_NAME, PROTO_LOADER_OPTIONS } from '../../lib/agent-contract.js';

function codec(type: protobuf.Type) {
  const conversion: protobuf.IConversionOptions = {
    longs: PROTO_LOADER_OPTIONS.longs,
    enums: PROTO_LOADER_OPTIONS.enums,
    defaults: PROTO_LOADER_OPTIONS.defaults,
    oneofs: PROTO_LOADER_OPTIONS.oneofs,
  };
  return {
    serialize: (value: object): Buffer => Buffer.from(type.encode(type.fromObject(value)).finish()),
    deserialize: (bytes: Buffer): object => type.toObject(type.decode(bytes), conversion),
  };
}

/** The shape grpc-js gives a service, so the codec compares directly with the agent's loader. */
export type AgentServiceDefinition = grpc.ServiceDefinition;

export function agentServiceFromDescriptor(descriptor: protobuf.INamespace): AgentServiceDefinition {
  const root = protobuf.Root.fromJSON(descriptor);
  const service = root.lookupService(AGENT_SERVICE_NAME);
  const definition: Record<string, grpc.MethodDefinition<object, object>> = {};
  for (const method of service.methodsArray) {
    const request = codec(root.lookupType(method.requestType));
    const response = codec(root.lookupType(method.responseType));
    definition[method.name] = {
      path: `/${AGENT_SERVICE_NAME}/${method.name}`,
      requestStream: false,
      responseStream: false,
      requestSerialize: request.serialize,
      requestDeserialize: request.deserialize,
      responseSerialize: response.serialize,
      responseDeserialize: response.deserialize,
    };
  }
  return definition;
}
