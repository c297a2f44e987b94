/**
 * The built plugin against the agent's real gRPC server (agent/src/server): its request checks,
 * client-version check, readiness gate and error -> status/trailer mapping, with the binding
 * layer behind it scripted. Proves the two sides read agent.proto's error contract alike.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test, { type ExecutionContext } from 'ava';
import { Registry } from 'prom-client';
import type { AttachRequest, Binding, CheckRequest, DetachRequest } from '../../lib/agent-contract.js';
import { PodeipError } from '../../lib/errors.js';
import { silentLogger } from '../../agent/src/log/logger.js';
import { AgentMetrics } from '../../agent/src/metrics/agent-metrics.js';
import { AgentGrpcServer, type BindingApi } from '../../agent/src/server/grpc-server.js';
import { bridgePrevResult, cniEnv, netConf, runPlugin } from './run-plugin.js';

const EIP = { 'network.alibabacloud.com/pod-with-eip': 'true' };

class ScriptedBindings implements BindingApi {
  readonly received: { method: string; request: object }[] = [];
  failure: Error | undefined;
  held: Binding[] = [];
  async attach(request: AttachRequest) {
    return this.answer('attach', request, { eipRequested: true });
  }
  async detach(request: DetachRequest) {
    return this.answer('detach', request, { detached: true });
  }
  async check(request: CheckRequest) {
    return this.answer('check', request, { eipRequested: true });
  }
  bindings(): Binding[] {
    return this.held;
  }
  private answer<T>(method: string, request: object, response: T): T {
    this.received.push({ method, request });
    if (this.failure) throw this.failure;
    return response;
  }
}

async function realAgent(t: ExecutionContext, ready = true) {
  const socketPath = join(mkdtempSync(join(tmpdir(), 'podeip-interop-')), 'run', 'agent.sock');
  const bindings = new ScriptedBindings();
  const server = new AgentGrpcServer(
    bindings,
    { agentVersion: '0.1.0', nodeName: 'node-a', instanceId: 'i-1', isReady: () => ready },
    new AgentMetrics(new Registry()),
    silentLogger,
  );
  await server.listen(socketPath);
  t.teardown(() => server.close(100));
  return { socketPath, bindings };
}

function cniCode(stdout: string): number {
  return (JSON.parse(stdout) as { code: number }).code;
}

test("ADD of an EIP pod passes the agent's request checks and prints prevResult", async (t) => {
  const agent = await realAgent(t);
  const run = await runPlugin(cniEnv({ command: 'ADD' }), netConf({ socketPath: agent.socketPath, annotations: EIP }));
  t.is(run.exitCode, 0, run.stdout);
  t.deepEqual(JSON.parse(run.stdout), bridgePrevResult('1.0.0'));
  t.like(agent.bindings.received, [
    { method: 'attach', request: { podIpv4: '10.244.77.4', podAnnotationsKnown: true, podAnnotations: EIP } },
  ]);
});

test("the runtime's second DEL (empty netns, no prevResult, no annotations) is accepted by the agent", async (t) => {
  const agent = await realAgent(t);
  const run = await runPlugin(
    cniEnv({ command: 'DEL', netns: '' }),
    netConf({ socketPath: agent.socketPath, prevResult: null }),
  );
  t.is(run.exitCode, 0, run.stdout);
  t.like(agent.bindings.received, [
    { method: 'detach', request: { podIpv4: '', sandbox: { netns: '', containerId: 'sandbox-1', ifname: 'eth0' } } },
  ]);
});

const AGENT_ERRORS: [string, number][] = [
  ['InvalidAnnotation', 100],
  ['EipInUseElsewhere', 101],
  ['CloudPermissionDenied', 102],
  ['NotStatefulPod', 103],
  ['ForeignController', 104],
  ['EipNotFound', 106],
  ['PodNotFound', 108],
  ['EniNotFound', 109],
  ['EipNotGranted', 110],
  ['UntrustedPodEip', 111],
  ['EipQuotaExceeded', 11],
  ['CloudThrottled', 11],
  ['CloudUnavailable', 11],
  ['DeadlineExceeded', 11],
];

for (const [code, expected] of AGENT_ERRORS) {
  test(`agent error ${code} reaches the runtime as CNI code ${expected} with the agent's message`, async (t) => {
    const agent = await realAgent(t);
    agent.bindings.failure = new PodeipError(code, `${code}: what happened and how to fix it`);
    const run = await runPlugin(
      cniEnv({ command: 'ADD' }),
      netConf({ socketPath: agent.socketPath, annotations: EIP }),
    );
    t.is(run.exitCode, 1);
    t.is(cniCode(run.stdout), expected);
    t.is((JSON.parse(run.stdout) as { msg: string }).msg, `${code}: what happened and how to fix it`);
  });
}

test('an unexpected agent failure is 199', async (t) => {
  const agent = await realAgent(t);
  agent.bindings.failure = new Error('boom');
  const run = await runPlugin(cniEnv({ command: 'ADD' }), netConf({ socketPath: agent.socketPath, annotations: EIP }));
  t.is(cniCode(run.stdout), 199);
});

test('CHECK of a binding that is not InUse (EipNotBound) is 107', async (t) => {
  const agent = await realAgent(t);
  agent.bindings.failure = new PodeipError('EipNotBound', 'EIP eip-1 is not associated with 10.244.77.4');
  const run = await runPlugin(
    cniEnv({ command: 'CHECK' }),
    netConf({ socketPath: agent.socketPath, annotations: EIP }),
  );
  t.is(cniCode(run.stdout), 107);
});

test('an agent that is still starting answers "try again later" (11)', async (t) => {
  const agent = await realAgent(t, false);
  const run = await runPlugin(cniEnv({ command: 'ADD' }), netConf({ socketPath: agent.socketPath, annotations: EIP }));
  t.is(cniCode(run.stdout), 11);
  t.regex((JSON.parse(run.stdout) as { msg: string }).msg, /starting/);
  t.deepEqual(agent.bindings.received, []);
});

test('GC through the real Status and Detach handlers', async (t) => {
  const agent = await realAgent(t);
  const binding = (containerId: string): Binding => ({
    pod: { namespace: 'games', name: `pod-${containerId}`, uid: 'u' },
    containerId,
    mode: 'auto',
    releaseStrategy: 'Follow',
    releaseAfter: '',
    state: 'bound',
    allocationId: 'eip-1',
    eipAddress: '47.0.0.1',
    networkInterfaceId: 'eni-1',
    privateIp: '10.244.77.9',
    lastError: '',
    updatedAt: '',
    attempts: 1,
  });
  agent.bindings.held = [binding('live'), binding('stale')];
  const run = await runPlugin(
    { CNI_COMMAND: 'GC' },
    JSON.stringify({
      cniVersion: '1.1.0',
      name: 'n',
      type: 'podeip',
      socketPath: agent.socketPath,
      'cni.dev/valid-attachments': [{ containerID: 'live', ifname: 'eth0' }],
    }),
  );
  t.is(run.exitCode, 0, run.stdout);
  t.like(agent.bindings.received, [
    {
      method: 'detach',
      request: {
        pod: { name: 'pod-stale' },
        sandbox: { containerId: 'stale', ifname: 'eth0' },
        podIpv4: '10.244.77.9',
      },
    },
  ]);
  t.is(agent.bindings.received.length, 1);
});
