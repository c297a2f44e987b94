/**
 * npm run demo: the whole job on the embedded simulators, as a user would watch it.
 * A simulated Alibaba Cloud (VPC + ECS OpenAPI, instance metadata) and Kubernetes API server run
 * in this process; podeip-agent runs in this process too, serving its real unix socket; pods are
 * created with kubectl (or, without kubectl, the same requests through client-node), and the runtime's part is played by running the real `dist/bin/podeip`
 * binary as containerd would after the primary CNI plugin.
 */
import { execFile } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { randomUUID } from 'node:crypto';
import { Registry } from 'prom-client';
import { startCloudSim, type CloudSim } from '../sim/cloud/index.js';
import { startKubeSim, type KubeSim } from '../sim/kube/server.js';
import { CniRuntime, type SandboxRef } from '../sim/stack/cni-runtime.js';
import { clusterView, type ClusterView } from './cluster-view.js';
import { parseConfig } from '../agent/src/config/load.js';
import { startAgent, type RunningAgent } from '../agent/src/main.js';
import { createLogger, silentLogger } from '../agent/src/log/logger.js';
import { createCloudClient } from '../agent/src/cloud/index.js';
import { command, say, section, show } from './narrate.js';

const NODE_NAME = 'demo-node-1';
const CRD = new URL('../../manifests/crd/podeips.alibabacloud.com.yaml', import.meta.url).pathname;
const PODEIPCTL = fileURLToPath(new URL('../../bin/podeipctl', import.meta.url));

interface Stack {
  dir: string;
  cloud: CloudSim;
  kube: KubeSim;
  view: ClusterView;
  logFile: string;
  agent: RunningAgent;
  runtime: CniRuntime;
}

async function startStack(dir: string): Promise<Stack> {
  const cloud = await startCloudSim({ associationDelayMs: 300, metadata: { listen: '127.0.0.1:0' } });
  const kube = await startKubeSim({ kubeconfigPath: join(dir, 'kubeconfig') });
  const view = clusterView(kube.kubeconfigPath);
  say(
    `cloud simulator: OpenAPI ${cloud.endpoint}, instance metadata ${cloud.metadataEndpoint} (this node is ${cloud.topology.instances[0]!.instanceId})`,
  );
  say(`kubernetes simulator: ${kube.url} (kubeconfig ${kube.kubeconfigPath})`);
  say(`Kubernetes client: ${view.client}`);
  await view.applyFile(CRD);
  await view.apply({
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name: NODE_NAME },
    spec: { providerID: `cn-hangzhou.${cloud.topology.instances[0]!.instanceId}` },
  } as never);

  const configText = [
    'clusterID: c-demo',
    'regionID: cn-hangzhou',
    `vpcID: ${cloud.topology.vpcs[0]!.vpcId}`,
    'allowEipRob: true',
    `credential: {accessKey: ${cloud.accessKeyId}, accessSecret: ${cloud.accessKeySecret}}`,
    `agent: {socketPath: ${join(dir, 'run', 'agent.sock')}, stateDir: ${join(dir, 'state')}, metricsListen: "127.0.0.1:0"}`,
    `cloud: {vpcEndpoint: "${cloud.endpoint}", ecsEndpoint: "${cloud.endpoint}", protocol: http, metadataEndpoint: "http://${cloud.metadataEndpoint}"}`,
  ].join('\n');
  await writeFile(join(dir, 'config.yaml'), configText);
  const logFile = join(dir, 'agent.log');
  const agent = await startAgent(parseConfig(configText, join(dir, 'config.yaml')), {
    nodeName: NODE_NAME,
    env: { KUBECONFIG: kube.kubeconfigPath },
    logger: createLogger({ level: 'info', stream: createWriteStream(logFile) }),
  });
  say(
    `podeip-agent: ready on ${agent.socketPath}, metrics on http://127.0.0.1:${agent.metricsAddress.port}/metrics, logs in ${logFile}`,
  );
  show('agent config', configText);
  return { dir, cloud, kube, view, logFile, agent, runtime: new CniRuntime({ socketPath: agent.socketPath }) };
}

async function createPod(
  stack: Stack,
  pod: {
    name: string;
    annotations: Record<string, string>;
    owner?: { kind: string; name: string; uid: string; apiVersion: string };
  },
): Promise<string> {
  const manifest = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: pod.name,
      namespace: 'default',
      annotations: pod.annotations,
      ...(pod.owner ? { ownerReferences: [{ ...pod.owner, controller: true }] } : {}),
    },
    spec: {
      nodeName: NODE_NAME,
      readinessGates: [{ conditionType: 'k8s.aliyun.com/eip' }],
      containers: [{ name: 'app', image: 'nginx' }],
    },
  };
  await stack.view.apply(manifest, { echo: true });
  return stack.view.uid('Pod', pod.name);
}

