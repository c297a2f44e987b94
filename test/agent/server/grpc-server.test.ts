import test from 'ava';
import { mkdtemp, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { Registry } from 'prom-client';
import { PodeipError } from '../../../lib/errors.js';
import { ERROR_CODE_TRAILER, loadAgentService, type AttachRequest, type Binding } from '../../../lib/agent-proto.js';
import { AgentGrpcServer, SocketInUseError, type BindingApi } from '../../../agent/src/server/grpc-server.js';
import { AgentMetrics } from '../../../agent/src/metrics/agent-metrics.js';
import { silentLogger } from '../../../agent/src/log/logger.js';

/** Records what reached the binding layer; the server is the unit under test here. */
class RecordingBindings implements BindingApi {
  readonly calls: string[] = [];
  failWith: PodeipError | undefined;
  async attach(req: AttachRequest) {
    this.calls.push(`attach ${req.pod.namespace}/${req.pod.name}`);
    if (this.failWith) throw this.failWith;
    return { eipRequested: false };
  }
  async detach() {
    this.calls.push('detach');
    return { detached: false };
  }
  async check() {
    this.calls.push('check');
    return { eipRequested: false };
  }
  bindings(): Binding[] {
    return [];
  }
}

async function startServer(t: import('ava').ExecutionContext, ready = true) {
  const dir = await mkdtemp(join(tmpdir(), 'podeip-grpc-'));
  const socketPath = join(dir, 'run', 'agent.sock');
  const bindings = new RecordingBindings();
  const registry = new Registry();
  const server = new AgentGrpcServer(
    bindings,
    { agentVersion: '0.1.0', nodeName: 'node-a', instanceId: 'i-1', isReady: () => ready },
    new AgentMetrics(registry),
    silentLogger,
  );
  await server.listen(socketPath);
  const Client = grpc.makeGenericClientConstructor(loadAgentService(), 'Agent');
  const client = new Client(`unix:${socketPath}`, grpc.credentials.createInsecure());
  t.teardown(async () => {
    client.close();
    await server.close(100);
  });
  return { socketPath, bindings, client, registry, dir };
}

function call(
  client: grpc.Client,
  method: string,
  request: object,
): Promise<{ err: grpc.ServiceError | null; res: unknown }> {
  return new Promise((resolve) => {
    (client as unknown as Record<string, Function>)[method](request, (err: grpc.ServiceError | null, res: unknown) =>
      resolve({ err, res }),
    );
  });
}

const goodAttach = {
  clientVersion: '0.1.0',
  pod: { namespace: 'default', name: 'web-0', uid: 'u1' },
  sandbox: { containerId: 'abc', netns: '/var/run/netns/x', ifname: 'eth0' },
  podIpv4: '10.0.0.5',
};

test('the socket is 0600 in a 0700 directory', async (t) => {
  const { socketPath } = await startServer(t);
  t.is((await stat(socketPath)).mode & 0o777, 0o600);
  t.is((await stat(join(socketPath, '..'))).mode & 0o777, 0o700);
});

test('a stale socket file is replaced, a live one is refused', async (t) => {
  const first = await startServer(t);
  const second = new AgentGrpcServer(
    new RecordingBindings(),
    { agentVersion: '0.1.0', nodeName: 'n', instanceId: 'i', isReady: () => true },
    new AgentMetrics(new Registry()),
    silentLogger,
  );
  const error = await t.throwsAsync(second.listen(first.socketPath));
  t.true(error instanceof SocketInUseError);

  const stale = join(first.dir, 'stale.sock');
  await writeFile(stale, '');
  const third = new AgentGrpcServer(
    new RecordingBindings(),
    { agentVersion: '0.1.0', nodeName: 'n', instanceId: 'i', isReady: () => true },
    new AgentMetrics(new Registry()),
    silentLogger,
  );
  await t.notThrowsAsync(third.listen(stale));
  await third.close(100);
});

test('a well-formed Attach reaches the binding layer and is counted', async (t) => {
  const { client, bindings, registry } = await startServer(t);
  const { err, res } = await call(client, 'Attach', goodAttach);
  t.is(err, null);
  t.deepEqual(res, { eipRequested: false, binding: null });
  t.deepEqual(bindings.calls, ['attach default/web-0']);
  t.regex(await registry.metrics(), /podeip_cni_requests_total\{command="add",result="success"\} 1/);
});

test('malformed requests are refused with INVALID_ARGUMENT naming the field, before any binding work', async (t) => {
  const { client, bindings } = await startServer(t);
  const cases: Array<[object, RegExp]> = [
    [{ ...goodAttach, podIpv4: '10.0.0.300' }, /^pod_ipv4: "10.0.0.300" is not an IPv4 address/],
    [{ ...goodAttach, pod: { namespace: 'Bad_NS', name: 'x', uid: '' } }, /^pod.namespace:/],
    [{ ...goodAttach, sandbox: { containerId: '', netns: '', ifname: 'eth0' } }, /^sandbox.container_id: required/],
    [{ ...goodAttach, clientVersion: '' }, /^client_version: required/],
  ];
  for (const [request, message] of cases) {
    const { err } = await call(client, 'Attach', request);
    t.is(err?.code, grpc.status.INVALID_ARGUMENT);
    t.regex(err?.details ?? '', message);
    t.deepEqual(err?.metadata.get(ERROR_CODE_TRAILER), ['InvalidRequest']);
  }
  t.deepEqual(bindings.calls, []);
});

test('a client of another major version is refused with FAILED_PRECONDITION', async (t) => {
  const { client } = await startServer(t);
  const { err } = await call(client, 'Attach', { ...goodAttach, clientVersion: '7.0.0' });
  t.is(err?.code, grpc.status.FAILED_PRECONDITION);
  t.deepEqual(err?.metadata.get(ERROR_CODE_TRAILER), ['IncompatibleClient']);
});

test('binding errors keep their code in the trailer and map to their gRPC status', async (t) => {
  const { client, bindings } = await startServer(t);
  const expectations: Array<[string, grpc.status]> = [
    ['InvalidAnnotation', grpc.status.INVALID_ARGUMENT],
    ['EipQuotaExceeded', grpc.status.RESOURCE_EXHAUSTED],
    ['CloudUnavailable', grpc.status.UNAVAILABLE],
    ['EipInUseElsewhere', grpc.status.FAILED_PRECONDITION],
    ['EipNotGranted', grpc.status.FAILED_PRECONDITION],
    ['UntrustedPodEip', grpc.status.FAILED_PRECONDITION],
    ['CloudPermissionDenied', grpc.status.PERMISSION_DENIED],
    ['SomethingUnexpected', grpc.status.INTERNAL],
  ];
  for (const [code, status] of expectations) {
    bindings.failWith = new PodeipError(code, `message for ${code}`);
    const { err } = await call(client, 'Attach', goodAttach);
    t.is(err?.code, status, code);
    t.is(err?.details, `message for ${code}`);
    t.deepEqual(err?.metadata.get(ERROR_CODE_TRAILER), [code]);
  }
});

test('before the agent is ready, ADD gets UNAVAILABLE but Status answers', async (t) => {
  const { client } = await startServer(t, false);
  const add = await call(client, 'Attach', goodAttach);
  t.is(add.err?.code, grpc.status.UNAVAILABLE);
  t.deepEqual(add.err?.metadata.get(ERROR_CODE_TRAILER), ['AgentNotReady']);
  const status = await call(client, 'Status', { clientVersion: '0.1.0' });
  t.is(status.err, null);
  t.like(status.res, { nodeName: 'node-a', ready: false, bindings: [] });
});
