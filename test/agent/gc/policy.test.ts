import test from 'ava';
import {
  decidePodEip,
  isOrphan,
  POD_GONE_SINCE_ANNOTATION,
  POD_UID_LABEL,
  taggedPod,
} from '../../../agent/src/gc/policy.js';
import type { PodEip, PodInfo, ReleaseStrategy, AllocationType } from '../../../agent/src/kube/types.js';
import type { Eip } from '../../../agent/src/cloud/types.js';

const NOW = Date.parse('2026-11-29T12:00:00Z');
const minutes = (n: number): number => n * 60_000;
const iso = (ms: number): string => new Date(ms).toISOString();

function podEip(
  strategy: ReleaseStrategy,
  options: { type?: AllocationType; releaseAfter?: string; goneSince?: number; uid?: string; deleting?: boolean } = {},
): PodEip {
  return {
    namespace: 'game',
    name: 'server-0',
    uid: 'peip-uid',
    resourceVersion: '1',
    annotations: options.goneSince === undefined ? {} : { [POD_GONE_SINCE_ANNOTATION]: iso(options.goneSince) },
    labels: options.uid ? { [POD_UID_LABEL]: options.uid } : {},
    finalizers: ['podeip-controller.alibabacloud.com/finalizer'],
    deletionTimestamp: options.deleting ? iso(NOW) : undefined,
    spec: {
      allocationID: 'eip-1',
      allocationType: { type: options.type ?? 'Auto', releaseStrategy: strategy, releaseAfter: options.releaseAfter },
    },
    status: { eipAddress: '47.0.0.1', status: 'InUse' },
  };
}

function pod(uid = 'pod-uid-1', terminating = false): PodInfo {
  return {
    namespace: 'game',
    name: 'server-0',
    uid,
    nodeName: 'node-a',
    annotations: {},
    ownerReferences: [],
    deletionTimestamp: terminating ? iso(NOW) : undefined,
    phase: 'Running',
    podIPs: ['10.0.0.5'],
    readinessGates: [],
    resourceVersion: '5',
  };
}

const facts = (p: PodEip, live: PodInfo | undefined) => ({ podEip: p, pod: live, now: NOW, followGraceMs: minutes(2) });

test('a PodEIP whose pod exists is kept, and a stale gone-marker is cleared (pod recreated within the TTL)', (t) => {
  t.is(decidePodEip(facts(podEip('TTL', { releaseAfter: '10m' }), pod())).action, 'keep');
  t.is(
    decidePodEip(facts(podEip('TTL', { releaseAfter: '10m', goneSince: NOW - minutes(3) }), pod('new-uid'))).action,
    'clear-gone',
  );
});

test('the TTL counts from the first time the sweep saw the pod gone, never from earlier', (t) => {
  t.deepEqual(decidePodEip(facts(podEip('TTL', { releaseAfter: '10m' }), undefined)), { action: 'mark-gone' });
  t.is(
    decidePodEip(facts(podEip('TTL', { releaseAfter: '10m', goneSince: NOW - minutes(9) }), undefined)).action,
    'keep',
  );
  t.deepEqual(decidePodEip(facts(podEip('TTL', { releaseAfter: '10m', goneSince: NOW - minutes(10) }), undefined)), {
    action: 'release',
    reason: 'ttl-expired',
  });
  t.deepEqual(decidePodEip(facts(podEip('TTL', { releaseAfter: '5m30s', goneSince: NOW - minutes(5.5) }), undefined)), {
    action: 'release',
    reason: 'ttl-expired',
  });
});

test('Never is kept forever', (t) => {
  t.is(decidePodEip(facts(podEip('Never', { goneSince: NOW - minutes(100000) }), undefined)).action, 'keep');
});

test('Follow is released after the grace once its pod object is gone, including a same-name pod with another UID', (t) => {
  t.is(decidePodEip(facts(podEip('Follow', { uid: 'old', goneSince: NOW - minutes(1) }), pod('new'))).action, 'keep');
  t.deepEqual(decidePodEip(facts(podEip('Follow', { uid: 'old', goneSince: NOW - minutes(2) }), pod('new'))), {
    action: 'release',
    reason: 'follow-pod-gone',
  });
  t.is(decidePodEip(facts(podEip('Follow', { uid: 'same' }), pod('same'))).action, 'keep');
});

