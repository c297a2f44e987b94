/**
 * The plugin's light codec (protobuf.js light from the embedded descriptor) and the agent's
 * loader (proto-loader from agent.proto) must agree byte for byte and object for object.
 */
import { readFileSync } from 'node:fs';
import test from 'ava';
import type * as grpc from '@grpc/grpc-js';
import { loadAgentService, type AttachRequest, type StatusResponse } from '../../lib/agent-proto.js';
import { agentServiceFromDescriptor } from '../../cni-plugin/src/agent-service.js';

const descriptor = JSON.parse(
  readFileSync(new URL('../../cni-plugin/exe/agent-descriptor.json', import.meta.url), 'utf8'),
) as Parameters<typeof agentServiceFromDescriptor>[0];
const light = agentServiceFromDescriptor(descriptor);
const loader = loadAgentService();

const binding = {
  pod: { namespace: 'games', name: 'udp-0', uid: 'u-1' },
  containerId: 'c1',
  mode: 'auto',
  releaseStrategy: 'Follow',
  releaseAfter: '',
  state: 'bound',
  allocationId: 'eip-1',
  eipAddress: '47.0.0.1',
  networkInterfaceId: 'eni-1',
  privateIp: '10.0.0.5',
  lastError: '',
  updatedAt: '2026-01-01T00:00:00Z',
  attempts: 3,
};
const attach: AttachRequest = {
  clientVersion: '0.1.0',
  pod: binding.pod,
  sandbox: { containerId: 'c1', netns: '/n', ifname: 'eth0' },
  podIpv4: '10.0.0.5',
  podAnnotations: { 'k8s.aliyun.com/pod-with-eip': 'true', a: 'b' },
  podAnnotationsKnown: true,
};
const status: StatusResponse = {
  agentVersion: '0.1.0',
  nodeName: 'n',
  instanceId: 'i-1',
  ready: true,
  bindings: [binding, { ...binding, containerId: 'c2' }],
};

function method(service: grpc.ServiceDefinition, name: string): grpc.MethodDefinition<object, object> {
  return service[name] as grpc.MethodDefinition<object, object>;
}

test('both expose the same methods on the same paths', (t) => {
  t.deepEqual(Object.keys(light).sort(), Object.keys(loader).sort());
  for (const name of Object.keys(loader)) t.is(method(light, name).path, method(loader, name).path);
});

const samples: [string, 'request' | 'response', object][] = [
  ['Attach', 'request', attach],
  ['Attach', 'response', { eipRequested: true, binding }],
  ['Attach', 'response', { eipRequested: false }],
  [
    'Detach',
    'request',
    {
      clientVersion: '0.1.0',
      pod: binding.pod,
      sandbox: { containerId: 'c1', netns: '', ifname: 'eth0' },
      podIpv4: '',
    },
  ],
  ['Detach', 'response', { detached: true }],
  ['Check', 'response', { eipRequested: true, binding }],
  ['Status', 'request', { clientVersion: '0.1.0' }],
  ['Status', 'response', status],
];

for (const [index, [name, direction, value]] of samples.entries()) {
  test(`#${index} ${name} ${direction}: same bytes, and each decodes the other's to the same object`, (t) => {
    const [ours, theirs] = [method(light, name), method(loader, name)];
    const serialize = direction === 'request' ? 'requestSerialize' : 'responseSerialize';
    const deserialize = direction === 'request' ? 'requestDeserialize' : 'responseDeserialize';
    const bytes = ours[serialize](value);
    t.deepEqual(bytes, theirs[serialize](value));
    t.deepEqual(ours[deserialize](bytes), theirs[deserialize](bytes));
  });
}
