/**
 * The built dist/bin/podeip, run as the runtime runs it, against a real gRPC server for the
 * agent contract: every command and CNI version, what the agent receives, what stdout carries.
 */
import test from 'ava';
import { FixtureAgent } from './fixture-agent.js';
import { bridgePrevResult, cniArgs, cniEnv, netConf, POD_ARGS, runPlugin } from './run-plugin.js';

const EIP_ANNOTATIONS = { 'network.alibabacloud.com/pod-with-eip': 'true', app: 'udp' };
const RESULT_VERSIONS = ['0.3.1', '0.4.0', '1.0.0', '1.1.0'];

/** stdout must be exactly one JSON document (and a newline): nothing else may go there. */
function onlyJson(stdout: string): unknown {
  const text = stdout.endsWith('\n') ? stdout.slice(0, -1) : stdout;
  if (text.includes('\n')) throw new Error(`stdout has more than one line: ${stdout}`);
  return JSON.parse(text);
}

for (const version of ['0.3.0', '0.3.1', '0.4.0', '1.0.0', '1.1.0']) {
  test(`VERSION answers in ${version} with every supported version`, async (t) => {
    const run = await runPlugin({ CNI_COMMAND: 'VERSION' }, JSON.stringify({ cniVersion: version }));
    t.is(run.exitCode, 0);
    t.deepEqual(onlyJson(run.stdout), {
      cniVersion: version,
      supportedVersions: ['0.3.0', '0.3.1', '0.4.0', '1.0.0', '1.1.0'],
    });
  });
}

test('VERSION without stdin answers in the latest version', async (t) => {
  const run = await runPlugin({ CNI_COMMAND: 'VERSION' }, '');
  t.is(run.exitCode, 0);
  t.is((onlyJson(run.stdout) as { cniVersion: string }).cniVersion, '1.1.0');
});

for (const version of RESULT_VERSIONS) {
  test(`ADD ${version} for a pod asking for an EIP calls Attach once and prints prevResult unchanged`, async (t) => {
    const agent = await FixtureAgent.start();
    t.teardown(() => agent.stop());
    const prevResult = bridgePrevResult(version);
    const run = await runPlugin(
      cniEnv({ command: 'ADD' }),
      netConf({ cniVersion: version, socketPath: agent.socketPath, annotations: EIP_ANNOTATIONS, prevResult }),
    );
    t.is(run.exitCode, 0, run.stdout);
    t.deepEqual(onlyJson(run.stdout), prevResult);
    t.is(run.stderr, '');
    t.deepEqual(
      agent.calls.map((call) => call.method),
      ['Attach'],
    );
    t.deepEqual(agent.calls[0]!.request, {
      clientVersion: '0.1.0',
      pod: { namespace: 'games', name: 'udp-0', uid: POD_ARGS.K8S_POD_UID },
      sandbox: { containerId: 'sandbox-1', netns: '/var/run/netns/cni-1234', ifname: 'eth0' },
      podIpv4: '10.244.77.4',
      // Only the annotations podeip reads travel: `app` stays behind.
      podAnnotations: { 'network.alibabacloud.com/pod-with-eip': 'true' },
      podAnnotationsKnown: true,
    });
  });
}

test('CNI_ARGS in any order (as containerd shuffles it) yields the same pod', async (t) => {
  const agent = await FixtureAgent.start();
  t.teardown(() => agent.stop());
  const orders: (keyof typeof POD_ARGS)[][] = [
    ['IgnoreUnknown', 'K8S_POD_NAMESPACE', 'K8S_POD_NAME', 'K8S_POD_INFRA_CONTAINER_ID', 'K8S_POD_UID'],
    ['K8S_POD_UID', 'K8S_POD_NAME', 'IgnoreUnknown', 'K8S_POD_INFRA_CONTAINER_ID', 'K8S_POD_NAMESPACE'],
    ['K8S_POD_INFRA_CONTAINER_ID', 'K8S_POD_NAMESPACE', 'K8S_POD_UID', 'IgnoreUnknown', 'K8S_POD_NAME'],
  ];
  for (const order of orders) {
    const run = await runPlugin(
      cniEnv({ command: 'ADD', args: cniArgs(order) }),
      netConf({ socketPath: agent.socketPath, annotations: EIP_ANNOTATIONS }),
    );
    t.is(run.exitCode, 0, run.stdout);
  }
  const pods = agent.calls.map((call) => call.request.pod);
  t.is(pods.length, 3);
  for (const pod of pods) t.deepEqual(pod, { namespace: 'games', name: 'udp-0', uid: POD_ARGS.K8S_POD_UID });
});

