/**
 * The admission-policies component, as a tenant of a shared cluster would try it: their own
 * PodEIPs, written by hand, are refused; deleting one is not; an agent's token patches only
 * pods of its own node. The objects' schema validity is manifests.test.ts's job (every object of
 * the example overlay); here each policy's CEL runs against the requests.
 */
import test from 'ava';
import { admit, type AdmissionRequest, type PolicySpec } from './admission.js';
import { findObject, kustomizeBuildOnce as kustomizeBuild, type KubeObject } from './kustomize.js';
import { repoPath } from './repo.js';

const { objects } = await kustomizeBuild(repoPath('manifests/overlays/example'));
const specOf = (name: string) =>
  (findObject(objects, 'ValidatingAdmissionPolicy', name) as KubeObject & { spec: PolicySpec }).spec;
const sa = findObject(objects, 'ServiceAccount', 'podeip-agent');
const AGENT = {
  username: `system:serviceaccount:${sa.metadata.namespace}:${sa.metadata.name}`,
  extra: { 'authentication.kubernetes.io/node-name': ['node-a'] },
};
const TENANT = { username: 'alice', groups: ['team-a', 'system:authenticated'] };

test('the example overlay ships both policies, each with a Deny binding, and its agent is the ServiceAccount they name', (t) => {
  for (const name of ['podeip-podeip-writers', 'podeip-agent-own-node-pods']) {
    const policy = findObject(objects, 'ValidatingAdmissionPolicy', name) as KubeObject & {
      apiVersion: string;
      spec: { failurePolicy: string };
    };
    t.is(policy.apiVersion, 'admissionregistration.k8s.io/v1');
    t.is(policy.spec.failurePolicy, 'Fail');
    t.is(policy.metadata.namespace, undefined, 'cluster-scoped');
    const binding = findObject(objects, 'ValidatingAdmissionPolicyBinding', name) as KubeObject & {
      spec: { policyName: string; validationActions: string[] };
    };
    t.deepEqual(binding.spec, { policyName: name, validationActions: ['Deny'] });
    t.true(JSON.stringify(policy.spec).includes(`'${AGENT.username}'`), `${name} names the agent as ${AGENT.username}`);
  }
});

const podEip = (
  spec: Record<string, unknown>,
  extra: { labels?: Record<string, string>; finalizers?: string[]; status?: Record<string, unknown> } = {},
) => ({
  apiVersion: 'alibabacloud.com/v1beta1',
  kind: 'PodEIP',
  metadata: {
    name: 'web-0',
    namespace: 'team-a',
    labels: extra.labels ?? {},
    finalizers: extra.finalizers ?? ['podeip.io/release'],
  },
  spec,
  ...(extra.status ? { status: extra.status } : {}),
});
const STATIC = { allocationID: 'eip-victim', allocationType: { type: 'Static', releaseStrategy: 'Follow' } };
const AUTO = { allocationID: 'eip-ours', allocationType: { type: 'Auto', releaseStrategy: 'Follow' } };
const onPodEip = (req: Omit<AdmissionRequest, 'group' | 'resource'>): AdmissionRequest => ({
  group: 'alibabacloud.com',
  resource: 'podeips',
  ...req,
});

