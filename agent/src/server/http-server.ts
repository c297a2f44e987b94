/**
 * /metrics (Prometheus text), /healthz (the process answers and its gRPC socket is served) and
 * /readyz (journal resumed and pods synced: the plugin's requests will be answered).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';

export interface Probes {
  isLive(): boolean;
  isReady(): boolean;
  /** Why the agent is not ready, shown on /readyz. */
  notReadyReason?(): string | undefined;
}

export class AgentHttpServer {
  private readonly server: Server;

  constructor(registry: Registry, probes: Probes) {
    this.server = createServer((req, res) => {
      const path = (req.url ?? '/').split('?')[0];
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        res.writeHead(405, { allow: 'GET, HEAD' }).end();
        return;
      }
      if (path === '/metrics') {
        registry.metrics().then(
          (text) => res.writeHead(200, { 'content-type': registry.contentType }).end(text),
          (err: Error) => res.writeHead(500).end(err.message),
        );
      } else if (path === '/healthz') {
        answerProbe(res, probes.isLive());
      } else if (path === '/readyz') {
        answerProbe(res, probes.isReady(), probes.notReadyReason?.());
      } else {
        res.writeHead(404, { 'content-type': 'text/plain' }).end('not found: try /metrics, /healthz or /readyz\n');
      }
    });
  }

  /** `hostPort` as in config agent.metricsListen; port 0 picks a free one. Returns the bound address. */
  async listen(hostPort: string): Promise<{ host: string; port: number }> {
    const split = hostPort.lastIndexOf(':');
    const host = hostPort.slice(0, split) || '0.0.0.0';
    const port = Number(hostPort.slice(split + 1));
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => {
        this.server.off('error', reject);
        resolve();
      });
    });
    const address = this.server.address() as AddressInfo;
    return { host: address.address, port: address.port };
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

function answerProbe(res: import('node:http').ServerResponse, ok: boolean, reason?: string): void {
  res
    .writeHead(ok ? 200 : 503, { 'content-type': 'text/plain' })
    .end(ok ? 'ok\n' : `not ready${reason ? `: ${reason}` : ''}\n`);
}