test('ADD with unknown annotations asks the agent and says they are unknown', async (t) => {
  const agent = await FixtureAgent.start();
  t.teardown(() => agent.stop());
  agent.reply('Attach', { response: { eipRequested: false } });
  const run = await runPlugin(cniEnv({ command: 'ADD' }), netConf({ socketPath: agent.socketPath }));
  t.is(run.exitCode, 0, run.stdout);
  t.deepEqual(onlyJson(run.stdout), bridgePrevResult('1.0.0'));
  t.is(agent.calls.length, 1);
  t.like(agent.calls[0]!.request, { podAnnotations: {}, podAnnotationsKnown: false, podIpv4: '10.244.77.4' });
});

test('every annotation the agent honours makes the plugin call it; others do not', async (t) => {
  const agent = await FixtureAgent.start();
  t.teardown(() => agent.stop());
  const asking: Record<string, string>[] = [
    { 'network.alibabacloud.com/pod-with-eip': 'TRUE' },
    { 'k8s.aliyun.com/pod-with-eip': 'true' },
    { 'k8s.aliyun.com/eci-with-eip': 'True' },
    { 'network.alibabacloud.com/pod-eip-instanceid': 'eip-1' },
    { 'k8s.aliyun.com/pod-eip-instanceid': 'eip-2' },
    { 'k8s.aliyun.com/eci-eip-instanceid': 'eip-3' },
  ];
  const notAsking: Record<string, string>[] = [
    {},
    { 'network.alibabacloud.com/pod-with-eip': 'false' },
    { 'k8s.aliyun.com/pod-eip-instanceid': '' },
    { 'k8s.aliyun.com/eip-bandwidth': '5' },
  ];
  for (const annotations of [...asking, ...notAsking]) {
    const run = await runPlugin(cniEnv({ command: 'ADD' }), netConf({ socketPath: agent.socketPath, annotations }));
    t.is(run.exitCode, 0, run.stdout);
  }
  t.deepEqual(
    agent.calls.map((call) => call.request.podAnnotations),
    asking,
  );
});

test('fast path: a pod with known annotations and no EIP never reaches the agent on ADD, CHECK or DEL', async (t) => {
  const agent = await FixtureAgent.start();
  t.teardown(() => agent.stop());
  const annotations = { app: 'web' };
  for (const command of ['ADD', 'CHECK', 'DEL']) {
    const run = await runPlugin(cniEnv({ command }), netConf({ socketPath: agent.socketPath, annotations }));
    t.is(run.exitCode, 0, `${command}: ${run.stdout}`);
    t.is(
      run.stdout === '' ? undefined : JSON.stringify(onlyJson(run.stdout)),
      command === 'ADD' ? JSON.stringify(bridgePrevResult('1.0.0')) : undefined,
    );
  }
  t.deepEqual(agent.calls, []);
});

test("containerd's null annotation map (a pod with no annotations) is known and empty: no agent call", async (t) => {
  const agent = await FixtureAgent.start();
  t.teardown(() => agent.stop());
  const run = await runPlugin(
    cniEnv({ command: 'ADD' }),
    netConf({ socketPath: agent.socketPath, extra: { runtimeConfig: { 'io.kubernetes.cri.pod-annotations': null } } }),
  );
  t.is(run.exitCode, 0, run.stdout);
  t.deepEqual(onlyJson(run.stdout), bridgePrevResult('1.0.0'));
  t.deepEqual(agent.calls, []);
});

