/**
 * Bad annotations through the real plugin binary, a real agent process and the cloud
 * simulator: each ADD fails promptly with a CNI code and a message naming the annotation (never
 * a timeout, never the whole value echoed back), and leaves nothing in the cloud.
 */
import test from 'ava';
import { join } from 'node:path';
import { MAX_MESSAGE_CHARS } from '../../lib/bounded-text.js';
import type { SimulatedCluster, SimNode } from '../../sim/stack/cluster.js';
import { CniRuntime, type PluginOutcome } from '../../sim/stack/cni-runtime.js';
import { clusterFor } from '../cluster/harness.js';
import { cloudEips } from '../chaos/world.js';

const EIP = { 'k8s.aliyun.com/pod-with-eip': 'true' };
const BIG = 200 * 1024;
const INVALID_ANNOTATION = 100;

interface CniErrorObject {
  code: number;
  msg: string;
  details?: string;
}

let cluster: SimulatedCluster;
let node: SimNode;
let runtime: CniRuntime;

const teardowns: (() => unknown)[] = [];
test.after.always(async () => {
  for (const teardown of teardowns.reverse()) await teardown();
});

test.before(async () => {
  // One cluster for the file: clusterFor's teardown runs after the last test.
  cluster = await clusterFor({ teardown: (fn: () => unknown) => teardowns.push(fn) } as never, 'bad-input', {
    cloud: { rateLimits: 'off', associationDelayMs: 50 },
  });
  node = cluster.nodes[0]!;
  await node.agent.start();
  // The runtime's deadline, shortened: a failure that waits it out shows as code 11 here.
  runtime = new CniRuntime({ socketPath: join(cluster.dir, node.name, 'run', 'agent.sock'), timeoutSeconds: 20 });
});

async function add(name: string, annotations: Record<string, string>): Promise<PluginOutcome> {
  const sandbox = await cluster.createPod(node, { name, annotations });
  return runtime.add(sandbox);
}

function cniError(outcome: PluginOutcome): CniErrorObject {
  if (outcome.exitCode === 0) throw new Error(`expected a CNI error, the ADD succeeded: ${outcome.stdout}`);
  return outcome.result as unknown as CniErrorObject;
}

const allocations = () => cluster.cloud.state.snapshot().calls['AllocateEipAddress'] ?? {};

for (const [annotation, value, says] of [
  [
    'k8s.aliyun.com/eip-name',
    'n'.repeat(BIG),
    /annotation k8s\.aliyun\.com\/eip-name="n{64}"\.\.\. \(204800 characters\): is 204800 characters; at most 128/,
  ],
  [
    'k8s.aliyun.com/eip-description',
    'd'.repeat(BIG),
    /annotation k8s\.aliyun\.com\/eip-description="d{64}"\.\.\. \(204800 characters\)/,
  ],
  [
    'k8s.aliyun.com/eip-tags',
    JSON.stringify(Object.fromEntries(Array.from({ length: 7000 }, (_, i) => [`aliyun-long-tag-key-${i}`, 'v']))),
    /annotation k8s\.aliyun\.com\/eip-tags=.*\.\.\. \(\d{6} characters\): has tag key "aliyun-long-tag-key-0".*and \d+ more problems/,
  ],
] as const) {
  test.serial(`a 200 KB ${annotation} is named, not echoed: code 100 at once, nothing allocated`, async (t) => {
    t.true(value.length >= BIG - 10 * 1024, `${value.length} characters`);
    const before = JSON.stringify(allocations());
    const outcome = await add(`big-${annotation.split('/')[1]}`, { ...EIP, [annotation]: value });
    const error = cniError(outcome);
    t.is(error.code, INVALID_ANNOTATION, error.msg);
    t.regex(error.msg, says);
    t.true(error.msg.length <= MAX_MESSAGE_CHARS, `the message is ${error.msg.length} characters`);
    t.true(outcome.stdout.length <= 2 * MAX_MESSAGE_CHARS + 200, 'what the runtime gets is bounded');
    t.true(outcome.ms < 10_000, `answered in ${Math.round(outcome.ms)} ms, not at the deadline`);
    t.is(JSON.stringify(allocations()), before, 'nothing allocated');
  });
}

test.serial("a pod's unrelated 200 KB annotation does not travel to the agent or hinder its EIP", async (t) => {
  const outcome = await add('big-unrelated', {
    ...EIP,
    'kubectl.kubernetes.io/last-applied-configuration': 'x'.repeat(BIG),
  });
  t.is(outcome.exitCode, 0, outcome.stdout);
  t.true(cloudEips(cluster).some((e) => e.status === 'InUse'));
});

for (const [annotation, value, what, cloudCode] of [
  [
    'k8s.aliyun.com/eip-common-bandwidth-package-id',
    'cbwp-doesnotexist01',
    'Internet Shared Bandwidth',
    'InvalidBandwidthPackageId.NotFound',
  ],
  ['k8s.aliyun.com/eip-resource-group-id', 'rg-doesnotexist01', 'resource group', 'InvalidResourceGroupId'],
  [
    'k8s.aliyun.com/eip-public-ip-address-pool-id',
    'pippool-doesnotexist01',
    'IP address pool',
    'ResourceNotFound.PublicIpAddressPool',
  ],
] as const) {
  test.serial(`an unknown ${what} is code 100 naming ${annotation}, and leaves no EIP behind`, async (t) => {
    const held = new Set(cloudEips(cluster).map((e) => e.allocationId));
    const outcome = await add(`unknown-${annotation.split('/')[1]}`, { ...EIP, [annotation]: value });
    const error = cniError(outcome);
    t.is(error.code, INVALID_ANNOTATION, error.msg);
    const short = annotation.split('/')[1]!;
    t.regex(
      error.msg,
      new RegExp(
        `annotation ${short}="${value}": no ${what} ${value} exists in region ${cluster.cloud.regionId}.*${cloudCode.replace(/\./g, '\\.')}.*fix the ID or remove the annotation`,
      ),
    );
    t.deepEqual(
      cloudEips(cluster).filter((e) => !held.has(e.allocationId)),
      [],
      'every EIP allocated for the pod was released',
    );
    // The runtime retries a failed ADD: the answer stays the same and still nothing is kept.
    const again = cniError(await runtime.add({ ...(await podSandbox(`unknown-${short}`)) }));
    t.is(again.code, INVALID_ANNOTATION);
    t.deepEqual(
      cloudEips(cluster).filter((e) => !held.has(e.allocationId)),
      [],
    );
  });
}

/** The same pod's sandbox again (a retry by the runtime after a failed ADD: a new sandbox id). */
async function podSandbox(name: string) {
  const pod = await cluster.core.readNamespacedPod({ name, namespace: 'default' });
  return {
    namespace: 'default',
    name,
    uid: pod.metadata!.uid!,
    containerId: `retry${'0'.repeat(59)}`,
    ipv4: node.takeIp(),
    annotations: pod.metadata!.annotations ?? {},
  };
}
