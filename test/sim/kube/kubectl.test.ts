import test from 'ava';
import { readFileSync } from 'node:fs';
import * as k8s from '@kubernetes/client-node';
import { parse as parseYaml } from 'yaml';
import { POD_EIP_CRD, harness, kubectlStream, until, type Harness } from './helpers.js';

const PODEIP = (allocation: string, bandwidth = 'cbwp-1'): string => `apiVersion: alibabacloud.com/v1beta1
kind: PodEIP
metadata:
  name: game-0
  namespace: default
spec:
  allocationID: ${allocation}
  bandwidthPackageID: ${bandwidth}
  allocationType:
    type: Static
    releaseStrategy: Never
`;

const POD = (labels: string): string => `apiVersion: v1
kind: Pod
metadata:
  name: game-0
  namespace: default
  labels: {${labels}}
  annotations:
    network.alibabacloud.com/pod-with-eip: "true"
spec:
  nodeName: node-1
  containers:
  - name: server
    image: registry.example/game:1.0
`;

async function withCrd(): Promise<Harness> {
  const h = await harness();
  const out = await h.ok(['apply', '-f', h.writeFile('crd.yaml', POD_EIP_CRD)]);
  if (!out.includes('customresourcedefinition.apiextensions.k8s.io/podeips.alibabacloud.com created'))
    throw new Error(out);
  return h;
}

test('kubectl applies a CRD, a custom resource and a pod, and reads them back', async (t) => {
  const h = await withCrd();
  t.teardown(() => h.sim.close());
  t.regex(
    await h.ok(['apply', '-f', h.writeFile('pe.yaml', PODEIP('eip-aaa'))]),
    /podeip.alibabacloud.com\/game-0 created/,
  );
  t.regex(await h.ok(['apply', '-f', h.writeFile('pod.yaml', POD('app: game'))]), /pod\/game-0 created/);

  const pe = parseYaml(await h.ok(['get', 'podeip', 'game-0', '-o', 'yaml']));
  t.is(pe.spec.allocationID, 'eip-aaa');
  t.is(pe.spec.allocationType.type, 'Static');
  t.is(pe.metadata.generation, 1);
  t.truthy(pe.metadata.uid);
  t.truthy(pe.metadata.annotations['kubectl.kubernetes.io/last-applied-configuration']);

  const table = await h.ok(['get', 'podeips']);
  const [header, row] = table.trim().split('\n');
  t.deepEqual(header!.split(/\s+/), ['NAME', 'ALLOCATION', 'TYPE', 'ADDRESS', 'AGE']);
  t.regex(row!, /^game-0\s+eip-aaa\s+Static\s+\d+s$/, 'an absent .status.eipAddress is an empty cell');

  const pod = parseYaml(await h.ok(['get', 'pod', 'game-0', '-o', 'yaml']));
  t.is(pod.spec.nodeName, 'node-1');
  t.is(pod.status.phase, 'Pending');
  t.is(pod.metadata.annotations['network.alibabacloud.com/pod-with-eip'], 'true');
  const wide = await h.ok(['get', 'pods', '-o', 'wide']);
  t.regex(wide, /NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE\s+IP\s+NODE/);
  t.regex(wide, /game-0\s+0\/1\s+Pending\s+0\s+\S+\s+<none>\s+node-1/);

  t.regex(await h.ok(['apply', '-f', h.writeFile('pod.yaml', POD('app: game'))]), /pod\/game-0 unchanged/);
  t.regex(await h.ok(['apply', '-f', h.writeFile('pod.yaml', POD('app: game, tier: edge'))]), /pod\/game-0 configured/);
  t.regex(await h.ok(['get', 'pod', 'game-0', '--show-labels']), /app=game,tier=edge/);
  t.regex(await h.ok(['apply', '-f', h.writeFile('pe.yaml', PODEIP('eip-aaa', 'cbwp-2'))]), /configured/);
  const pe2 = parseYaml(await h.ok(['get', 'podeip', 'game-0', '-o', 'yaml']));
  t.is(pe2.spec.bandwidthPackageID, 'cbwp-2');
  t.is(pe2.metadata.generation, 2);
});