test("prevResult of another version is converted to the config's version", async (t) => {
  const agent = await FixtureAgent.start();
  t.teardown(() => agent.stop());
  const up = await runPlugin(
    cniEnv({ command: 'ADD' }),
    netConf({
      cniVersion: '1.0.0',
      socketPath: agent.socketPath,
      annotations: {},
      prevResult: bridgePrevResult('0.4.0'),
    }),
  );
  t.is(up.exitCode, 0, up.stdout);
  t.deepEqual(onlyJson(up.stdout), bridgePrevResult('1.0.0'));
  const down = await runPlugin(
    cniEnv({ command: 'ADD' }),
    netConf({
      cniVersion: '0.4.0',
      socketPath: agent.socketPath,
      annotations: {},
      prevResult: bridgePrevResult('1.0.0'),
    }),
  );
  t.is(down.exitCode, 0, down.stdout);
  t.deepEqual(onlyJson(down.stdout), bridgePrevResult('0.4.0'));
});

test('prevResult keeps fields the plugin does not know, in order', async (t) => {
  const prevResult = {
    cniVersion: '1.0.0',
    interfaces: [{ name: 'eth0', sandbox: '/n', 'x-vendor': { mtu: 9000 } }],
    ips: [{ address: '10.1.2.3/32', interface: 0 }],
    'x-extra': [1, 'two', null, true],
  };
  const run = await runPlugin(cniEnv({ command: 'ADD' }), netConf({ annotations: {}, prevResult }));
  t.is(run.exitCode, 0, run.stdout);
  t.is(run.stdout, `${JSON.stringify(prevResult)}\n`);
});

test('the pod IPv4 is the one on CNI_IFNAME; without interface indexes, the single IPv4', async (t) => {
  const agent = await FixtureAgent.start();
  t.teardown(() => agent.stop());
  const twoInterfaces = {
    cniVersion: '1.0.0',
    interfaces: [
      { name: 'eth0', sandbox: '/n' },
      { name: 'net1', sandbox: '/n' },
    ],
    ips: [
      { address: 'fd00::5/64', interface: 1 },
      { address: '10.0.0.5/24', interface: 0 },
      { address: '192.168.9.7/24', interface: 1 },
    ],
  };
  const noIndexes = { cniVersion: '1.0.0', ips: [{ address: 'fd00::9/64' }, { address: '172.16.3.9/16' }] };
  for (const [ifname, prevResult] of [
    ['net1', twoInterfaces],
    ['eth0', twoInterfaces],
    ['eth0', noIndexes],
  ] as const) {
    const run = await runPlugin(
      cniEnv({ command: 'ADD', ifname }),
      netConf({ socketPath: agent.socketPath, annotations: EIP_ANNOTATIONS, prevResult }),
    );
    t.is(run.exitCode, 0, run.stdout);
  }
  t.deepEqual(
    agent.calls.map((call) => call.request.podIpv4),
    ['192.168.9.7', '10.0.0.5', '172.16.3.9'],
  );
});

test('DEL from StopPodSandbox carries netns and the pod IP; the second DEL (empty netns, no prevResult) still asks the agent', async (t) => {
  const agent = await FixtureAgent.start();
  t.teardown(() => agent.stop());
  const first = await runPlugin(
    cniEnv({ command: 'DEL' }),
    netConf({ socketPath: agent.socketPath, annotations: EIP_ANNOTATIONS }),
  );
  t.is(first.exitCode, 0, first.stdout);
  t.is(first.stdout, '');
  const second = await runPlugin(
    cniEnv({ command: 'DEL', netns: '' }),
    netConf({ socketPath: agent.socketPath, prevResult: null }),
  );
  t.is(second.exitCode, 0, second.stdout);
  t.is(second.stdout, '');
  t.deepEqual(
    agent.calls.map((call) => call.request),
    [
      {
        clientVersion: '0.1.0',
        pod: { namespace: 'games', name: 'udp-0', uid: POD_ARGS.K8S_POD_UID },
        sandbox: { containerId: 'sandbox-1', netns: '/var/run/netns/cni-1234', ifname: 'eth0' },
        podIpv4: '10.244.77.4',
      },
      {
        clientVersion: '0.1.0',
        pod: { namespace: 'games', name: 'udp-0', uid: POD_ARGS.K8S_POD_UID },
        sandbox: { containerId: 'sandbox-1', netns: '', ifname: 'eth0' },
        podIpv4: '',
      },
    ],
  );
});