test('a Static PodEIP is never released, only forgotten', (t) => {
  t.deepEqual(decidePodEip(facts(podEip('Follow', { type: 'Static', goneSince: NOW - minutes(5) }), undefined)), {
    action: 'forget-static',
    reason: 'follow-pod-gone',
  });
});

test('a deleted PodEIP waits while its pod runs, then lets its EIP go at once: released if Auto, unbound if Static', (t) => {
  t.deepEqual(decidePodEip(facts(podEip('Never', { deleting: true }), pod())), { action: 'wait-for-pod' });
  t.deepEqual(
    decidePodEip(facts(podEip('Follow', { uid: 'same', deleting: true }), pod('same', true))),
    { action: 'wait-for-pod' },
    'a terminating pod still runs',
  );
  t.deepEqual(decidePodEip(facts(podEip('Never', { deleting: true }), undefined)), {
    action: 'release',
    reason: 'podeip-deleted',
  });
  t.deepEqual(
    decidePodEip(facts(podEip('TTL', { releaseAfter: '10m', deleting: true }), undefined)),
    { action: 'release', reason: 'podeip-deleted' },
    'no TTL wait once deleted',
  );
  t.deepEqual(
    decidePodEip(facts(podEip('Follow', { uid: 'old', deleting: true }), pod('new'))),
    { action: 'release', reason: 'podeip-deleted' },
    'a Follow PodEIP of an earlier pod object',
  );
  t.deepEqual(decidePodEip(facts(podEip('Follow', { type: 'Static', deleting: true }), undefined)), {
    action: 'forget-static',
    reason: 'podeip-deleted',
  });
});

test('a PodEIP with an unreadable TTL is left alone', (t) => {
  t.is(
    decidePodEip(facts(podEip('TTL', { releaseAfter: 'soon', goneSince: NOW - minutes(60) }), undefined)).action,
    'keep',
  );
});

function eip(
  allocationTime: number,
  tags: Record<string, string> = {
    'podeip.io/namespace': 'game',
    'podeip.io/pod-name': 'server-0',
    'podeip.io/pod-uid': 'pod-uid-1',
  },
): Eip {
  return {
    allocationId: 'eip-9',
    ipAddress: '47.0.0.9',
    status: 'Available',
    instanceId: '',
    instanceType: '',
    privateIpAddress: '',
    bandwidth: '5',
    internetChargeType: 'PayByTraffic',
    chargeType: 'PostPaid',
    isp: 'BGP',
    name: '',
    description: '',
    resourceGroupId: 'rg-1',
    publicIpAddressPoolId: '',
    bandwidthPackageId: '',
    allocationTime: iso(allocationTime),
    tags,
  };
}

test('an orphan is unreferenced, has no live pod object, and is older than the grace', (t) => {
  const base = { referenced: new Set<string>(), now: NOW, graceMs: minutes(30) };
  t.true(isOrphan({ ...base, eip: eip(NOW - minutes(31)), pod: undefined }));
  t.true(isOrphan({ ...base, eip: eip(NOW - minutes(31)), pod: pod('another-uid') }));
  t.false(
    isOrphan({ ...base, eip: eip(NOW - minutes(29)), pod: undefined }),
    'an agent may still be writing its PodEIP',
  );
  t.false(isOrphan({ ...base, eip: eip(NOW - minutes(31)), pod: pod('pod-uid-1') }), 'its pod still exists');
  t.false(isOrphan({ ...base, referenced: new Set(['eip-9']), eip: eip(NOW - minutes(31)), pod: undefined }));
  t.false(
    isOrphan({ ...base, eip: { ...eip(0), allocationTime: '' }, pod: undefined }),
    'no allocation time: never judged early',
  );
});

test('the pod an EIP belongs to comes from its tags', (t) => {
  t.deepEqual(taggedPod(eip(NOW)), { namespace: 'game', name: 'server-0' });
  t.is(taggedPod(eip(NOW, {})), undefined);
});
