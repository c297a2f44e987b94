/**
 * The plugin's own unary client (grpc-unary.ts) against grpc-js's server, in this process. The
 * built executable runs the same client under Bun in the other plugin tests.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import test from 'ava';
import { status } from '@grpc/grpc-js';
import type { StatusResponse } from '../../lib/agent-contract.js';
import { agentServiceFromDescriptor } from '../../cni-plugin/src/agent-service.js';
import { GrpcCallError, GrpcStatus } from '../../cni-plugin/src/grpc-status.js';
import { GrpcUnaryClient, type UnaryMethod } from '../../cni-plugin/src/grpc-unary.js';
import { FixtureAgent } from './fixture-agent.js';

const descriptor = JSON.parse(
  readFileSync(new URL('../../cni-plugin/exe/agent-descriptor.json', import.meta.url), 'utf8'),
) as Parameters<typeof agentServiceFromDescriptor>[0];
const service = agentServiceFromDescriptor(descriptor);

function method(name: string): UnaryMethod<object, Record<string, unknown>> {
  const definition = service[name]!;
  return { path: definition.path, serialize: definition.requestSerialize, deserialize: definition.responseDeserialize };
}

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
const pod = { namespace: 'games', name: 'udp-0', uid: 'u-1' };
const sandbox = { containerId: 'c1', netns: '/n', ifname: 'eth0' };

test('calls on one connection: the request reaches the server as sent, the answer decodes', async (t) => {
  const agent = await FixtureAgent.start();
  t.teardown(() => agent.stop());
  const client = new GrpcUnaryClient(agent.socketPath, Date.now() + 10_000);
  t.teardown(() => client.close());
  const attach = await client.call(method('Attach'), {
    clientVersion: '0.1.0',
    pod,
    sandbox,
    podIpv4: '10.0.0.5',
    podAnnotations: { a: 'b' },
    podAnnotationsKnown: true,
  });
  t.like(attach, { eipRequested: true, binding: { eipAddress: '47.0.0.1', state: 'bound' } });
  t.deepEqual(await client.call(method('Detach'), { clientVersion: '0.1.0', pod, sandbox, podIpv4: '' }), {
    detached: true,
  });
  t.like(agent.callsOf('Attach')[0]!.request, {
    podIpv4: '10.0.0.5',
    podAnnotations: { a: 'b' },
    podAnnotationsKnown: true,
    pod,
  });
  t.is(agent.callsOf('Detach').length, 1);
});

test('an answer of many HTTP/2 frames (2,000 bindings) arrives whole', async (t) => {
  const agent = await FixtureAgent.start();
  t.teardown(() => agent.stop());
  const bindings = Array.from({ length: 2000 }, (_, i) => ({ ...binding, containerId: `c${i}` }));
  agent.reply('Status', {
    response: { agentVersion: '0.1.0', nodeName: 'n', instanceId: 'i-1', ready: true, bindings },
  });
  const client = new GrpcUnaryClient(agent.socketPath, Date.now() + 10_000);
  t.teardown(() => client.close());
  const answer = (await client.call(method('Status'), { clientVersion: '0.1.0' })) as unknown as StatusResponse;
  t.is(answer.bindings.length, 2000);
  t.deepEqual(answer.bindings[1999], { ...binding, containerId: 'c1999' });
});

test('a failed call gives the status, the decoded message and the custom trailers', async (t) => {
  const agent = await FixtureAgent.start();
  t.teardown(() => agent.stop());
  const details = 'annotation k8s.aliyun.com/eip-bandwidth: "fast" is not a number; 100% sure — set it to "5"';
  agent.reply('Attach', { error: { code: status.FAILED_PRECONDITION, details, trailer: 'InvalidAnnotation' } });
  const client = new GrpcUnaryClient(agent.socketPath, Date.now() + 10_000);
  t.teardown(() => client.close());
  const error = await t.throwsAsync(client.call(method('Attach'), { clientVersion: '0.1.0' }), {
    instanceOf: GrpcCallError,
  });
  t.is(error.code, GrpcStatus.FAILED_PRECONDITION);
  t.is(error.details, details);
  t.is(error.trailers['podeip-error-code'], 'InvalidAnnotation');
});

test('the deadline ends a call the server holds, and a call after it is not sent', async (t) => {
  const agent = await FixtureAgent.start();
  t.teardown(() => agent.stop());
  agent.reply('Attach', { response: { eipRequested: true }, delayMs: 5_000 });
  const client = new GrpcUnaryClient(agent.socketPath, Date.now() + 300);
  t.teardown(() => client.close());
  const started = Date.now();
  const error = await t.throwsAsync(client.call(method('Attach'), { clientVersion: '0.1.0' }), {
    instanceOf: GrpcCallError,
  });
  t.is(error.code, GrpcStatus.DEADLINE_EXCEEDED);
  t.true(Date.now() - started < 2_000, `${Date.now() - started} ms`);
  const late = await t.throwsAsync(client.call(method('Detach'), { clientVersion: '0.1.0' }), {
    instanceOf: GrpcCallError,
  });
  t.is(late.code, GrpcStatus.DEADLINE_EXCEEDED, 'a call after the deadline is not sent');
  t.is(agent.callsOf('Detach').length, 0);
});

test('no agent on the socket is UNAVAILABLE naming the socket', async (t) => {
  const socketPath = join('/nonexistent-podeip', 'agent.sock');
  const client = new GrpcUnaryClient(socketPath, Date.now() + 10_000);
  t.teardown(() => client.close());
  const error = await t.throwsAsync(client.call(method('Status'), { clientVersion: '0.1.0' }), {
    instanceOf: GrpcCallError,
  });
  t.is(error.code, GrpcStatus.UNAVAILABLE);
  t.true(error.details.includes(socketPath), error.details);
});
