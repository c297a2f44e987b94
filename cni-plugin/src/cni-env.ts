/** The CNI_* environment of one invocation, validated for the command it asks for. */
import { InvalidEnvironmentError } from './cni-error.js';
import { kubernetesArgs, parseCniArgs, type KubernetesArgs } from './cni-args.js';

export const CNI_COMMANDS = ['ADD', 'DEL', 'CHECK', 'VERSION', 'STATUS', 'GC'] as const;
export type CniCommand = (typeof CNI_COMMANDS)[number];

export interface CniEnv {
  command: CniCommand;
  containerId: string;
  /** Empty on DEL when the sandbox's netns is already gone (containerd's second DEL). */
  netns: string;
  ifname: string;
  k8s: KubernetesArgs;
}

/** Only the command is known to be valid: for error objects printed before the rest parsed. */
export function readCommand(env: Readonly<Record<string, string | undefined>>): CniCommand {
  const command = env.CNI_COMMAND ?? '';
  if (!(CNI_COMMANDS as readonly string[]).includes(command)) {
    throw new InvalidEnvironmentError(
      command === ''
        ? 'CNI_COMMAND is not set; podeip is a CNI plugin run by the container runtime with CNI_COMMAND=ADD|DEL|CHECK|VERSION|STATUS|GC'
        : `CNI_COMMAND="${command}" is not a CNI command; use one of ${CNI_COMMANDS.join(', ')}`,
    );
  }
  return command as CniCommand;
}

const REQUIRED: Record<CniCommand, readonly string[]> = {
  ADD: ['CNI_CONTAINERID', 'CNI_NETNS', 'CNI_IFNAME'],
  CHECK: ['CNI_CONTAINERID', 'CNI_NETNS', 'CNI_IFNAME'],
  DEL: ['CNI_CONTAINERID', 'CNI_IFNAME'],
  VERSION: [],
  STATUS: [],
  GC: [],
};

export function readCniEnv(env: Readonly<Record<string, string | undefined>>): CniEnv {
  const command = readCommand(env);
  const missing = REQUIRED[command].filter((name) => (env[name] ?? '') === '');
  if (missing.length > 0) {
    throw new InvalidEnvironmentError(
      `${missing.join(', ')} must be set for CNI_COMMAND=${command}; the container runtime sets them`,
    );
  }
  return {
    command,
    containerId: env.CNI_CONTAINERID ?? '',
    netns: env.CNI_NETNS ?? '',
    ifname: env.CNI_IFNAME ?? '',
    k8s: kubernetesArgs(parseCniArgs(env.CNI_ARGS ?? '')),
  };
}
