/**
 * The kubeconfig a client (kubectl, client-node) needs to reach the simulator. Over plain HTTP
 * the cluster is marked insecure-skip-tls-verify because client-node refuses http:// otherwise;
 * over HTTPS the simulator's self-signed certificate is the CA.
 */
import { stringify } from 'yaml';

export function kubeconfigYaml(server: string, token?: string, caCert?: string): string {
  const cluster: Record<string, unknown> = { server };
  if (caCert) cluster['certificate-authority-data'] = Buffer.from(caCert).toString('base64');
  else cluster['insecure-skip-tls-verify'] = true;
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'podeip-sim', cluster }],
    users: [{ name: 'podeip-sim', user: token ? { token } : {} }],
    contexts: [{ name: 'podeip-sim', context: { cluster: 'podeip-sim', user: 'podeip-sim', namespace: 'default' } }],
    'current-context': 'podeip-sim',
    preferences: {},
  });
}
