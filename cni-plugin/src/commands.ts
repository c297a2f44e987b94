/**
 * ADD, DEL, CHECK, STATUS and GC once the environment and the config are valid. Each decides
 * whether the agent is needed at all: a pod whose annotations the runtime passed and which asks
 * for no EIP is answered without loading the gRPC client.
 */
import type { Logger } from '../../lib/logger.js';
import type { PodRef, Sandbox } from '../../lib/agent-contract.js';
import { eipAnnotations, requestsEip } from '../../lib/annotations.js';
import type { AgentApi, ConnectAgent } from './agent-api.js';
import { InvalidEnvironmentError, InvalidNetworkConfigError } from './cni-error.js';
import type { CniEnv } from './cni-env.js';
import type { NetConf } from './net-conf.js';
import { PLUGIN_VERSION } from './plugin-version.js';
import { podIpv4For, resultForVersion } from './prev-result.js';

export interface CommandContext {
  env: CniEnv;
  conf: NetConf;
  connectAgent: ConnectAgent;
  logger: Logger;
}

/** What a command printed (undefined: nothing) and whether it asked the agent. */
export interface CommandOutcome {
  result: Record<string, unknown> | undefined;
  agentCalled: boolean;
}

/** true: the runtime passed the annotations and they ask for no EIP, so there is nothing to do. */
function knownToWantNoEip(conf: NetConf): boolean {
  return conf.podAnnotations !== undefined && !requestsEip(conf.podAnnotations);
}

function podRef(env: CniEnv): PodRef {
  return { namespace: env.k8s.podNamespace, name: env.k8s.podName, uid: env.k8s.podUid };
}

function sandbox(env: CniEnv): Sandbox {
  return { containerId: env.containerId, netns: env.netns, ifname: env.ifname };
}

function requirePodIdentity(env: CniEnv): void {
  if (env.k8s.podNamespace === '' || env.k8s.podName === '') {
    throw new InvalidEnvironmentError(
      `CNI_ARGS must carry K8S_POD_NAMESPACE and K8S_POD_NAME for CNI_COMMAND=${env.command}; podeip runs under a Kubernetes runtime (containerd, CRI-O) that sets them`,
    );
  }
}

function requirePrevResult(conf: NetConf, command: string): Record<string, unknown> {
  if (conf.prevResult === undefined) {
    throw new InvalidNetworkConfigError(
      `"prevResult" is missing on ${command}: podeip is a chained plugin; put it after the plugin that assigns the pod IP in the conflist`,
    );
  }
  return conf.prevResult;
}

async function withAgent<T>(context: CommandContext, call: (agent: AgentApi) => Promise<T>): Promise<T> {
  const agent = await context.connectAgent({
    socketPath: context.conf.socketPath,
    timeoutSeconds: context.conf.timeoutSeconds,
  });
  try {
    return await call(agent);
  } finally {
    agent.close();
  }
}

export async function add(context: CommandContext): Promise<CommandOutcome> {
  const { env, conf } = context;
  const prevResult = requirePrevResult(conf, 'ADD');
  const result = resultForVersion(prevResult, conf.cniVersion);
  if (knownToWantNoEip(conf)) return { result, agentCalled: false };
  const podIpv4 = podIpv4For(prevResult, env.ifname);
  if (podIpv4 === undefined && conf.podAnnotations !== undefined) {
    throw new InvalidNetworkConfigError(
      `"prevResult" has no IPv4 address on interface "${env.ifname}" (CNI_IFNAME); the pod asks for an EIP, which binds to its IPv4, so the plugin before podeip must assign one`,
    );
  }
  requirePodIdentity(env);
  const response = await withAgent(context, (agent) =>
    agent.attach({
      clientVersion: PLUGIN_VERSION,
      pod: podRef(env),
      sandbox: sandbox(env),
      podIpv4: podIpv4 ?? '',
      // Only what the agent reads: a pod's other annotations (kubectl's last-applied-configuration
      // can be hundreds of KB) have no business on the socket.
      podAnnotations: eipAnnotations(conf.podAnnotations ?? {}),
      podAnnotationsKnown: conf.podAnnotations !== undefined,
    }),
  );
  context.logger.info('attach answered', {
    eipRequested: response.eipRequested,
    eipAddress: response.binding?.eipAddress ?? '',
  });
  return { result, agentCalled: true };
}

