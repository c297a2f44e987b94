/**
 * The built plugin's failures: each is one CNI error object on stdout with the right code and a
 * message naming the field (or the agent's own message), and a non-zero exit.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { status } from '@grpc/grpc-js';
import test from 'ava';
import { FixtureAgent } from './fixture-agent.js';
import { cniEnv, netConf, runPlugin, type PluginRun } from './run-plugin.js';

const EIP_ANNOTATIONS = { 'k8s.aliyun.com/pod-with-eip': 'true' };

interface CniErrorObject {
  cniVersion: string;
  code: number;
  msg: string;
  details?: string;
}

function cniError(run: PluginRun): CniErrorObject {
  if (run.exitCode === 0) throw new Error(`expected a failure, got exit 0 and ${run.stdout}`);
  const text = run.stdout.endsWith('\n') ? run.stdout.slice(0, -1) : run.stdout;
  if (text.includes('\n')) throw new Error(`stdout has more than one line: ${run.stdout}`);
  const parsed = JSON.parse(text) as CniErrorObject;
  if (Object.keys(parsed).some((key) => !['cniVersion', 'code', 'msg', 'details'].includes(key))) {
    throw new Error(`not a CNI error object: ${text}`);
  }
  return parsed;
}

const MISSING_SOCKET = join(mkdtempSync(join(tmpdir(), 'podeip-nosock-')), 'agent.sock');

for (const command of ['ADD', 'DEL', 'CHECK']) {
  test(`${command} with the agent down is "try again later" (11)`, async (t) => {
    const run = await runPlugin(
      cniEnv({ command }),
      netConf({ socketPath: MISSING_SOCKET, annotations: EIP_ANNOTATIONS }),
    );
    const error = cniError(run);
    t.is(error.code, 11);
    t.is(error.cniVersion, '1.0.0');
    t.true(error.msg.includes(MISSING_SOCKET), error.msg);
    t.true(error.msg.includes('socketPath'), error.msg);
  });
}

test('the second DEL (no annotations, no netns) with the agent down is 11: the EIP may still point at the IP', async (t) => {
  const run = await runPlugin(
    cniEnv({ command: 'DEL', netns: '' }),
    netConf({ socketPath: MISSING_SOCKET, prevResult: null }),
  );
  t.is(cniError(run).code, 11);
});

test('DEL with the agent down succeeds when the annotations show no EIP was asked for', async (t) => {
  const run = await runPlugin(
    cniEnv({ command: 'DEL', netns: '' }),
    netConf({ socketPath: MISSING_SOCKET, annotations: {}, prevResult: null }),
  );
  t.is(run.exitCode, 0, run.stdout);
  t.is(run.stdout, '');
});

const MAPPINGS: { name: string; code: status; trailer?: string; cni: number }[] = [
  { name: 'invalid annotation', code: status.INVALID_ARGUMENT, trailer: 'InvalidAnnotation', cni: 100 },
  { name: 'invalid request', code: status.INVALID_ARGUMENT, trailer: 'InvalidRequest', cni: 4 },
  { name: 'EIP bound elsewhere', code: status.FAILED_PRECONDITION, trailer: 'EipInUseElsewhere', cni: 101 },
  { name: 'RAM permission', code: status.PERMISSION_DENIED, trailer: 'CloudPermissionDenied', cni: 102 },
  {
    name: 'stateless pod with a fixed strategy',
    code: status.FAILED_PRECONDITION,
    trailer: 'NotStatefulPod',
    cni: 103,
  },
  { name: 'another controller owns the pod', code: status.FAILED_PRECONDITION, trailer: 'ForeignController', cni: 104 },
  { name: 'incompatible client', code: status.FAILED_PRECONDITION, trailer: 'IncompatibleClient', cni: 105 },
  { name: 'EIP instance not found', code: status.FAILED_PRECONDITION, trailer: 'EipNotFound', cni: 106 },
  { name: 'EIP not bound (CHECK)', code: status.FAILED_PRECONDITION, trailer: 'EipNotBound', cni: 107 },
  { name: 'pod not found', code: status.FAILED_PRECONDITION, trailer: 'PodNotFound', cni: 108 },
  { name: 'ENI not found', code: status.FAILED_PRECONDITION, trailer: 'EniNotFound', cni: 109 },
  { name: 'EIP not granted', code: status.FAILED_PRECONDITION, trailer: 'EipNotGranted', cni: 110 },
  { name: 'untrusted PodEIP', code: status.FAILED_PRECONDITION, trailer: 'UntrustedPodEip', cni: 111 },
  { name: 'quota exhausted', code: status.RESOURCE_EXHAUSTED, trailer: 'EipQuotaExceeded', cni: 11 },
  { name: 'cloud throttled', code: status.RESOURCE_EXHAUSTED, trailer: 'CloudThrottled', cni: 11 },
  { name: 'agent not ready', code: status.UNAVAILABLE, trailer: 'AgentNotReady', cni: 11 },
  { name: 'agent deadline', code: status.DEADLINE_EXCEEDED, trailer: 'DeadlineExceeded', cni: 11 },
  { name: 'internal', code: status.INTERNAL, trailer: 'Internal', cni: 199 },
  {
    name: 'unknown trailer, FAILED_PRECONDITION',
    code: status.FAILED_PRECONDITION,
    trailer: 'SomethingNewer',
    cni: 101,
  },
  { name: 'no trailer, INVALID_ARGUMENT', code: status.INVALID_ARGUMENT, cni: 100 },
  { name: 'no trailer, UNIMPLEMENTED', code: status.UNIMPLEMENTED, cni: 199 },
];

for (const mapping of MAPPINGS) {
  test(`agent error "${mapping.name}" (${status[mapping.code]}${mapping.trailer ? `/${mapping.trailer}` : ''}) is CNI code ${mapping.cni} with the agent's message`, async (t) => {
    const agent = await FixtureAgent.start();
    t.teardown(() => agent.stop());
    const details = `annotation k8s.aliyun.com/eip-bandwidth: "fast" is not a number; set it to Mbit/s, e.g. "5" (${mapping.name})`;
    agent.reply('Attach', {
      error: { code: mapping.code, details, ...(mapping.trailer ? { trailer: mapping.trailer } : {}) },
    });
    const run = await runPlugin(
      cniEnv({ command: 'ADD' }),
      netConf({ socketPath: agent.socketPath, annotations: EIP_ANNOTATIONS }),
    );
    const error = cniError(run);
    t.is(error.code, mapping.cni);
    t.is(error.msg, details);
    t.true(error.details?.includes(status[mapping.code]), error.details);
    if (mapping.trailer) t.true(error.details?.includes(mapping.trailer), error.details);
  });
}

test('an agent slower than timeoutSeconds is "try again later" (11) naming the timeout', async (t) => {
  const agent = await FixtureAgent.start();
  t.teardown(() => agent.stop());
  // The agent would answer (success) long after the deadline: only the client's deadline can fail it.
  agent.reply('Attach', { response: { eipRequested: true }, delayMs: 60_000 });
  const run = await runPlugin(
    cniEnv({ command: 'ADD' }),
    netConf({ socketPath: agent.socketPath, annotations: EIP_ANNOTATIONS, extra: { timeoutSeconds: 1.5 } }),
  );
  const error = cniError(run);
  t.is(error.code, 11);
  t.true(error.msg.includes('1.5s (timeoutSeconds)'), error.msg);
});

const INVALID_CONFIGS: { name: string; stdin: string; field: string }[] = [
  { name: 'not JSON', stdin: '{"cniVersion": "1.0.0",', field: 'not valid JSON' },
  { name: 'a JSON array', stdin: '[]', field: 'must be a JSON object' },
  { name: 'no cniVersion', stdin: JSON.stringify({ name: 'n', type: 'podeip' }), field: 'cniVersion' },
  { name: 'relative socketPath', stdin: netConf({ extra: { socketPath: 'run/agent.sock' } }), field: '"socketPath"' },
  { name: 'socketPath not a string', stdin: netConf({ extra: { socketPath: 5 } }), field: '"socketPath"' },
  { name: 'negative timeoutSeconds', stdin: netConf({ extra: { timeoutSeconds: -1 } }), field: '"timeoutSeconds"' },
  {
    name: 'timeoutSeconds as a string',
    stdin: netConf({ extra: { timeoutSeconds: '10' } }),
    field: '"timeoutSeconds"',
  },
  { name: 'relative logFile', stdin: netConf({ extra: { logFile: 'podeip.log' } }), field: '"logFile"' },
  {
    name: 'annotations not an object',
    stdin: netConf({ extra: { runtimeConfig: { 'io.kubernetes.cri.pod-annotations': ['a'] } } }),
    field: 'runtimeConfig["io.kubernetes.cri.pod-annotations"]',
  },
  {
    name: 'annotation value not a string',
    stdin: netConf({ annotations: { 'k8s.aliyun.com/pod-with-eip': true as unknown as string } }),
    field: 'runtimeConfig["io.kubernetes.cri.pod-annotations"]["k8s.aliyun.com/pod-with-eip"]',
  },
  {
    name: 'no prevResult on ADD',
    stdin: netConf({ annotations: {}, prevResult: null }),
    field: '"prevResult" is missing',
  },
  { name: 'prevResult not an object', stdin: netConf({ extra: { prevResult: 'x' } }), field: '"prevResult"' },
  {
    name: 'prevResult.ips[].address missing',
    stdin: netConf({
      annotations: EIP_ANNOTATIONS,
      prevResult: { cniVersion: '1.0.0', ips: [{ gateway: '10.0.0.1' }] },
    }),
    field: '"prevResult.ips[0].address"',
  },
  {
    name: 'null in prevResult.ips',
    stdin: netConf({ annotations: EIP_ANNOTATIONS, prevResult: { cniVersion: '1.0.0', ips: [null] } }),
    field: '"prevResult.ips[0]" must be an object',
  },
  {
    name: 'null in prevResult.ips of an older version, converted',
    stdin: netConf({
      annotations: {},
      prevResult: { cniVersion: '0.4.0', ips: [{ version: '4', address: '10.0.0.5/24' }, null] },
    }),
    field: '"prevResult.ips[1]" must be an object',
  },
  {
    name: 'EIP asked but no IPv4 on CNI_IFNAME',
    stdin: netConf({
      annotations: EIP_ANNOTATIONS,
      prevResult: {
        cniVersion: '1.0.0',
        interfaces: [{ name: 'eth0' }],
        ips: [{ address: 'fd00::4/64', interface: 0 }],
      },
    }),
    field: 'no IPv4 address on interface "eth0"',
  },
];

for (const invalid of INVALID_CONFIGS) {
  test(`invalid network config (${invalid.name}) is code 7 naming ${invalid.field}`, async (t) => {
    const run = await runPlugin(cniEnv({ command: 'ADD' }), invalid.stdin);
    const error = cniError(run);
    t.is(error.code, 7, error.msg);
    t.true(error.msg.includes(invalid.field), error.msg);
  });
}

test('GC without the valid-attachments list is code 7', async (t) => {
  const run = await runPlugin(
    { CNI_COMMAND: 'GC' },
    JSON.stringify({ cniVersion: '1.1.0', name: 'n', type: 'podeip' }),
  );
  const error = cniError(run);
  t.is(error.code, 7);
  t.true(error.msg.includes('cni.dev/valid-attachments'), error.msg);
});

const INVALID_ENVS: { name: string; env: Record<string, string>; names: string }[] = [
  { name: 'no CNI_COMMAND', env: {}, names: 'CNI_COMMAND' },
  { name: 'unknown CNI_COMMAND', env: { CNI_COMMAND: 'ATTACH' }, names: 'CNI_COMMAND="ATTACH"' },
  { name: 'ADD without CNI_NETNS', env: { ...cniEnv({ command: 'ADD' }), CNI_NETNS: '' }, names: 'CNI_NETNS' },
  {
    name: 'ADD without CNI_CONTAINERID and CNI_IFNAME',
    env: { CNI_COMMAND: 'ADD', CNI_NETNS: '/n' },
    names: 'CNI_CONTAINERID, CNI_IFNAME',
  },
  { name: 'DEL without CNI_IFNAME', env: { CNI_COMMAND: 'DEL', CNI_CONTAINERID: 'c' }, names: 'CNI_IFNAME' },
  {
    name: 'CNI_ARGS with a pair lacking "="',
    env: cniEnv({ command: 'ADD', args: 'K8S_POD_NAME=a;garbage' }),
    names: 'CNI_ARGS has "garbage"',
  },
  {
    name: 'no K8S_POD_NAME when the agent is needed',
    env: cniEnv({ command: 'ADD', args: 'IgnoreUnknown=1;K8S_POD_NAMESPACE=games' }),
    names: 'K8S_POD_NAMESPACE and K8S_POD_NAME',
  },
];

for (const invalid of INVALID_ENVS) {
  test(`invalid environment (${invalid.name}) is code 4 naming ${invalid.names}`, async (t) => {
    const run = await runPlugin(invalid.env, netConf({ socketPath: MISSING_SOCKET, annotations: EIP_ANNOTATIONS }));
    const error = cniError(run);
    t.is(error.code, 4, error.msg);
    t.true(error.msg.includes(invalid.names), error.msg);
  });
}

const UNSUPPORTED: { name: string; command: string; cniVersion: string; says: string }[] = [
  { name: 'an old spec', command: 'ADD', cniVersion: '0.2.0', says: 'cniVersion "0.2.0" is not supported' },
  { name: 'a future spec', command: 'DEL', cniVersion: '2.0.0', says: 'cniVersion "2.0.0" is not supported' },
  {
    name: 'CHECK before 0.4.0',
    command: 'CHECK',
    cniVersion: '0.3.1',
    says: 'CNI_COMMAND=CHECK needs cniVersion 0.4.0',
  },
  { name: 'GC before 1.1.0', command: 'GC', cniVersion: '1.0.0', says: 'CNI_COMMAND=GC needs cniVersion 1.1.0' },
  {
    name: 'STATUS before 1.1.0',
    command: 'STATUS',
    cniVersion: '0.4.0',
    says: 'CNI_COMMAND=STATUS needs cniVersion 1.1.0',
  },
];

for (const unsupported of UNSUPPORTED) {
  test(`unsupported version (${unsupported.name}) is code 1`, async (t) => {
    const run = await runPlugin(
      cniEnv({ command: unsupported.command }),
      netConf({ cniVersion: unsupported.cniVersion, socketPath: MISSING_SOCKET, annotations: {} }),
    );
    const error = cniError(run);
    t.is(error.code, 1, error.msg);
    t.true(error.msg.includes(unsupported.says), error.msg);
  });
}

test('prevResult in a version the plugin cannot convert is code 1', async (t) => {
  const run = await runPlugin(
    cniEnv({ command: 'ADD' }),
    netConf({ annotations: {}, prevResult: { cniVersion: '0.2.0', ip4: { ip: '10.0.0.2/24' } } }),
  );
  t.is(cniError(run).code, 1);
});

test('logFile gets JSON lines for successes and failures; stdout only the result', async (t) => {
  const agent = await FixtureAgent.start();
  t.teardown(() => agent.stop());
  const logFile = join(mkdtempSync(join(tmpdir(), 'podeip-log-')), 'sub', 'podeip.log');
  agent.reply('Attach', {
    error: { code: status.INVALID_ARGUMENT, details: 'bad annotation', trailer: 'InvalidAnnotation' },
  });
  const failed = await runPlugin(
    cniEnv({ command: 'ADD' }),
    netConf({ socketPath: agent.socketPath, annotations: EIP_ANNOTATIONS, extra: { logFile } }),
  );
  t.is(cniError(failed).code, 100);
  const ok = await runPlugin(
    cniEnv({ command: 'ADD' }),
    netConf({ socketPath: agent.socketPath, annotations: {}, extra: { logFile } }),
  );
  t.is(ok.exitCode, 0);
  const lines = readFileSync(logFile, 'utf8')
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as Record<string, unknown>);
  t.like(lines[0], {
    level: 'error',
    message: 'cni command failed',
    command: 'ADD',
    code: 'InvalidAnnotation',
    cniCode: 100,
    pod: 'games/udp-0',
    containerId: 'sandbox-1',
  });
  t.like(lines[1], { level: 'info', message: 'cni command succeeded', command: 'ADD', agentCalled: false });
  t.is(lines.length, 2);
  t.is(typeof lines[1]!.durationMs, 'number');
});
