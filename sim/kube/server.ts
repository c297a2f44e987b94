/**
 * The simulator process: HTTP server, bearer-token check, fault injection, the /_sim control
 * endpoints, restarts (keeping or losing state) and state persistence. `startKubeSim` is the
 * in-process entry point tests, the demo and the chaos harness use; the CLI wraps it.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type RequestListener, type Server, type ServerResponse } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { ResourceApi } from './api.js';
import { FaultConfigError, FaultInjector, parseFaultConfig, type FaultConfig } from './faults.js';
import { kubeconfigYaml } from './kubeconfig.js';
import { ResourceRegistry } from './resources.js';
import { KubeRouter, sendJson } from './router.js';
import { StateFile } from './state-file.js';
import { KubeApiError, internalError, unauthorized } from './status.js';
import { Store, type StoreSnapshot } from './store.js';
import { selfSignedCertificate, type Certificate } from './tls.js';
import { WatchHub } from './watch.js';

export interface KubeSimOptions {
  host?: string;
  /** 0 (the default) picks a free port. */
  port?: number;
  /** When set, /api, /apis, /version and /openapi require `Authorization: Bearer <token>`. */
  token?: string;
  /** Serve HTTPS with a fresh self-signed certificate (the kubeconfig trusts it). kubectl sends tokens only over HTTPS. */
  tls?: boolean;
  /** Changes retained for watches; older resourceVersions get 410 Expired. Default 1000. */
  watchWindow?: number;
  /** Interval of BOOKMARK events on watches that allow them. Default 5000 ms. */
  bookmarkIntervalMs?: number;
  faults?: FaultConfig;
  /** JSON file the state is saved to and loaded from. */
  statePath?: string;
  /** Where to write the kubeconfig; a temporary file when omitted. */
  kubeconfigPath?: string;
  now?: () => Date;
  random?: () => number;
}

export interface RestartOptions {
  keepState: boolean;
  /** How long the port refuses connections before the server is back. Default 0. */
  downMs?: number;
}

export interface KubeSimStats {
  requests: Record<string, number>;
  openWatches: number;
  resourceVersion: number;
  oldestWatchableResourceVersion: number;
}

export interface KubeSim {
  readonly url: string;
  readonly port: number;
  readonly kubeconfigPath: string;
  setFaults(config: FaultConfig): void;
  faults(): FaultConfig;
  /** Drops every open watch connection now; returns how many. */
  cutWatches(): number;
  /** Forgets the change history: watching from any older resourceVersion now gets 410. */
  compact(): void;
  restart(options: RestartOptions): Promise<void>;
  stats(): KubeSimStats;
  /** Calls `listener` with "verb resource" of every API request as it arrives; returns an unsubscribe function. */
  observeRequests(listener: (request: string) => void): () => void;
  close(): Promise<void>;
}

/** resourceVersions jump this far on a restart that loses state, so every old one is too old. */
const LOST_STATE_RV_JUMP = 1_000_000;
const SEED_NAMESPACES = ['default', 'kube-system', 'kube-public', 'kube-node-lease'];

export async function startKubeSim(options: KubeSimOptions = {}): Promise<KubeSim> {
  const sim = new KubeSimServer(options);
  await sim.start();
  return sim;
}

class KubeSimServer implements KubeSim {
  private readonly store: Store;
  private readonly registry = new ResourceRegistry();
  private readonly api: ResourceApi;
  private readonly watches: WatchHub;
  private readonly router: KubeRouter;
  private readonly injector: FaultInjector;
  private readonly stateFile: StateFile | undefined;
  private readonly requestCounts = new Map<string, number>();
  private readonly requestListeners = new Set<(request: string) => void>();
  private readonly now: () => Date;
  private server: Server | undefined;
  private cutTimer: NodeJS.Timeout | undefined;
  private readonly host: string;
  private boundPort: number;
  private readonly certificate: Certificate | undefined;
  kubeconfigPath: string;

  constructor(private readonly options: KubeSimOptions) {
    this.now = options.now ?? (() => new Date());
    this.store = new Store(options.watchWindow ?? 1000);
    this.api = new ResourceApi(this.store, this.registry, this.now);
    this.watches = new WatchHub(this.store, options.bookmarkIntervalMs ?? 5000);
    this.router = new KubeRouter(this.api, this.registry, this.watches, this.now);
    this.injector = new FaultInjector(options.random);
    this.host = options.host ?? '127.0.0.1';
    this.boundPort = options.port ?? 0;
    this.certificate = options.tls ? selfSignedCertificate(this.host) : undefined;
    this.kubeconfigPath = options.kubeconfigPath ?? join(mkdtempSync(join(tmpdir(), 'podeip-sim-kube-')), 'kubeconfig');
    if (options.statePath) {
      this.stateFile = new StateFile(options.statePath, () => this.store.snapshot());
      this.store.subscribe(() => this.stateFile!.scheduleSave());
    }
  }

  get url(): string {
    const scheme = this.certificate ? 'https' : 'http';
    return `${scheme}://${this.host.includes(':') ? `[${this.host}]` : this.host}:${this.boundPort}`;
  }

  get port(): number {
    return this.boundPort;
  }

  async start(): Promise<void> {
    const saved = this.stateFile?.load();
    if (saved) this.loadSnapshot(saved);
    else this.seed();
    this.setFaults(this.options.faults ?? {});
    await this.listen();
    writeFileSync(this.kubeconfigPath, kubeconfigYaml(this.url, this.options.token, this.certificate?.cert));
  }

  setFaults(config: FaultConfig): void {
    this.injector.set(parseFaultConfig(config, 'setFaults'));
    if (this.cutTimer) clearInterval(this.cutTimer);
    this.cutTimer = undefined;
    const every = this.injector.watchCutEverySeconds;
    if (every) this.cutTimer = setInterval(() => this.watches.cutAll(), every * 1000);
  }