/**
 * DEL skips the agent only when the annotations show no EIP was asked for. Otherwise (including
 * the runtime's second DEL, which has no netns, no prevResult and sometimes no annotations) the
 * agent decides, and an unreachable agent is "try again later": the EIP may still point at the
 * IP that the primary plugin is about to free.
 */
export async function del(context: CommandContext): Promise<CommandOutcome> {
  const { env, conf } = context;
  if (knownToWantNoEip(conf)) return { result: undefined, agentCalled: false };
  let podIpv4 = '';
  try {
    podIpv4 = conf.prevResult === undefined ? '' : (podIpv4For(conf.prevResult, env.ifname) ?? '');
  } catch (error) {
    // A cached prevResult the runtime mangled must not block teardown; the agent knows the IP.
    context.logger.warn('ignoring unreadable prevResult on DEL', { error: (error as Error).message });
  }
  const response = await withAgent(context, (agent) =>
    agent.detach({
      clientVersion: PLUGIN_VERSION,
      pod: podRef(env),
      sandbox: sandbox(env),
      podIpv4,
    }),
  );
  context.logger.info('detach answered', { detached: response.detached });
  return { result: undefined, agentCalled: true };
}

export async function check(context: CommandContext): Promise<CommandOutcome> {
  const { env, conf } = context;
  const prevResult = requirePrevResult(conf, 'CHECK');
  if (knownToWantNoEip(conf)) return { result: undefined, agentCalled: false };
  requirePodIdentity(env);
  await withAgent(context, (agent) =>
    agent.check({
      clientVersion: PLUGIN_VERSION,
      pod: podRef(env),
      sandbox: sandbox(env),
      podIpv4: podIpv4For(prevResult, env.ifname) ?? '',
    }),
  );
  return { result: undefined, agentCalled: true };
}

/**
 * STATUS succeeds once the config is valid, without asking the agent: pods that ask for no EIP
 * are served without it, and a failing STATUS would mark the whole node's network not ready
 * whenever the agent restarts. Pods that need the agent get "try again later" from ADD.
 */
export async function status(): Promise<CommandOutcome> {
  return { result: undefined, agentCalled: false };
}

/**
 * Bindings do not record the interface; CRI runtimes attach the pod network as eth0, and the
 * agent keys a binding by its sandbox, so GC names that interface.
 */
const POD_NETWORK_IFNAME = 'eth0';

/** GC: detach every binding the agent holds for a sandbox the runtime no longer lists. */
export async function gc(context: CommandContext): Promise<CommandOutcome> {
  const valid = context.conf.validAttachments;
  if (valid === undefined) {
    throw new InvalidNetworkConfigError(
      '"cni.dev/valid-attachments" is missing on GC; the runtime lists the attachments still in use there',
    );
  }
  const inUse = new Set(valid.map((attachment) => attachment.containerId));
  const detached = await withAgent(context, async (agent) => {
    const { bindings } = await agent.status({ clientVersion: PLUGIN_VERSION });
    const stale = bindings.filter((binding) => binding.state !== 'gone' && !inUse.has(binding.containerId));
    for (const binding of stale) {
      await agent.detach({
        clientVersion: PLUGIN_VERSION,
        pod: binding.pod,
        sandbox: { containerId: binding.containerId, netns: '', ifname: POD_NETWORK_IFNAME },
        podIpv4: binding.privateIp,
      });
    }
    return stale.map((binding) => binding.containerId);
  });
  context.logger.info('gc detached stale sandboxes', { containerIds: detached });
  return { result: undefined, agentCalled: true };
}
