/**
 * What the installer writes into the node's conflist and the plugin reads back from it: the CNI
 * spec versions the plugin speaks, the agent socket it calls by default, and the capability that
 * makes the runtime pass the pod's annotations. Shared so the installer (agent/) never imports
 * the plugin.
 */

/** 0.3.x is accepted because the installer chains into conflists whose primary still says 0.3.1. */
export const SUPPORTED_CNI_VERSIONS = ['0.3.0', '0.3.1', '0.4.0', '1.0.0', '1.1.0'] as const;
export const DEFAULT_SOCKET_PATH = '/var/run/podeip/agent.sock';
export const POD_ANNOTATIONS_CAPABILITY = 'io.kubernetes.cri.pod-annotations';