test('PodEIPs: a tenant cannot create one, change its spec, status or podeip.io/ labels; the agent can', (t) => {
  const spec = specOf('podeip-podeip-writers');
  const forged = admit(
    spec,
    onPodEip({ operation: 'CREATE', userInfo: TENANT, object: podEip(STATIC), oldObject: null }),
  );
  t.like(forged, { matched: true, allowed: false });
  t.regex(
    (forged as { message: string }).message,
    /only podeip-agent creates PodEIPs \(alice tried to create web-0\).*pod-eip-instanceid/,
  );
  t.like(admit(spec, onPodEip({ operation: 'CREATE', userInfo: AGENT, object: podEip(AUTO), oldObject: null })), {
    allowed: true,
  });

  const current = podEip(AUTO, { labels: { 'podeip.io/pod-uid': 'uid-1' }, status: { node: 'node-a' } });
  const tries: [string, unknown, string | undefined][] = [
    ['point it at another EIP', { ...current, spec: STATIC }, undefined],
    ['claim the EIP was bound on a node that is gone', { ...current, status: { node: 'node-deleted' } }, 'status'],
    [
      'rewrite the pod UID label',
      { ...current, metadata: { ...current.metadata, labels: { 'podeip.io/pod-uid': 'uid-2' } } },
      undefined,
    ],
    [
      'add an ownership annotation',
      {
        ...current,
        metadata: { ...current.metadata, annotations: { 'podeip.io/pod-gone-since': '2020-01-01T00:00:00Z' } },
      },
      undefined,
    ],
  ];
  for (const [what, object, subresource] of tries) {
    const result = admit(
      spec,
      onPodEip({
        operation: 'UPDATE',
        userInfo: TENANT,
        object,
        oldObject: current,
        ...(subresource ? { subresource } : {}),
      }),
    );
    t.like(result, { matched: true, allowed: false }, what);
    t.regex(
      (result as { message: string }).message,
      /only podeip-agent changes the spec, status or podeip\.io\/ labels and annotations of PodEIP team-a\/web-0 \(alice tried\); deleting it is allowed/,
      what,
    );
    t.like(
      admit(
        spec,
        onPodEip({
          operation: 'UPDATE',
          userInfo: AGENT,
          object,
          oldObject: current,
          ...(subresource ? { subresource } : {}),
        }),
      ),
      { allowed: true },
      `the agent may ${what}`,
    );
  }
});

test('PodEIPs: deleting one, and changes that leave spec, status and podeip.io/ metadata alone, stay allowed', (t) => {
  const spec = specOf('podeip-podeip-writers');
  const current = podEip(AUTO, { labels: { 'podeip.io/pod-uid': 'uid-1', team: 'a' }, status: { node: 'node-a' } });
  t.like(admit(spec, onPodEip({ operation: 'DELETE', userInfo: TENANT, object: null, oldObject: current })), {
    matched: false,
  });
  const unfinalized = { ...current, metadata: { ...current.metadata, finalizers: [] } };
  t.like(admit(spec, onPodEip({ operation: 'UPDATE', userInfo: TENANT, object: unfinalized, oldObject: current })), {
    matched: true,
    allowed: true,
  });
  const relabelled = {
    ...current,
    metadata: { ...current.metadata, labels: { 'podeip.io/pod-uid': 'uid-1', team: 'b' } },
  };
  t.like(admit(spec, onPodEip({ operation: 'UPDATE', userInfo: TENANT, object: relabelled, oldObject: current })), {
    matched: true,
    allowed: true,
  });
});

const pod = (nodeName?: string) => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'web-0', namespace: 'team-a', annotations: {} },
  spec: { containers: [], ...(nodeName ? { nodeName } : {}) },
});
const onPod = (
  userInfo: AdmissionRequest['userInfo'],
  nodeName: string | undefined,
  subresource?: string,
): AdmissionRequest => ({
  operation: 'UPDATE',
  group: '',
  resource: 'pods',
  ...(subresource ? { subresource } : {}),
  userInfo,
  object: {
    ...pod(nodeName),
    metadata: { ...pod(nodeName).metadata, annotations: { 'k8s.aliyun.com/allocated-eipAddress': '203.0.113.9' } },
  },
  oldObject: pod(nodeName),
});

test('pods: an agent patches pods of its own node only, as its token says', (t) => {
  const spec = specOf('podeip-agent-own-node-pods');
  t.like(admit(spec, onPod(AGENT, 'node-a')), { matched: true, allowed: true });
  t.like(admit(spec, onPod(AGENT, 'node-a', 'status')), { matched: true, allowed: true });
  for (const [nodeName, subresource] of [
    ['node-b', undefined],
    ['node-b', 'status'],
    [undefined, undefined],
  ] as const) {
    const result = admit(spec, onPod(AGENT, nodeName, subresource));
    t.like(result, { matched: true, allowed: false });
    t.regex(
      (result as { message: string }).message,
      new RegExp(
        `podeip-agent of node node-a may patch only pods of its own node, not team-a/web-0 ${nodeName ? `on ${nodeName}` : '\\(unscheduled\\)'}`,
      ),
    );
  }
  const noClaim = admit(spec, onPod({ username: AGENT.username }, 'node-a'));
  t.like(noClaim, { matched: true, allowed: false });
  t.regex(
    (noClaim as { message: string }).message,
    /carries no node name .*Kubernetes 1\.30\+.*remove the admission-policies component/,
  );
  t.like(admit(spec, onPod(TENANT, 'node-b')), { matched: false }, "other users are RBAC's business");
});
