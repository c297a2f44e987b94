import { existsSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
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
  const config = new PooledKubeConfig();
  const { env } = source;
  const file = source.kubeconfig || env.KUBECONFIG;
  try {
    if (file) {
      const [first, ...rest] = file.split(delimiter).filter(Boolean);
      for (const path of [first, ...rest]) {
        if (!existsSync(path))
          throw new KubeConfigError(`kubeconfig file ${path} does not exist; fix the kubeconfig option or KUBECONFIG`);
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
      throw new KubeConfigError(
        'no Kubernetes configuration: set KUBECONFIG, or run in a pod (KUBERNETES_SERVICE_HOST unset)',
      );
    }
  } catch (err) {
    if (err instanceof KubeConfigError) throw err;
    throw new KubeConfigError(
      `cannot load the Kubernetes configuration from ${file ?? 'the in-cluster service account'}: ${(err as Error).message}`,
      { cause: err },
    );
  }
  if (!config.getCurrentCluster()) {
    throw new KubeConfigError(
      `the kubeconfig ${file ?? ''} has no current context with a cluster; set current-context`,
    );
  }
  return config;
}

type RequestContext = Parameters<KubeConfig['applySecurityAuthentication']>[0];
type AgentWithOptions = http.Agent & { options: https.AgentOptions };

/**
 * An idle kept-alive connection is closed after this long, before a server's or load balancer's
 * idle timeout can close it under a request (the Lease's renewals keep one busy every 5 s).
 */
const IDLE_CONNECTION_MS = 30_000;
/** How long a replaced agent's connections get to finish before they are closed. */
const REPLACED_AGENT_GRACE_MS = 60_000;

/**
 * client-node gives every API request a new http(s).Agent, so each request opened (and over TLS
 * handshook) a connection of its own and closed it: that was most of an idle agent's CPU, the
 * Lease renewals' connects. Requests share one keep-alive agent per TLS identity instead; a new
 * identity (an exec plugin's rotated client certificate) gets a new agent and the old one is
 * closed after a grace period. Proxy agents are left as client-node makes them.
 */
class PooledKubeConfig extends KubeConfig {
  private pooled: { key: string; agent: http.Agent } | undefined;

  override async applySecurityAuthentication(context: RequestContext): Promise<void> {
    await super.applySecurityAuthentication(context);
    const made = context.getAgent() as AgentWithOptions | undefined;
    const Agent = made?.constructor as typeof http.Agent | undefined;
    if (!made || (Agent !== http.Agent && Agent !== https.Agent)) return;
    const { options } = made;
    const key = JSON.stringify([
      Agent === https.Agent,
      options.ca,
      options.cert,
      options.key,
      options.pfx,
      options.passphrase,
      options.rejectUnauthorized,
      options.servername,
    ]);
    if (this.pooled?.key !== key) {
      const replaced = this.pooled?.agent;
      if (replaced) setTimeout(() => replaced.destroy(), REPLACED_AGENT_GRACE_MS).unref();
      this.pooled = { key, agent: new Agent({ ...options, keepAlive: true, timeout: IDLE_CONNECTION_MS }) };
    }
    context.setAgent(this.pooled.agent);
  }
}