test('DEL without K8S_* args (a DEL for an ADD that never reached us) still asks the agent by sandbox', async (t) => {
  const agent = await FixtureAgent.start();
  t.teardown(() => agent.stop());
  const run = await runPlugin(
    cniEnv({ command: 'DEL', netns: '', args: 'IgnoreUnknown=1' }),
    netConf({ socketPath: agent.socketPath, prevResult: null }),
  );
  t.is(run.exitCode, 0, run.stdout);
  t.like(agent.calls[0]!.request, {
    pod: { namespace: '', name: '', uid: '' },
    sandbox: { containerId: 'sandbox-1', netns: '', ifname: 'eth0' },
  });
});

for (const version of ['0.4.0', '1.0.0', '1.1.0']) {
  test(`CHECK ${version} asks the agent and prints nothing on success`, async (t) => {
    const agent = await FixtureAgent.start();
    t.teardown(() => agent.stop());
    const run = await runPlugin(
      cniEnv({ command: 'CHECK' }),
      netConf({ cniVersion: version, socketPath: agent.socketPath, annotations: EIP_ANNOTATIONS }),
    );
    t.is(run.exitCode, 0, run.stdout);
    t.is(run.stdout, '');
    t.deepEqual(
      agent.calls.map((call) => [call.method, call.request.podIpv4]),
      [['Check', '10.244.77.4']],
    );
  });
}

test('STATUS (1.1.0) succeeds on a valid config without asking the agent', async (t) => {
  const run = await runPlugin(
    { CNI_COMMAND: 'STATUS' },
    JSON.stringify({ cniVersion: '1.1.0', name: 'podnet', type: 'podeip', socketPath: '/nonexistent/agent.sock' }),
  );
  t.is(run.exitCode, 0, run.stdout);
  t.is(run.stdout, '');
});

test("GC (1.1.0) detaches the agent's bindings whose sandbox the runtime no longer lists", async (t) => {
  const agent = await FixtureAgent.start();
  t.teardown(() => agent.stop());
  const binding = (containerId: string, name: string, state: string) => ({
    pod: { namespace: 'games', name, uid: `uid-${name}` },
    containerId,
    state,
    privateIp: `10.244.77.${name.length}`,
  });
  agent.reply('Status', {
    response: {
      ready: true,
      bindings: [binding('live', 'a', 'bound'), binding('stale', 'bb', 'bound'), binding('old', 'ccc', 'gone')],
    },
  });
  const run = await runPlugin(
    { CNI_COMMAND: 'GC', CNI_PATH: '/opt/cni/bin' },
    JSON.stringify({
      cniVersion: '1.1.0',
      name: 'podnet',
      type: 'podeip',
      socketPath: agent.socketPath,
      'cni.dev/valid-attachments': [{ containerID: 'live', ifname: 'eth0' }],
    }),
  );
  t.is(run.exitCode, 0, run.stdout);
  t.deepEqual(
    agent.calls.map((call) => call.method),
    ['Status', 'Detach'],
  );
  t.deepEqual(agent.calls[1]!.request, {
    clientVersion: '0.1.0',
    pod: { namespace: 'games', name: 'bb', uid: 'uid-bb' },
    sandbox: { containerId: 'stale', netns: '', ifname: 'eth0' },
    podIpv4: '10.244.77.2',
  });
});
