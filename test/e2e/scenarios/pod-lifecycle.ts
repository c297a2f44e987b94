/**
 * A pod's life as kubelet drives it on a podeip node, and the checks every EIP scenario shares:
 * what the cloud, the pod object and its PodEIP must show while the pod runs and after it left.
 */
import assert from 'node:assert/strict';
import { isPodIp } from '../e2e-node.js';
import type { PodSpec, RunningPod } from '../pods.js';
import { waitFor } from '../proc.js';
import type { CloudEipState, CloudState } from '../sims.js';
import { INSTANCE_ID, type OwnerReference, type Stack } from '../stack.js';

export const WITH_EIP = { 'network.alibabacloud.com/pod-with-eip': 'true' } as const;
const ALLOCATED_ANNOTATIONS = ['network.alibabacloud.com/allocated-eipAddress', 'k8s.aliyun.com/allocated-eipAddress'];
const EIP_CONDITION = 'k8s.aliyun.com/eip';
/** How long the kube-side records (written by the agent before it answers) may take to be readable. */
const KUBE_SETTLE_MS = 5000;

/** A sandbox on a podeip node, with the cloud as it was the moment RunPodSandbox returned. */
export interface PodeipPod extends RunningPod {
  cloudAtReturn: CloudState;
}

/** RunPodSandbox for a pod object that exists already (kubelet's first try or its retry). */
export async function runSandbox(stack: Stack, spec: PodSpec, label?: string): Promise<PodeipPod> {
  let cloudAtReturn: CloudState | undefined;
  const pod = await stack.node.pods.run(spec, label, async () => {
    cloudAtReturn = await stack.cloud.state();
  });
  assert.ok(isPodIp(pod.ip), `pod ${spec.name}: sandbox IP "${pod.ip}" is not from host-local's range`);
  return { ...pod, cloudAtReturn: cloudAtReturn! };
}

/** The pod object first (scheduler placed it on our node), then its sandbox. */
export async function startPod(
  stack: Stack,
  name: string,
  annotations: Record<string, string>,
  opts: { label?: string; owner?: OwnerReference } = {},
): Promise<PodeipPod> {
  return runSandbox(stack, await stack.createPod('default', name, annotations, opts.owner), opts.label);
}

/**
 * kubelet's order: the API marks the pod terminating, kubelet stops the sandbox, deletes the
 * object for good, and removes the sandbox later. Teardown is timed as Stop + Remove.
 */
export async function endPod(
  stack: Stack,
  pod: RunningPod,
  opts: { label?: string; afterStop?: () => Promise<void> } = {},
): Promise<void> {
  const { namespace, name } = pod.spec;
  await stack.kube.deletePodGracefully(namespace, name);
  await stack.node.pods.teardown(pod.sandboxId, opts.label, async () => {
    await opts.afterStop?.();
    await stack.kube.deletePodNow(namespace, name);
  });
}

export function eipsOn(state: CloudState, privateIp: string): CloudEipState[] {
  return state.eips.filter((eip) => eip.binding?.privateIpAddress === privateIp);
}

/** The ENI of our instance that holds `ip` in the cloud simulator's topology. */
export async function eniHolding(stack: Stack, ip: string): Promise<string> {
  const state = (await stack.cloud.state()) as CloudState & {
    networkInterfaces: { networkInterfaceId: string; instanceId: string; privateIpAddresses: { ip: string }[] }[];
  };
  const eni = state.networkInterfaces.find(
    (n) => n.instanceId === INSTANCE_ID && n.privateIpAddresses.some((p) => p.ip === ip),
  );
  assert.ok(eni, `no ENI of ${INSTANCE_ID} holds ${ip}: the topology and host-local's range disagree`);
  return eni.networkInterfaceId;
}

/**
 * The moment RunPodSandbox returned: exactly one EIP forwarded to the pod IP, InUse, in NAT mode
 * on the ENI that holds the IP, tagged with the pod's name (and uid, unless it was allocated for
 * an earlier pod of the same name). Returns it.
 */