test('kubectl create -f, patch, describe and delete', async (t) => {
  const h = await withCrd();
  t.teardown(() => h.sim.close());
  t.regex(await h.ok(['create', '-f', h.writeFile('pod.yaml', POD('app: game'))]), /pod\/game-0 created/);
  const again = await h.kubectl(['create', '-f', h.writeFile('pod.yaml', POD('app: game'))]);
  t.not(again.code, 0);
  t.regex(again.stderr, /AlreadyExists|already exists/);

  await h.ok([
    'patch',
    'pod',
    'game-0',
    '--subresource=status',
    '-p',
    '{"status":{"conditions":[{"type":"k8s.aliyun.com/eip","status":"True","reason":"Bound"}]}}',
  ]);
  await h.ok([
    'patch',
    'pod',
    'game-0',
    '--subresource=status',
    '-p',
    '{"status":{"conditions":[{"type":"Ready","status":"False"}]}}',
  ]);
  const describe = await h.ok(['describe', 'pod', 'game-0']);
  t.regex(describe, /Node:\s+node-1/);
  t.regex(describe, /k8s\.aliyun\.com\/eip\s+True/);
  t.regex(describe, /Ready\s+False/);

  await h.ok(['create', '-f', h.writeFile('pe.yaml', PODEIP('eip-bbb'))]);
  await h.ok(['patch', 'podeip', 'game-0', '--type=merge', '-p', '{"spec":{"bandwidthPackageID":"cbwp-9"}}']);
  t.is(await h.ok(['get', 'podeip', 'game-0', '-o', 'jsonpath={.spec.bandwidthPackageID}']), 'cbwp-9');
  const immut = await h.kubectl([
    'patch',
    'podeip',
    'game-0',
    '--type=merge',
    '-p',
    '{"spec":{"allocationID":"eip-other"}}',
  ]);
  t.not(immut.code, 0);
  t.regex(immut.stderr, /spec\.allocationID: Invalid value: "string": allocationID is immutable/);
  const strategic = await h.kubectl([
    'patch',
    'podeip',
    'game-0',
    '--type=strategic',
    '-p',
    '{"spec":{"bandwidthPackageID":"x"}}',
  ]);
  t.not(strategic.code, 0);
  t.regex(strategic.stderr, /UnsupportedMediaType|unknown format/);
  t.regex(await h.ok(['describe', 'podeip', 'game-0']), /Allocation ID:\s+eip-bbb/);

  t.regex(await h.ok(['delete', 'pod', 'game-0', '--grace-period=0', '--force']), /pod "game-0" force deleted/);
  t.regex(await h.ok(['delete', 'podeip', 'game-0']), /podeip.alibabacloud.com "game-0" deleted/);
  const gone = await h.kubectl(['get', 'podeip', 'game-0']);
  t.regex(gone.stderr, /NotFound.*podeips.alibabacloud.com "game-0" not found/);
});

test('kubectl gets a schema violation as 422 naming the field', async (t) => {
  const h = await withCrd();
  t.teardown(() => h.sim.close());
  const missing = await h.kubectl([
    'create',
    '-f',
    h.writeFile('bad.yaml', PODEIP('eip-x').replace('  allocationID: eip-x\n', '')),
  ]);
  t.not(missing.code, 0);
  t.regex(missing.stderr, /The PodEIP "game-0" is invalid: spec.allocationID: Required value/);
  const badEnum = await h.kubectl([
    'create',
    '-f',
    h.writeFile('bad.yaml', PODEIP('eip-x').replace('type: Static', 'type: Sometimes')),
  ]);
  t.regex(
    badEnum.stderr,
    /spec.allocationType.type: Unsupported value: "Sometimes": supported values: "Auto", "Static"/,
  );
  const badType = await h.kubectl(['create', '-f', h.writeFile('bad.yaml', PODEIP('eip-x').replace('cbwp-1', '7'))]);
  t.regex(
    badType.stderr,
    /spec.bandwidthPackageID: Invalid value: "integer": spec.bandwidthPackageID in body must be of type string/,
  );
  const unknown = await h.kubectl([
    'create',
    '-f',
    h.writeFile('bad.yaml', PODEIP('eip-x').replace('  allocationType:', '  color: blue\n  allocationType:')),
  ]);
  t.not(unknown.code, 0, 'kubectl asks for strict field validation, so an unknown field is refused');
  t.regex(unknown.stderr, /unknown field "spec.color"/);
  const lax = await h.kubectl([
    'create',
    '--validate=false',
    '-f',
    h.writeFile('bad.yaml', PODEIP('eip-x').replace('  allocationType:', '  color: blue\n  allocationType:')),
  ]);
  t.is(lax.code, 0, lax.stderr);
  const stored = parseYaml(await h.ok(['get', 'podeip', 'game-0', '-o', 'yaml']));
  t.is(stored.spec.color, undefined, 'unknown fields are pruned');
});