async function runSandbox(stack: Stack, sandbox: SandboxRef): Promise<void> {
  say(`runtime: primary CNI gave ${sandbox.name} ${sandbox.ipv4}; running chained plugin: podeip ADD`);
  const outcome = await stack.runtime.add(sandbox);
  if (outcome.exitCode !== 0) throw new Error(`podeip ADD failed: ${outcome.stdout}`);
  say(
    `podeip ADD: ok in ${Math.round(outcome.ms)} ms, prevResult passed through unchanged; the pod's containers may start now`,
  );
  await stack.view.showAllocatedAnnotation(sandbox.name);
  await stack.view.showPodEip(sandbox.name);
}

async function stopSandbox(stack: Stack, sandbox: SandboxRef): Promise<void> {
  say(`runtime: stopping ${sandbox.name}: podeip DEL (with netns), then DEL again on removal (without netns)`);
  for (const outcome of [await stack.runtime.delWithNetns(sandbox), await stack.runtime.delWithoutNetns(sandbox)]) {
    if (outcome.exitCode !== 0) throw new Error(`podeip DEL failed: ${outcome.stdout}`);
  }
}

async function deletePod(stack: Stack, name: string): Promise<void> {
  await stack.view.deletePod(name);
}

async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined> | T | undefined,
  timeoutMs = 20_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

function cloudEip(stack: Stack, allocationId: string) {
  return stack.cloud.state.eips.get(allocationId);
}

async function main(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'podeip-demo-'));
  section('Starting the simulated cloud, the Kubernetes API and podeip-agent');
  let stack: Stack | undefined;
  try {
    stack = await startStack(dir);
    await story(stack);
  } finally {
    await stack?.agent.stop();
    await stack?.kube.close();
    await stack?.cloud.close();
    // The logs and the config stay for a look afterwards; the journal and the socket go.
    await rm(join(dir, 'state'), { recursive: true, force: true });
    await rm(join(dir, 'run'), { recursive: true, force: true });
    say(`logs kept: ${stack?.logFile ?? dir} (agent config ${join(dir, 'config.yaml')}); remove ${dir} when done`);
  }
}

