import { execFile } from 'node:child_process';
import { writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import test from 'ava';
import { PODEIP_FINALIZER } from '../../../agent/src/kube/index.js';
import type { PodEipSpec } from '../../../agent/src/kube/types.js';
import { KUBECTL, startCluster } from './harness.js';

const exec = promisify(execFile);
const autoFollow: PodEipSpec = {
  allocationID: 'eip-2ze2qe8zs01',
  allocationType: { type: 'Auto', releaseStrategy: 'Follow' },
};

test('PodEIP lifecycle: create with our finalizer, idempotent create, status merge, delete held by the finalizer, finalizer removal', async (t) => {
  const cluster = await startCluster();
  t.teardown(() => cluster.close());
  const gateway = cluster.gateway();

  const created = await gateway.createPodEip('default', 'web-0', autoFollow, { 'podeip.io/node': 'node-a' });
  t.like(created, {
    namespace: 'default',
    name: 'web-0',
    spec: autoFollow,
    labels: { 'podeip.io/node': 'node-a' },
    finalizers: [PODEIP_FINALIZER],
    status: {},
  });
  t.truthy(created.uid);

  const again = await gateway.createPodEip('default', 'web-0', { ...autoFollow, allocationID: 'eip-other' }, {});
  t.is(again.uid, created.uid, 'AlreadyExists returns the existing PodEIP');
  t.is(again.spec.allocationID, autoFollow.allocationID);

  await gateway.updatePodEipStatus('default', 'web-0', {
    eipAddress: '39.102.0.7',
    status: 'InUse',
    networkInterfaceID: 'eni-1',
    privateIPAddress: '192.168.0.9',
    isp: 'BGP',
    internetChargeType: 'PayByTraffic',
    node: 'node-a',
  });
  await gateway.updatePodEipStatus('default', 'web-0', { podLastSeen: '2026-11-29T03:00:00Z' });
  const withStatus = (await gateway.getPodEip('default', 'web-0'))!;
  t.deepEqual(
    withStatus.status,
    {
      eipAddress: '39.102.0.7',
      status: 'InUse',
      networkInterfaceID: 'eni-1',
      privateIPAddress: '192.168.0.9',
      isp: 'BGP',
      internetChargeType: 'PayByTraffic',
      node: 'node-a',
      podLastSeen: '2026-11-29T03:00:00Z',
    },
    'a second status patch merges into the first',
  );
  t.deepEqual(withStatus.spec, autoFollow, 'the status subresource leaves spec alone');

  const table = await cluster.kubectl('get', 'podeip', '-n', 'default', 'web-0');
  const [header, row] = table.trim().split('\n');
  t.deepEqual(header!.split(/\s+/), ['NAME', 'EIP', 'STATUS', 'PRIVATEIP', 'ENI', 'AGE']);
  t.deepEqual(row!.split(/\s+/).slice(0, 5), ['web-0', '39.102.0.7', 'InUse', '192.168.0.9', 'eni-1']);
  const wide = (await cluster.kubectl('get', 'podeip', '-n', 'default', 'web-0', '-o', 'wide')).trim().split('\n');
  t.deepEqual(wide[0]!.split(/\s+/), [
    'NAME',
    'EIP',
    'STATUS',
    'PRIVATEIP',
    'ENI',
    'ALLOCATIONID',
    'RELEASE',
    'NODE',
    'AGE',
  ]);
  t.deepEqual(wide[1]!.split(/\s+/).slice(5, 8), ['eip-2ze2qe8zs01', 'Follow', 'node-a']);
  const short = await cluster.kubectl('get', 'peip', '-n', 'default', '-o', 'name');
  t.is(short.trim(), 'podeip.alibabacloud.com/web-0', 'the short name works');

  await gateway.annotatePodEip('default', 'web-0', { 'podeip.io/adopted-from': 'ack-extend-network-controller' });
  t.is(
    (await gateway.getPodEip('default', 'web-0'))!.annotations['podeip.io/adopted-from'],
    'ack-extend-network-controller',
  );
  await gateway.annotatePodEip('default', 'web-0', { 'podeip.io/adopted-from': null });
  t.false('podeip.io/adopted-from' in (await gateway.getPodEip('default', 'web-0'))!.annotations, 'null removes it');

  await gateway.deletePodEip('default', 'web-0');
  const deleting = (await gateway.getPodEip('default', 'web-0'))!;
  t.truthy(deleting.deletionTimestamp, 'the finalizer keeps it, marked for deletion');
  t.regex(deleting.deletionTimestamp!, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  await gateway.deletePodEip('default', 'web-0');

  await gateway.removePodEipFinalizer('default', 'web-0');
  t.is(await gateway.getPodEip('default', 'web-0'), undefined, 'gone once our finalizer is removed');
  await t.notThrowsAsync(gateway.removePodEipFinalizer('default', 'web-0'), 'removing again is fine');
  await t.notThrowsAsync(gateway.deletePodEip('default', 'web-0'), 'deleting a missing one is fine');
});

test("removing our finalizer keeps another controller's, wherever it sits in the list", async (t) => {
  const cluster = await startCluster();
  t.teardown(() => cluster.close());
  const gateway = cluster.gateway();
  await gateway.createPodEip('default', 'a', autoFollow, {});
  await cluster.kubectl(
    'patch',
    'podeip',
    'a',
    '--type=json',
    '-p',
    JSON.stringify([{ op: 'add', path: '/metadata/finalizers/0', value: 'example.com/other' }]),
  );
  t.deepEqual((await gateway.getPodEip('default', 'a'))!.finalizers, ['example.com/other', PODEIP_FINALIZER]);
  await gateway.deletePodEip('default', 'a');
  await gateway.removePodEipFinalizer('default', 'a');
  const left = (await gateway.getPodEip('default', 'a'))!;
  t.deepEqual(left.finalizers, ['example.com/other']);
  t.truthy(left.deletionTimestamp);
});

test('lists PodEIPs of every namespace', async (t) => {
  const cluster = await startCluster();
  t.teardown(() => cluster.close());
  // Not `kubectl create namespace`: it sends protobuf, which the simulator does not read.
  await cluster.core.createNamespace({ body: { metadata: { name: 'games' } } });
  const gateway = cluster.gateway();
  for (let i = 0; i < 7; i++) await gateway.createPodEip(i % 2 ? 'games' : 'default', `p${i}`, autoFollow, {});
  const all = await gateway.listPodEips();
  t.deepEqual(all.map((p) => `${p.namespace}/${p.name}`).sort(), [
    'default/p0',
    'default/p2',
    'default/p4',
    'default/p6',
    'games/p1',
    'games/p3',
    'games/p5',
  ]);
});

test('PodEIPs written by ack-extend-network-controller are accepted and read, unknown fields kept', async (t) => {
  const cluster = await startCluster();
  t.teardown(() => cluster.close());
  // The spec's sample output, plus a field a newer controller version might add.
  const sample = `apiVersion: alibabacloud.com/v1beta1
kind: PodEIP
metadata:
  name: example-0
  namespace: default
  finalizers:
  - podeip-controller.alibabacloud.com/finalizer
spec:
  allocationID: eip-2ze08metxxx
  allocationType:
    releaseAfter: 10m
    releaseStrategy: TTL
    type: Auto
  futureSpecField: kept
`;
  const status = {
    eipAddress: '39.105.1.1',
    internetChargeType: 'PayByTraffic',
    isp: 'BGP',
    networkInterfaceID: 'eni-2ze4tkg4xxx',
    podLastSeen: '2023-12-15T05:31:34Z',
    privateIPAddress: '192.168.1.1',
    resourceGroupID: 'rg-acfmwxxx',
    publicIpAddressPoolID: 'pippool-2ze498cxxx',
    status: 'InUse',
    futureStatusField: 'kept',
  };
  const dir = mkdtempSync(join(tmpdir(), 'podeip-ack-'));
  writeFileSync(join(dir, 'ack.yaml'), sample);
  await cluster.kubectl('apply', '-f', join(dir, 'ack.yaml'));
  await cluster.kubectl(
    'patch',
    'podeip',
    'example-0',
    '--subresource=status',
    '--type=merge',
    '-p',
    JSON.stringify({ status }),
  );
  const gateway = cluster.gateway();
  const eip = (await gateway.getPodEip('default', 'example-0'))!;
  t.deepEqual(eip.spec, {
    allocationID: 'eip-2ze08metxxx',
    allocationType: { type: 'Auto', releaseStrategy: 'TTL', releaseAfter: '10m' },
  });
  t.like(eip.status, {
    eipAddress: '39.105.1.1',
    publicIpAddressPoolID: 'pippool-2ze498cxxx',
    podLastSeen: '2023-12-15T05:31:34Z',
    status: 'InUse',
  });
  t.deepEqual(eip.finalizers, [PODEIP_FINALIZER]);
  const raw = JSON.parse(await cluster.kubectl('get', 'podeip', 'example-0', '-o', 'json'));
  t.is(raw.spec.futureSpecField, 'kept');
  t.is(raw.status.futureStatusField, 'kept');
});

test('the CRD refuses bad values and changes to what is fixed at creation, with the reason', async (t) => {
  const cluster = await startCluster();
  t.teardown(() => cluster.close());
  const gateway = cluster.gateway();
  await gateway.createPodEip('default', 'fixed', autoFollow, {});

  const changeType = await t.throwsAsync(
    exec(KUBECTL, [
      '--kubeconfig',
      cluster.sim.kubeconfigPath,
      'patch',
      'podeip',
      'fixed',
      '--type=merge',
      '-p',
      '{"spec":{"allocationType":{"type":"Static"}}}',
    ]),
  );
  t.regex(
    String((changeType as { stderr?: string }).stderr),
    /spec\.allocationType\.type cannot change after creation/,
  );

  const badEnum = await t.throwsAsync(
    gateway.createPodEip(
      'default',
      'bad',
      { allocationID: 'eip-1', allocationType: { type: 'Auto', releaseStrategy: 'Sometimes' as 'Never' } },
      {},
    ),
  );
  t.is((badEnum as { status?: number }).status, 422);
  t.regex(badEnum.message, /Unsupported value: "Sometimes"/);

  const badDuration = await t.throwsAsync(
    gateway.createPodEip(
      'default',
      'bad',
      { allocationID: 'eip-1', allocationType: { type: 'Auto', releaseStrategy: 'TTL', releaseAfter: '10 minutes' } },
      {},
    ),
  );
  t.regex(badDuration.message, /releaseAfter/);
  t.is(await gateway.getPodEip('default', 'bad'), undefined);
});
