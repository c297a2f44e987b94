/** Name of the SEA asset that holds agent.proto as a protobuf.js JSON descriptor. */
export const AGENT_DESCRIPTOR_ASSET = 'agent-descriptor.json';
