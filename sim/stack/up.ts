/**
 * `podeip-sim up`: one simulated node to try podeip by hand. The cloud and Kubernetes simulators
 * run in this process, the PodEIP CRD and the Node are applied, and a real podeip-agent runs as a
 * child process; then it prints where everything is and commands to copy. Ctrl-C stops it all
 * and leaves the logs.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CliUsageError, exitWithUsageError, helpText, parseCommandLine, type CommandSpec } from '../../lib/cli.js';
import { SimulatedCluster } from './cluster.js';
import { PLUGIN_BINARY } from './cni-runtime.js';

const REPO = fileURLToPath(new URL('../../../', import.meta.url));

export const UP_COMMAND: CommandSpec = {
  command: 'podeip-sim up',
  summary: `Starts a simulated Alibaba Cloud and Kubernetes API, applies the PodEIP CRD and a Node, starts a
podeip-agent for that node, and prints "kubeconfig: PATH" and "socket: PATH", then commands to copy
for kubectl, podeipctl and the podeip plugin. Ctrl-C stops everything; the logs stay in the directory.`,
  flags: {
    dir: {
      type: 'string',
      value: 'DIR',
      help: 'where the kubeconfig, agent config, socket, journal and logs go',
      default: 'a new podeip-sim-* dir under the temp dir',
    },
    'log-level': {
      type: 'string',
      value: 'LEVEL',
      help: "the agent's log level: debug, info, warn or error",
      default: 'info',
    },
  },
  footer: 'Walk-through: docs/try-it.md',
};

export async function main(argv: string[]): Promise<void> {
  let parsed;
  try {
    parsed = parseCommandLine(UP_COMMAND, argv);
  } catch (err) {
    if (err instanceof CliUsageError) exitWithUsageError(err);
    throw err;
  }
  if (parsed.help) return void process.stdout.write(helpText(UP_COMMAND));
  const logLevel = String(parsed.values['log-level'] ?? 'info');
  if (!['debug', 'info', 'warn', 'error'].includes(logLevel))
    exitWithUsageError(
      new CliUsageError(UP_COMMAND.command, `--log-level: "${logLevel}" is not one of debug, info, warn, error`),
    );
  const dir =
    parsed.values.dir === UP_COMMAND.flags.dir!.default
      ? await mkdtemp(join(tmpdir(), 'podeip-sim-'))
      : resolve(String(parsed.values.dir));

  const cluster = await SimulatedCluster.start({
    dir,
    nodes: 1,
    cloud: { associationDelayMs: 300 },
    agentConfig: { agent: { logLevel } },
  });
  const node = cluster.nodes[0]!;
  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    process.stdout.write(`\n${signal}: stopping the agent and the simulators\n`);
    cluster.close().then(
      () => {
        process.stdout.write(
          `stopped. Logs stay in ${dir}: agent log ${node.agent.options.logFile}, agent config ${node.agent.options.configFile}\n`,
        );
        process.exit(0);
      },
      (err: unknown) => {
        process.stderr.write(`podeip-sim up: stopping failed: ${String(err)}; logs stay in ${dir}\n`);
        process.exit(1);
      },
    );
  };
  process.once('SIGINT', () => stop('SIGINT'));
  process.once('SIGTERM', () => stop('SIGTERM'));
  await node.agent.start();

  const socket = node.agent.options.config.agent as { socketPath: string };
  const example = await writeExample(cluster, dir);
  process.stdout.write(`kubeconfig: ${cluster.kube.kubeconfigPath}\nsocket: ${socket.socketPath}\n`);
  process.stdout.write(
    howTo({
      dir,
      kubeconfig: cluster.kube.kubeconfigPath,
      socket: socket.socketPath,
      node: node.name,
      example,
      agentLog: node.agent.options.logFile,
    }),
  );
}

/** A pod manifest and the plugin's stdin for it, with an IP of this node's ENIs. */
async function writeExample(
  cluster: SimulatedCluster,
  dir: string,
): Promise<{ podFile: string; netconfFile: string; ip: string; containerId: string }> {
  const node = cluster.nodes[0]!;
  const ip = node.takeIp();
  const containerId = randomBytes(32).toString('hex');
  const pod = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: 'web',
      namespace: 'default',
      annotations: { 'k8s.aliyun.com/pod-with-eip': 'true', 'k8s.aliyun.com/eip-bandwidth': '5' },
    },
    spec: { nodeName: node.name, containers: [{ name: 'app', image: 'nginx' }] },
  };
  const podFile = join(dir, 'pod-web.json');
  await writeFile(podFile, `${JSON.stringify(pod, null, 2)}\n`);
  const { stdin } = node.runtime.invocation('ADD', {
    namespace: 'default',
    name: 'web',
    uid: '',
    containerId,
    ipv4: ip,
    annotations: pod.metadata.annotations,
  });
  const netconfFile = join(dir, 'netconf-web.json');
  await writeFile(netconfFile, `${JSON.stringify(JSON.parse(stdin), null, 2)}\n`);
  return { podFile, netconfFile, ip, containerId };
}

function howTo(o: {
  dir: string;
  kubeconfig: string;
  socket: string;
  node: string;
  example: { podFile: string; netconfFile: string; ip: string; containerId: string };
  agentLog: string;
}): string {
  const cniArgs = `IgnoreUnknown=1;K8S_POD_NAMESPACE=default;K8S_POD_NAME=web;K8S_POD_INFRA_CONTAINER_ID=${o.example.containerId};K8S_POD_UID=$UID_WEB`;
  const plugin = (command: string): string =>
    `CNI_COMMAND=${command} CNI_CONTAINERID=${o.example.containerId} CNI_NETNS=/var/run/netns/web CNI_IFNAME=eth0 CNI_PATH=/opt/cni/bin \\\n  CNI_ARGS="${cniArgs}" \\\n  ${PLUGIN_BINARY} < ${o.example.netconfFile}`;
  return `
Everything lives in ${o.dir} (agent log: ${o.agentLog}).
Copy these into another terminal (docs/try-it.md explains each step):

  # kubectl (or any Kubernetes client) against the simulated API server
  export KUBECONFIG=${o.kubeconfig}
  kubectl get nodes
  kubectl apply -f ${o.example.podFile}          # a pod on ${o.node} that asks for an EIP
  UID_WEB=$(kubectl get pod web -o jsonpath='{.metadata.uid}')

  # the podeip plugin, as the container runtime runs it after the primary CNI gave the pod ${o.example.ip}
  ${plugin('ADD')}
  kubectl get podeip web
  kubectl get pod web -o jsonpath='{.metadata.annotations}'

  # what the agent holds
  ${join(REPO, 'bin', 'podeipctl')} --socket ${o.socket}

  # the pod goes away: DEL, then delete the object; the EIP is released
  ${plugin('DEL')}
  kubectl delete pod web --grace-period=0 --force   (no kubelet here to finish a graceful delete)

Ctrl-C here stops the agent and the simulators; the logs stay in ${o.dir}.
`;
}
