import test from 'ava';
import { grantSource } from '../../../agent/src/domain/grants.js';
import {
  bindingMark,
  isBoundByUs,
  isOwnedElsewhere,
  isOwnedFor,
  isUntagged,
  ownershipTags,
} from '../../../agent/src/domain/ownership.js';
import { boundByPodEip, distrust } from '../../../agent/src/domain/podeip-trust.js';
import type { Eip } from '../../../agent/src/cloud/types.js';
import type { PodEip } from '../../../agent/src/kube/types.js';

const CLUSTER = 'c-1';
const ours = ownershipTags({ clusterId: CLUSTER, namespace: 'team-a', podName: 'web', podUid: 'u-1', node: 'n-1' });

function eip(tags: Record<string, string>, binding?: { eni: string; ip: string }): Eip {
  return {
    allocationId: 'eip-1',
    ipAddress: '47.0.0.1',
    status: binding ? 'InUse' : 'Available',
    instanceId: binding?.eni ?? '',
    instanceType: binding ? 'NetworkInterface' : '',
    privateIpAddress: binding?.ip ?? '',
    bandwidth: '5',
    internetChargeType: 'PayByTraffic',
    chargeType: 'PostPaid',
    isp: 'BGP',
    name: '',
    description: '',
    resourceGroupId: '',
    publicIpAddressPoolId: '',
    bandwidthPackageId: '',
    tags,
    allocationTime: '2026-01-01T00:00:00Z',
  };
}

function podEip(type: 'Auto' | 'Static', namespace = 'team-a', name = 'web', privateIp = ''): PodEip {
  return {
    namespace,
    name,
    uid: 'p',
    resourceVersion: '1',
    annotations: {},
    labels: {},
    finalizers: [],
    spec: { allocationID: 'eip-1', allocationType: { type, releaseStrategy: 'Follow' } },
    status: privateIp ? { privateIPAddress: privateIp } : {},
  };
}

test("rule 1: an EIP is ours for a pod only with this cluster's tags for that namespace and pod name", (t) => {
  t.true(isOwnedFor(ours, CLUSTER, 'team-a', 'web'));
  t.false(isOwnedFor(ours, CLUSTER, 'team-b', 'web'), 'another namespace');
  t.false(isOwnedFor(ours, CLUSTER, 'team-a', 'db'), 'another pod name');
  t.false(isOwnedFor(ours, 'c-2', 'team-a', 'web'), 'another cluster');
  t.false(isOwnedFor({ ...ours, 'podeip.io/managed-by': 'someone' }, CLUSTER, 'team-a', 'web'));
  t.false(isOwnedFor({}, CLUSTER, 'team-a', 'web'), 'untagged');
  t.true(isUntagged({ team: 'x' }));
  t.false(isUntagged({ 'podeip.io/binding': 'x' }));
  t.true(isOwnedElsewhere(ours, CLUSTER, 'team-b'));
  t.true(isOwnedElsewhere(ours, 'c-2', 'team-a'));
  t.false(isOwnedElsewhere(ours, CLUSTER, 'team-a'));
  t.false(isOwnedElsewhere({ team: 'x' }, CLUSTER, 'team-a'));
});

test('rule 2: the binding mark proves podeip bound the EIP to that IP for that pod name, and nothing else', (t) => {
  const tags = { 'podeip.io/binding': bindingMark(CLUSTER, 'team-a', 'web', '10.0.0.5') };
  t.true(isBoundByUs(tags, CLUSTER, 'team-a', 'web', '10.0.0.5'));
  t.false(isBoundByUs(tags, CLUSTER, 'team-a', 'web', '10.0.0.6'), 'another IP');
  t.false(isBoundByUs(tags, CLUSTER, 'team-b', 'web', '10.0.0.5'), 'another namespace');
  t.false(isBoundByUs(tags, CLUSTER, 'team-a', 'web', ''), 'no IP to check against');
  t.false(isBoundByUs({}, CLUSTER, 'team-a', 'web', '10.0.0.5'));
  const bound = eip(tags, { eni: 'eni-1', ip: '10.0.0.5' });
  t.true(boundByPodEip(bound, podEip('Static'), CLUSTER));
  t.false(
    boundByPodEip(bound, podEip('Static', 'team-a', 'db'), CLUSTER),
    'a PodEIP of another name cannot borrow the mark',
  );
  const onPrimary = eip(tags, { eni: 'eni-1', ip: '' });
  t.true(
    boundByPodEip(onPrimary, podEip('Static', 'team-a', 'web', '10.0.0.5'), CLUSTER),
    "on an ENI's primary IP the recorded IP is checked against the mark",
  );
  t.false(boundByPodEip(onPrimary, podEip('Static', 'team-a', 'web', '10.0.0.9'), CLUSTER));
  t.false(boundByPodEip(eip(tags), podEip('Static'), CLUSTER), 'an unbound EIP is bound nowhere');
});

test('rule 3: grants by Namespace annotation (ids or "*"), by EIP tag, or by policy', (t) => {
  const user = eip({ team: 'media' });
  t.is(grantSource(user, 'team-a', {}, 'Granted', CLUSTER), undefined);
  t.is(
    grantSource(user, 'team-a', { 'podeip.io/allowed-eips': 'eip-0, eip-1' }, 'Granted', CLUSTER),
    'namespace-annotation',
  );
  t.is(
    grantSource(user, 'team-a', { 'podeip.io/allowed-eips': 'eip-10' }, 'Granted', CLUSTER),
    undefined,
    'ids match whole',
  );
  t.is(grantSource(user, 'team-a', { 'podeip.io/allowed-eips': '*' }, 'Granted', CLUSTER), 'namespace-annotation');
  t.is(
    grantSource(eip(ours), 'team-b', { 'podeip.io/allowed-eips': '*' }, 'Granted', CLUSTER),
    undefined,
    '"*" never covers another namespace\'s EIP',
  );
  t.is(
    grantSource(eip(ours), 'team-b', { 'podeip.io/allowed-eips': 'eip-1' }, 'Granted', CLUSTER),
    'namespace-annotation',
    'an explicit id does',
  );
  t.is(
    grantSource(eip({ 'podeip.io/allowed-namespaces': 'team-x,team-a' }), 'team-a', {}, 'Granted', CLUSTER),
    'eip-tag',
  );
  t.is(grantSource(eip({ 'podeip.io/allowed-namespaces': 'team-ab' }), 'team-a', {}, 'Granted', CLUSTER), undefined);
  t.is(grantSource(user, 'team-a', {}, 'AllowAll', CLUSTER), 'policy');
});

test('a PodEIP is trusted only when the cloud agrees with it', (t) => {
  const inputs = { clusterId: CLUSTER, staticEipPolicy: 'Granted' as const, namespaceAnnotations: {} };
  t.is(distrust(podEip('Auto'), eip(ours), inputs), undefined);
  t.regex(distrust(podEip('Auto', 'team-a', 'db'), eip(ours), inputs) ?? '', /not allocated by podeip/);
  t.regex(
    distrust(podEip('Auto'), eip({}), inputs) ?? '',
    /not allocated by podeip/,
    'an untagged EIP behind an Auto PodEIP',
  );
  t.regex(distrust(podEip('Static'), eip({ team: 'x' }), inputs) ?? '', /not granted/);
  t.is(distrust(podEip('Static'), eip({ 'podeip.io/allowed-namespaces': 'team-a' }), inputs), undefined);
  t.is(distrust(podEip('Auto'), undefined, inputs), undefined, 'a PodEIP naming nothing protects nothing');
});
