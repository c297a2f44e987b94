/**
 * Whether a pod's annotations ask for an EIP. The CNI plugin uses it to skip the agent for pods
 * that ask for none; the agent uses it to answer those pods at once. One rule, one place.
 */

/** Every annotation podeip reads from a pod starts with one of these (compat keys included). */
export const EIP_ANNOTATION_PREFIXES = ['network.alibabacloud.com/', 'k8s.aliyun.com/'] as const;

/** The annotations podeip reads, out of all of a pod's: what the plugin passes to the agent. */
export function eipAnnotations(annotations: Readonly<Record<string, string>>): Record<string, string> {
  return Object.fromEntries(Object.entries(annotations).filter(([key]) => EIP_ANNOTATION_PREFIXES.some((p) => key.startsWith(p))));
}

/**
 * Annotations that ask for an auto-allocated EIP with "true". Any value but "false" counts here,
 * so that a misspelt value ("yes") reaches the agent and fails the ADD with a message naming the
 * annotation, instead of silently starting the pod without its EIP.
 */
export const EIP_FLAG_ANNOTATIONS = [
  'network.alibabacloud.com/pod-with-eip',
  'k8s.aliyun.com/pod-with-eip',
  'k8s.aliyun.com/eci-with-eip',
] as const;

/** Annotations that name the user's own EIP; any non-empty value asks for it. */
export const EIP_INSTANCE_ID_ANNOTATIONS = [
  'network.alibabacloud.com/pod-eip-instanceid',
  'k8s.aliyun.com/pod-eip-instanceid',
  'k8s.aliyun.com/eci-eip-instanceid',
] as const;

export function requestsEip(annotations: Readonly<Record<string, string | undefined>>): boolean {
  for (const key of EIP_FLAG_ANNOTATIONS) {
    const value = annotations[key];
    if (value !== undefined && value.trim().toLowerCase() !== 'false') return true;
  }
  for (const key of EIP_INSTANCE_ID_ANNOTATIONS) {
    const value = annotations[key];
    if (value !== undefined && value !== '') return true;
  }
  return false;
}
