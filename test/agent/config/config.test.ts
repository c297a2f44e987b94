import test from 'ava';
import { ConfigError, parseConfig } from '../../../agent/src/config/load.js';

const minimal = 'clusterID: c-demo\nregionID: cn-hangzhou\nvpcID: vpc-demo\n';

function problemsOf(text: string): string[] {
  let error: unknown;
  try {
    parseConfig(text);
  } catch (err) {
    error = err;
  }
  if (!(error instanceof ConfigError)) throw new Error(`expected a ConfigError for:\n${text}`);
  return error.problems;
}

test("the issue's sample config parses with its values", (t) => {
  const config = parseConfig(`
clusterID: c-demo
regionID: cn-hangzhou
vpcID: vpc-demo
enableControllers: [eip]
networkController:
  eipController: {maxConcurrentReconciles: 4, garbageCollectionPeriodInMinutes: 1}
customStatefulWorkloadKinds: []
enableRRSA: false
rrsaRoleName: ""
credential: {accessKey: "", accessSecret: ""}
kubeClientQPS: 20
kubeClientBurst: 40
allowEipRob: false
agent: {socketPath: /var/run/podeip/agent.sock, stateDir: /var/lib/podeip,
        metricsListen: "0.0.0.0:9464", attachTimeoutSeconds: 100}
cloud: {vpcEndpoint: "", ecsEndpoint: "", protocol: https,
        metadataEndpoint: "http://100.100.100.200", stsEndpoint: ""}
`);
  t.is(config.vpcID, 'vpc-demo');
  t.is(config.networkController.eipController.maxConcurrentReconciles, 4);
  t.is(config.agent.socketPath, '/var/run/podeip/agent.sock');
  t.is(config.cloud.protocol, 'https');
  t.is(config.kubeClientBurst, 40);
});

test('defaults fill everything but the cluster, region and VPC', (t) => {
  const config = parseConfig(minimal);
  t.deepEqual(config.enableControllers, ['eip']);
  t.is(config.networkController.eipController.garbageCollectionPeriodInMinutes, 1);
  t.is(config.agent.metricsListen, '0.0.0.0:9464');
  t.is(config.agent.attachTimeoutSeconds, 100);
  t.is(config.cloud.metadataEndpoint, 'http://100.100.100.200');
  t.false(config.allowEipRob);
  t.is(config.staticEipPolicy, 'Granted', 'existing EIPs need a grant unless the admin says otherwise');
});

test('networkController.vpcid is accepted in place of vpcID, and a disagreement is an error', (t) => {
  t.is(parseConfig('clusterID: c\nregionID: cn-beijing\nnetworkController: {vpcid: vpc-x}\n').vpcID, 'vpc-x');
  const problems = problemsOf('clusterID: c\nregionID: cn-beijing\nvpcID: vpc-a\nnetworkController: {vpcid: vpc-b}\n');
  t.regex(problems[0], /vpcID "vpc-a" and networkController.vpcid "vpc-b" disagree/);
  t.regex(problemsOf('clusterID: c\nregionID: cn-beijing\n')[0], /^vpcID: required/);
});

test('unknown keys are errors that name the key, at any depth', (t) => {
  const problems = problemsOf(`${minimal}allowEIPRob: true\nagent: {socketpath: /x}\n`);
  t.true(problems.some((p) => p.startsWith('allowEIPRob: unknown key')));
  t.true(problems.some((p) => p.startsWith('agent.socketpath: unknown key in agent')));
});

test('bad values name the key and say what is expected', (t) => {
  const problems = problemsOf(
    `${minimal}kubeClientQPS: 0\nagent: {metricsListen: "9464", stateDir: relative}\ncloud: {protocol: ftp, vpcEndpoint: "https://vpc.example"}\nenableControllers: [vpc]\nenableVirtualNode: true\n`,
  );
  const byKey = (key: string): string | undefined => problems.find((p) => p.startsWith(`${key}:`));
  t.truthy(byKey('kubeClientQPS'));
  t.regex(byKey('agent.metricsListen') ?? '', /HOST:PORT/);
  t.regex(byKey('agent.stateDir') ?? '', /absolute path/);
  t.truthy(byKey('cloud.protocol'));
  t.regex(byKey('cloud.vpcEndpoint') ?? '', /without a scheme/);
  t.regex(byKey('enableControllers') ?? '', /must include "eip"/);
  t.regex(byKey('enableVirtualNode') ?? '', /ECS nodes only/);
});

test('half a credential, or AK/SK together with RRSA, is refused', (t) => {
  t.regex(problemsOf(`${minimal}credential: {accessKey: AK}\n`)[0], /set both accessKey and accessSecret/);
  t.regex(
    problemsOf(`${minimal}enableRRSA: true\ncredential: {accessKey: AK, accessSecret: SK}\n`)[0],
    /choose one way/,
  );
});

test('YAML syntax errors give the line', (t) => {
  t.regex(problemsOf('clusterID: [unclosed\n')[0], /not valid YAML at line \d+/);
});

test('the warm pool is off by default; its settings are checked and named', (t) => {
  const config = parseConfig(minimal);
  t.false(config.warmPool.enabled);
  t.true(config.warmPool.recycle);
  t.is(config.warmPool.profile.internetChargeType, 'PayByTraffic');
  t.is(config.cloud.eipQuota, 20);
  const problems = problemsOf(
    `${minimal}cloud: {eipQuota: 0}\nwarmPool: {enabled: true, minIdle: 6, maxIdle: 5, profile: {bandwidth: "5M", bandwidthPackageId: pkg-1, ispp: BGP}}\n`,
  );
  const byKey = (key: string): string | undefined => problems.find((p) => p.startsWith(`${key}:`));
  t.truthy(byKey('cloud.eipQuota'));
  t.regex(byKey('warmPool.profile.bandwidth') ?? '', /positive integer/);
  t.regex(byKey('warmPool.profile.bandwidthPackageId') ?? '', /cbwp-/);
  t.regex(byKey('warmPool.profile.ispp') ?? '', /unknown key/);
  const ordered = problemsOf(`${minimal}warmPool: {enabled: true, minIdle: 6, maxIdle: 5}\n`);
  t.regex(ordered.find((p) => p.startsWith('warmPool.minIdle:')) ?? '', /must not exceed maxIdle/);
});