  faults(): FaultConfig {
    return this.injector.get();
  }

  cutWatches(): number {
    return this.watches.cutAll();
  }

  compact(): void {
    this.store.compact();
  }

  observeRequests(listener: (request: string) => void): () => void {
    this.requestListeners.add(listener);
    return () => this.requestListeners.delete(listener);
  }

  stats(): KubeSimStats {
    return {
      requests: Object.fromEntries(this.requestCounts),
      openWatches: this.watches.openCount,
      resourceVersion: this.store.resourceVersion,
      oldestWatchableResourceVersion: this.store.oldestWatchable,
    };
  }

  async restart({ keepState, downMs = 0 }: RestartOptions): Promise<void> {
    await this.stopListening();
    if (!keepState) {
      this.store.wipe(LOST_STATE_RV_JUMP);
      this.registry.removeAllCustom();
      this.seed();
    }
    if (downMs > 0) await new Promise((r) => setTimeout(r, downMs));
    await this.listen();
  }

  async close(): Promise<void> {
    if (this.cutTimer) clearInterval(this.cutTimer);
    this.cutTimer = undefined;
    await this.stopListening();
    this.stateFile?.flush();
  }

  private seed(): void {
    for (const name of SEED_NAMESPACES) {
      const t = this.registry.lookup('', 'v1', 'namespaces')!;
      this.api.create(t, '', { metadata: { name } });
    }
  }

  private loadSnapshot(snapshot: StoreSnapshot): void {
    this.store.restore(snapshot);
    this.api.serveStoredCrds();
  }

  private listen(): Promise<void> {
    const handler: RequestListener = (req, res) => {
      this.onRequest(req, res).catch((err) => this.fail(res, err));
    };
    const server = this.certificate
      ? createTlsServer({ cert: this.certificate.cert, key: this.certificate.key }, handler)
      : createServer(handler);
    server.keepAliveTimeout = 60_000;
    this.server = server;
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.boundPort, this.host, () => {
        server.off('error', reject);
        this.boundPort = (server.address() as AddressInfo).port;
        resolve();
      });
    });
  }

  private stopListening(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return Promise.resolve();
    return new Promise((resolve) => {
      server.close(() => resolve());
      this.watches.cutAll();
      server.closeAllConnections();
    });
  }

  private async onRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://sim.invalid');
    const body = await readBody(req);
    if (url.pathname.startsWith('/_sim/')) {
      this.control(req, res, url, body);
      return;
    }
    if (this.options.token && req.headers.authorization !== `Bearer ${this.options.token}`) throw unauthorized();
    const info = this.router.classify(req.method ?? 'GET', url);
    if (info) {
      const key = `${info.verb} ${info.resource}`;
      this.requestCounts.set(key, (this.requestCounts.get(key) ?? 0) + 1);
      for (const listener of this.requestListeners) listener(key);
    }
    const delay = this.injector.delayMs();
    if (delay > 0) await new Promise((r) => setTimeout(r, delay));
    const injected = info ? this.injector.failure(info) : undefined;
    if (injected) throw injected;
    await this.router.handle(req, res, url, body);
  }

  private control(req: IncomingMessage, res: ServerResponse, url: URL, body: Buffer): void {
    const route = `${req.method} ${url.pathname.replace(/\/+$/, '')}`;
    switch (route) {
      case 'GET /_sim/faults':
        sendJson(res, 200, this.faults());
        return;
      case 'PUT /_sim/faults':
      case 'POST /_sim/faults':
        try {
          this.setFaults(parseFaultConfig(body.length ? parseYaml(body.toString('utf8')) : {}, 'the request body'));
        } catch (err) {
          if (err instanceof FaultConfigError) throw new KubeApiError(400, 'BadRequest', err.message);
          throw err;
        }
        sendJson(res, 200, this.faults());
        return;
      case 'DELETE /_sim/faults':
        this.setFaults({});
        sendJson(res, 200, this.faults());
        return;
      case 'POST /_sim/watches/cut':
        sendJson(res, 200, { cut: this.cutWatches() });
        return;
      case 'POST /_sim/compact':
        this.compact();
        sendJson(res, 200, { oldestWatchableResourceVersion: this.store.oldestWatchable });
        return;
      case 'POST /_sim/restart': {
        const keepState = url.searchParams.get('keepState') !== 'false';
        const downMs = Number(url.searchParams.get('downMs') ?? 0);
        res.on('finish', () => {
          this.restart({ keepState, downMs }).catch((err) =>
            process.stderr.write(`podeip-sim kube: restart failed: ${err}\n`),
          );
        });
        sendJson(res, 202, { restarting: true, keepState, downMs }, { Connection: 'close' });
        return;
      }
      case 'GET /_sim/state':
        sendJson(res, 200, { ...this.store.snapshot(), oldestWatchableResourceVersion: this.store.oldestWatchable });
        return;
      case 'GET /_sim/stats':
        sendJson(res, 200, this.stats());
        return;
      default:
        throw new KubeApiError(404, 'NotFound', `no simulator control endpoint ${route}; see docs/simulators-kube.md`);
    }
  }

  private fail(res: ServerResponse, err: unknown): void {
    const apiError =
      err instanceof KubeApiError ? err : internalError(err instanceof Error ? err.message : String(err));
    if (!(err instanceof KubeApiError))
      process.stderr.write(`podeip-sim kube: ${err instanceof Error ? err.stack : err}\n`);
    if (res.headersSent) {
      res.end();
      return;
    }
    sendJson(res, apiError.httpCode, apiError.toStatus(), apiError.headers);
  }
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}