export async function assertBoundAtReturn(
  stack: Stack,
  pod: PodeipPod,
  opts: { allocatedForThisUid?: boolean } = {},
): Promise<CloudEipState> {
  const bound = eipsOn(pod.cloudAtReturn, pod.ip);
  assert.equal(
    bound.length,
    1,
    `pod ${pod.spec.name} (${pod.ip}): expected exactly one EIP bound when RunPodSandbox returned, found ${bound.length}`,
  );
  const eip = bound[0]!;
  assert.equal(eip.status, 'InUse', `EIP ${eip.allocationId} was ${eip.status} when RunPodSandbox returned, not InUse`);
  const eni = await eniHolding(stack, pod.ip);
  const binding = {
    instanceType: eip.binding!.instanceType,
    instanceId: eip.binding!.instanceId,
    networkInterfaceId: eip.binding!.networkInterfaceId,
    mode: eip.binding!.mode,
  };
  assert.deepEqual(
    binding,
    { instanceType: 'NetworkInterface', instanceId: eni, networkInterfaceId: eni, mode: 'NAT' },
    `EIP ${eip.allocationId} binding`,
  );
  const tags = JSON.stringify(eip.tags);
  assert.equal(eip.tags['podeip.io/namespace'], pod.spec.namespace, `EIP ${eip.allocationId} tags: ${tags}`);
  assert.equal(eip.tags['podeip.io/pod-name'], pod.spec.name, `EIP ${eip.allocationId} tags: ${tags}`);
  if (opts.allocatedForThisUid ?? true)
    assert.equal(eip.tags['podeip.io/pod-uid'], pod.spec.uid, `EIP ${eip.allocationId} tags: ${tags}`);
  return eip;
}

/** The pod's annotation (both prefixes), its condition, and its PodEIP all name `eip`. */
export async function assertKubeRecords(stack: Stack, pod: RunningPod, eip: CloudEipState): Promise<void> {
  const { namespace, name } = pod.spec;
  await waitFor(
    `pod ${name}: allocated-eipAddress annotations and ${EIP_CONDITION} condition`,
    async () => {
      const obj = await stack.kube.getPod(namespace, name);
      const annotations: Record<string, string> = obj?.metadata?.annotations ?? {};
      for (const key of ALLOCATED_ANNOTATIONS) {
        if (annotations[key] !== eip.ipAddress)
          throw new Error(`annotation ${key}=${annotations[key]}, want ${eip.ipAddress}`);
      }
      const condition = (obj?.status?.conditions ?? []).find((c) => c.type === EIP_CONDITION);
      if (condition?.status !== 'True') throw new Error(`condition ${EIP_CONDITION}: ${JSON.stringify(condition)}`);
      return true;
    },
    { timeoutMs: KUBE_SETTLE_MS },
  );
  await waitFor(
    `PodEIP ${namespace}/${name} naming ${eip.allocationId}`,
    async () => {
      const podEip = await stack.kube.getPodEip(namespace, name);
      if (!podEip) throw new Error('no PodEIP');
      const want = { allocationID: eip.allocationId, eipAddress: eip.ipAddress, privateIPAddress: pod.ip };
      const got = {
        allocationID: podEip.spec?.allocationID,
        eipAddress: podEip.status?.eipAddress,
        privateIPAddress: podEip.status?.privateIPAddress,
      };
      assert.deepEqual(got, want);
      return true;
    },
    { timeoutMs: KUBE_SETTLE_MS },
  );
}

/** The agent answers DEL only once the EIP no longer forwards to the IP: checked right after Stop. */
export async function assertNothingBoundTo(stack: Stack, ip: string, when: string): Promise<void> {
  const bound = eipsOn(await stack.cloud.state(), ip);
  assert.equal(
    bound.length,
    0,
    `${when}: EIP(s) ${bound.map((e) => e.allocationId).join(', ')} still forward to ${ip}`,
  );
}

/** Released after the pod is gone (Follow): the EIP leaves the account and its PodEIP goes. */
export async function waitReleased(
  stack: Stack,
  pod: RunningPod,
  allocationId: string,
  timeoutMs = 30000,
): Promise<void> {
  await waitFor(
    `EIP ${allocationId} of ${pod.spec.name} to be released`,
    async () => ((await stack.cloud.state()).eips.some((e) => e.allocationId === allocationId) ? undefined : true),
    { timeoutMs, stepMs: 200 },
  );
  await waitFor(
    `PodEIP ${pod.spec.name} to be deleted`,
    async () => ((await stack.kube.getPodEip(pod.spec.namespace, pod.spec.name)) ? undefined : true),
    { timeoutMs, stepMs: 200 },
  );
}
