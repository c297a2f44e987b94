/**
 * CNI_ARGS as runtimes send it: `K=V;K=V`, in no fixed order (containerd shuffles it on every
 * call), with keys we do not know (IgnoreUnknown, K8S_POD_INFRA_CONTAINER_ID, ...).
 */
import { InvalidEnvironmentError } from './cni-error.js';

export interface KubernetesArgs {
  podNamespace: string;
  podName: string;
  podUid: string;
  infraContainerId: string;
}

export function parseCniArgs(raw: string): Map<string, string> {
  const args = new Map<string, string>();
  for (const pair of raw.split(';')) {
    if (pair === '') continue;
    const eq = pair.indexOf('=');
    if (eq <= 0) {
      throw new InvalidEnvironmentError(
        `CNI_ARGS has "${pair}", which is not KEY=VALUE; CNI_ARGS must be KEY=VALUE pairs separated by ";"`,
      );
    }
    args.set(pair.slice(0, eq), pair.slice(eq + 1));
  }
  return args;
}

export function kubernetesArgs(args: ReadonlyMap<string, string>): KubernetesArgs {
  return {
    podNamespace: args.get('K8S_POD_NAMESPACE') ?? '',
    podName: args.get('K8S_POD_NAME') ?? '',
    podUid: args.get('K8S_POD_UID') ?? '',
    infraContainerId: args.get('K8S_POD_INFRA_CONTAINER_ID') ?? '',
  };
}
