/** The kubeconfig a client (kubectl, client-node) needs to reach the simulator. client-node refuses plain HTTP unless TLS verification is marked skipped. */
import { stringify } from 'yaml';

export function kubeconfigYaml(server: string, token?: string): string {
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'podeip-sim', cluster: { server, 'insecure-skip-tls-verify': true } }],
    users: [{ name: 'podeip-sim', user: token ? { token } : {} }],
    contexts: [{ name: 'podeip-sim', context: { cluster: 'podeip-sim', user: 'podeip-sim', namespace: 'default' } }],
    'current-context': 'podeip-sim',
    preferences: {},
  });
}