async function story(stack: Stack): Promise<void> {
  section('1. A Deployment pod asks for an automatically allocated EIP (5 Mbit/s)');
  const webUid = await createPod(stack, {
    name: 'web-5d8c7',
    annotations: { 'k8s.aliyun.com/pod-with-eip': 'true', 'k8s.aliyun.com/eip-bandwidth': '5' },
  });
  const web: SandboxRef = {
    namespace: 'default',
    name: 'web-5d8c7',
    uid: webUid,
    containerId: randomUUID().replaceAll('-', ''),
    ipv4: '192.168.0.12',
    annotations: { 'k8s.aliyun.com/pod-with-eip': 'true', 'k8s.aliyun.com/eip-bandwidth': '5' },
  };
  await runSandbox(stack, web);
  await stack.view.showPodEipYaml(web.name);
  await stack.view.showPodConditions(web.name);

  section(
    '2. A pod takes over an existing EIP granted to its namespace and bound elsewhere (pod-eip-instanceid, allowEipRob: true)',
  );
  const userCloud = createCloudClient(
    {
      regionId: 'cn-hangzhou',
      vpcId: stack.cloud.topology.vpcs[0]!.vpcId,
      endpoints: { vpcEndpoint: stack.cloud.endpoint, ecsEndpoint: stack.cloud.endpoint },
      protocol: 'http',
      credentials: {
        type: 'access_key',
        accessKeyId: stack.cloud.accessKeyId,
        accessKeySecret: stack.cloud.accessKeySecret,
      },
    },
    { logger: silentLogger, registry: new Registry() },
  );
  // The admin grants the EIP to namespace default with its cloud tag (staticEipPolicy: Granted, the default).
  const userEip = await userCloud.allocateEip({
    clientToken: 'demo-user-eip',
    tags: { team: 'media', 'podeip.io/allowed-namespaces': 'default' },
    bandwidth: '10',
  });
  const otherEni = stack.cloud.topology.instances[1]!.networkInterfaces[0]!;
  await userCloud.associateEip({
    allocationId: userEip.allocationId,
    networkInterfaceId: otherEni.networkInterfaceId,
    privateIpAddress: otherEni.privateIpAddresses[1]!,
  });
  await userCloud.waitForEip(userEip.allocationId, (e) => e?.status === 'InUse');
  say(
    `the user's EIP ${userEip.ipAddress} (${userEip.allocationId}), granted to namespace default by its tag podeip.io/allowed-namespaces, is InUse on ${otherEni.networkInterfaceId} of another instance`,
  );
  const rtspAnnotations = { 'network.alibabacloud.com/pod-eip-instanceid': userEip.allocationId };
  const rtspUid = await createPod(stack, { name: 'rtsp-0', annotations: rtspAnnotations });
  const rtsp: SandboxRef = {
    namespace: 'default',
    name: 'rtsp-0',
    uid: rtspUid,
    containerId: randomUUID().replaceAll('-', ''),
    ipv4: '192.168.0.22',
    annotations: rtspAnnotations,
  };
  await runSandbox(stack, rtsp);
  userCloud.close();

  section('3. A StatefulSet pod keeps its EIP across re-creation (pod-eip-release-strategy: 10m)');
  const sts = {
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    metadata: { name: 'game', namespace: 'default' },
    spec: {
      serviceName: 'game',
      replicas: 1,
      selector: { matchLabels: { app: 'game' } },
      template: {
        metadata: { labels: { app: 'game' } },
        spec: { containers: [{ name: 'game', image: 'game-server' }] },
      },
    },
  };
  await stack.view.apply(sts, { echo: true });
  const stsUid = await stack.view.uid('StatefulSet', 'game');
  const gameAnnotations = { 'k8s.aliyun.com/pod-with-eip': 'true', 'k8s.aliyun.com/pod-eip-release-strategy': '10m' };
  const owner = { apiVersion: 'apps/v1', kind: 'StatefulSet', name: 'game', uid: stsUid };
  const gameUid = await createPod(stack, { name: 'game-0', annotations: gameAnnotations, owner });
  const game: SandboxRef = {
    namespace: 'default',
    name: 'game-0',
    uid: gameUid,
    containerId: randomUUID().replaceAll('-', ''),
    ipv4: '192.168.0.13',
    annotations: gameAnnotations,
  };
  await runSandbox(stack, game);
  const firstAddress = await stack.view.podEipField('game-0', 'status.eipAddress');
  say('the StatefulSet controller deletes game-0 and creates it again (a new pod object, a new IP):');
  await stopSandbox(stack, game);
  await deletePod(stack, 'game-0');
  await stack.view.showPodEip('game-0');
  const gameUid2 = await createPod(stack, { name: 'game-0', annotations: gameAnnotations, owner });
  const game2: SandboxRef = {
    ...game,
    uid: gameUid2,
    containerId: randomUUID().replaceAll('-', ''),
    ipv4: '192.168.0.14',
  };
  await runSandbox(stack, game2);
  const secondAddress = await stack.view.podEipField('game-0', 'status.eipAddress');
  say(
    secondAddress === firstAddress
      ? `same EIP ${secondAddress} after re-creation`
      : `DIFFERENT EIP: ${firstAddress} then ${secondAddress}`,
  );
  if (secondAddress !== firstAddress) throw new Error('the StatefulSet pod did not keep its EIP');

  section("What the node's agent holds, as podeipctl shows it");
  await showPodeipctl(stack);

  section('Events, oldest first');
  await stack.view.showEvents();

  section('4. All pods go away');
  const webEip = await stack.view.podEipField(web.name, 'spec.allocationID');
  const gameEip = await stack.view.podEipField('game-0', 'spec.allocationID');
  for (const sandbox of [web, rtsp, game2]) {
    await stopSandbox(stack, sandbox);
    await deletePod(stack, sandbox.name);
  }
  await waitFor('the auto EIP to be released', () => (cloudEip(stack, webEip) ? undefined : true));
  await waitFor('the static EIP to be unbound', () =>
    cloudEip(stack, userEip.allocationId)?.status === 'Available' ? true : undefined,
  );
  await waitFor('the PodEIPs of released pods to go', async () =>
    (await stack.view.podEipNames()).join(' ') === 'game-0' ? true : undefined,
  );
  await waitFor('the kept PodEIP to show its EIP unbound', async () =>
    (await stack.view.podEipField('game-0', 'status.status')) === 'Available' ? true : undefined,
  );
  await stack.view.showPodEips();

  section('What was released and what was kept');
  say(`released: ${webEip} (auto, Follow): the pod is gone, so its EIP is gone from the cloud`);
  say(
    `kept, unbound: ${userEip.allocationId} (${userEip.ipAddress}): the user's own EIP is never released, only detached (status ${cloudEip(stack, userEip.allocationId)?.status})`,
  );
  say(
    `kept: ${gameEip} (${firstAddress}) for game-0 for 10 minutes after its deletion (status ${cloudEip(stack, gameEip)?.status}); the leader's sweep releases it after that`,
  );
  say(
    `EIPs left in the cloud: ${stack.cloud.state.eips
      .list()
      .map((e) => `${e.allocationId}=${e.status}`)
      .join(', ')}`,
  );
  section('Demo finished: exit 0');
}

async function showPodeipctl(stack: Stack): Promise<void> {
  command(`podeipctl --socket ${stack.agent.socketPath}`);
  const { stdout } = await promisify(execFile)(process.execPath, [PODEIPCTL, '--socket', stack.agent.socketPath]);
  process.stdout.write(stdout);
}

main().catch((err: unknown) => {
  process.stderr.write(`demo failed: ${(err as Error)?.stack ?? String(err)}\n`);
  process.exit(1);
});
