import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { KubeConfigError } from './errors.js';

export interface KubeConfigSource {
  /** Explicit kubeconfig file; wins over the environment. */
  kubeconfig?: string;
  /** The process environment (KUBECONFIG, KUBERNETES_SERVICE_HOST), passed in for tests. */
  env: NodeJS.ProcessEnv;
}

/**
 * Explicit file, else $KUBECONFIG, else ~/.kube/config, else the in-cluster service account.
 * Unlike client-node's loadFromDefault, never falls back to an unauthenticated localhost:8080.
 */
export function loadKubeConfig(source: KubeConfigSource): KubeConfig {
  const config = new KubeConfig();
  const { env } = source;
  const file = source.kubeconfig || env.KUBECONFIG;
  try {
    if (file) {
      const [first, ...rest] = file.split(delimiter).filter(Boolean);
      for (const path of [first, ...rest]) {
        if (!existsSync(path)) throw new KubeConfigError(`kubeconfig file ${path} does not exist; fix the kubeconfig option or KUBECONFIG`);
      }
      config.loadFromFile(first);
      for (const path of rest) {
        const more = new KubeConfig();
        more.loadFromFile(path);
        config.mergeConfig(more);
      }
    } else if (existsSync(join(homedir(), '.kube', 'config'))) {
      config.loadFromFile(join(homedir(), '.kube', 'config'));
    } else if (env.KUBERNETES_SERVICE_HOST) {
      config.loadFromCluster();
    } else {
      throw new KubeConfigError('no Kubernetes configuration: set KUBECONFIG, or run in a pod (KUBERNETES_SERVICE_HOST unset)');
    }
  } catch (err) {
    if (err instanceof KubeConfigError) throw err;
    throw new KubeConfigError(`cannot load the Kubernetes configuration from ${file ?? 'the in-cluster service account'}: ${(err as Error).message}`, { cause: err });
  }
  if (!config.getCurrentCluster()) {
    throw new KubeConfigError(`the kubeconfig ${file ?? ''} has no current context with a cluster; set current-context`);
  }
  return config;
}