test('kubectl get -w streams changes, including for a custom resource', async (t) => {
  const h = await withCrd();
  t.teardown(() => h.sim.close());
  await h.ok(['create', '-f', h.writeFile('pod.yaml', POD('app: game'))]);
  const watch = kubectlStream(h, ['get', 'pods', '-w']);
  t.teardown(() => watch.child.kill());
  await until('the initial listing', () => watch.lines.some((l) => /game-0\s+0\/1\s+Pending/.test(l)));
  await h.ok(['delete', 'pod', 'game-0', '--wait=false']);
  await until('the terminating pod', () => watch.lines.some((l) => /game-0\s+0\/1\s+Terminating/.test(l)));

  t.regex(watch.lines.join('\n'), /NAME\s+READY\s+STATUS/);

  await h.ok(['create', '-f', h.writeFile('pe.yaml', PODEIP('eip-ccc'))]);
  const crWatch = kubectlStream(h, ['get', 'podeips', '-w']);
  t.teardown(() => crWatch.child.kill());
  await until('the PodEIP row', () => crWatch.lines.some((l) => /game-0\s+eip-ccc\s+Static/.test(l)));
  await h.ok([
    'patch',
    'podeip',
    'game-0',
    '--subresource=status',
    '--type=merge',
    '-p',
    '{"status":{"eipAddress":"47.0.0.9"}}',
  ]);
  await until('the updated row', () => crWatch.lines.some((l) => /game-0\s+eip-ccc\s+Static\s+47\.0\.0\.9/.test(l)));
  t.regex(crWatch.lines[0]!, /NAME\s+ALLOCATION\s+TYPE\s+ADDRESS\s+AGE/);
});

test('over --tls with a token, kubectl and client-node authenticate; without the token the answer is 401', async (t) => {
  const h = await harness({ tls: true, token: 's3cret' });
  t.teardown(() => h.sim.close());
  t.true(h.sim.url.startsWith('https://127.0.0.1:'));
  t.regex(await h.ok(['get', 'ns']), /kube-node-lease\s+Active/);
  await h.ok(['apply', '-f', h.writeFile('crd.yaml', POD_EIP_CRD)]);
  t.regex(await h.ok(['apply', '-f', h.writeFile('pe.yaml', PODEIP('eip-tls'))]), /created/);
  const custom = h.kc.makeApiClient(k8s.CustomObjectsApi);
  const got = await custom.getNamespacedCustomObject({
    group: 'alibabacloud.com',
    version: 'v1beta1',
    namespace: 'default',
    plural: 'podeips',
    name: 'game-0',
  });
  t.is(got.spec.allocationID, 'eip-tls');
  const anonymous = new k8s.KubeConfig();
  anonymous.loadFromString(readFileSync(h.sim.kubeconfigPath, 'utf8').replace(/token: s3cret/, 'token: wrong'));
  const err = await anonymous
    .makeApiClient(k8s.CoreV1Api)
    .listNamespace()
    .then(
      () => undefined,
      (e: unknown) => e,
    );
  t.true(err instanceof k8s.ApiException);
  t.is((err as k8s.ApiException<unknown>).code, 401);
});

test('kubectl create namespace|configmap|secret|serviceaccount, which send protobuf, work', async (t) => {
  const h = await harness();
  t.teardown(() => h.sim.close());
  t.regex(await h.ok(['create', 'namespace', 'games']), /namespace\/games created/);
  await h.ok(['create', 'configmap', 'cfg', '-n', 'games', '--from-literal=a=b', '--from-literal=c=d']);
  await h.ok(['create', 'secret', 'generic', 'sec', '-n', 'games', '--from-literal=k=v']);
  await h.ok(['create', 'serviceaccount', 'robot', '-n', 'games']);
  const ns = parseYaml(await h.ok(['get', 'ns', 'games', '-o', 'yaml']));
  t.is(ns.status.phase, 'Active');
  t.is(ns.metadata.labels['kubernetes.io/metadata.name'], 'games');
  t.deepEqual(parseYaml(await h.ok(['get', 'cm', 'cfg', '-n', 'games', '-o', 'yaml'])).data, { a: 'b', c: 'd' });
  const secret = parseYaml(await h.ok(['get', 'secret', 'sec', '-n', 'games', '-o', 'yaml']));
  t.deepEqual(secret.data, { k: Buffer.from('v').toString('base64') });
  t.is(secret.type, 'Opaque');
  t.regex(await h.ok(['get', 'sa', '-n', 'games']), /robot/);
  const deploy = await h.kubectl(['create', 'deployment', 'web', '--image=nginx']);
  t.not(deploy.code, 0);
  t.regex(deploy.stderr, /unknown format - accepted media types include: application\/json, application\/yaml/);
});
