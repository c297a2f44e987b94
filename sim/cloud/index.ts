import { writeFile } from 'node:fs/promises';
import { allActions } from './actions/all.js';
import { SimConfigError } from './errors.js';
import { FaultInjector, resolveFaults, type FaultTable } from './faults.js';
import { createInspectServer } from './inspect.js';
import { createMetadataServer, type MetadataOptions } from './metadata.js';
import { type AnyServer, closeServer, listen, parseListen } from './net.js';
import { RateLimiter, resolveRateLimits, type RateLimitSpec } from './rate-limit.js';
import { createApiServer } from './server.js';
import { SignatureVerifier } from './signature.js';
import { createStsServer, type StsOptions } from './sts.js';
import { selfSignedLoopbackCert } from './tls-cert.js';
import { CloudState } from './state/cloud-state.js';
import { defaultTopology, parseTopology, type Topology } from './topology.js';

export const DEFAULT_ACCESS_KEY_ID = 'podeip-sim-ak';
export const DEFAULT_ACCESS_KEY_SECRET = 'podeip-sim-secret';

export interface CloudSimOptions {
  /** HOST:PORT for the OpenAPI; default 127.0.0.1:0 (a free port). */
  listen?: string;
  accessKeyId?: string;
  accessKeySecret?: string;
  /** A topology document (validated); default: the built-in one. */
  topology?: unknown;
  /** How long Associating, Unassociating, Releasing and BINDING last; default 500. */
  associationDelayMs?: number;
  /** Added to every OpenAPI call; default 0. */
  latencyMs?: number;
  /** 'documented' (default), 'off' or a per-action table. */
  rateLimits?: RateLimitSpec | unknown;
  /** Default 20. */
  eipQuota?: number;
  /** Per-action faults; default none. */
  faults?: unknown;
  /** HOST:PORT for an inspection/control endpoint; default 127.0.0.1:0. */
  inspectListen?: string;
  /** Serve ECS instance metadata (IMDS) for one instance. */
  metadata?: MetadataOptions;
  /** Serve STS AssumeRoleWithOIDC over HTTPS. */
  sts?: StsOptions;
  /** Randomness for fault probabilities; default Math.random. */
  random?: () => number;
  /** Clock for signatures, expiries and rate windows; default Date.now. */
  now?: () => number;
}

export interface CloudSim {
  /** "127.0.0.1:PORT", as the SDK's Config.endpoint wants it (no scheme). */
  endpoint: string;
  inspectEndpoint: string;
  /** "127.0.0.1:PORT" of the metadata server; its base URL is http://<this>/latest/meta-data/. */
  metadataEndpoint?: string;
  /** "127.0.0.1:PORT" for @alicloud/credentials' stsEndpoint (HTTPS). */
  stsEndpoint?: string;
  /** The STS server's self-signed certificate (PEM), to trust it. */
  stsCertPem?: string;
  /** Where the certificate was written (sts.certOut). */
  stsCertFile?: string;
  regionId: string;
  accessKeyId: string;
  accessKeySecret: string;
  topology: Topology;
  state: CloudState;
  setFaults(faults: unknown): void;
  setRateLimits(spec: RateLimitSpec | unknown): void;
  setEipQuota(quota: number): void;
  setAssociationDelayMs(ms: number): void;
  /** Calls `listener` with the action of every OpenAPI request as it arrives; returns an unsubscribe function. */
  observeRequests(listener: (action: string) => void): () => void;
  /** Serves instance metadata for one more instance (a simulated cluster has one per node); returns HOST:PORT. */
  startMetadata(options: MetadataOptions): Promise<string>;
  close(): Promise<void>;
}

function nonNegativeInt(value: number | undefined, fallback: number, name: string): number {
  const v = value ?? fallback;
  if (!Number.isInteger(v) || v < 0)
    throw new SimConfigError(`${name} must be a whole number >= 0, got ${String(value)}`);
  return v;
}

/** Starts the simulated Alibaba Cloud (VPC + ECS OpenAPI and its side endpoints) in this process. */
export async function startCloudSim(options: CloudSimOptions = {}): Promise<CloudSim> {
  const now = options.now ?? Date.now;
  const topology = options.topology === undefined ? defaultTopology() : parseTopology(options.topology, 'topology');
  const state = new CloudState(topology, {
    eipQuota: nonNegativeInt(options.eipQuota, 20, 'eipQuota'),
    associationDelayMs: nonNegativeInt(options.associationDelayMs, 500, 'associationDelayMs'),
    now,
  });
  const latencyMs = nonNegativeInt(options.latencyMs, 0, 'latencyMs');
  const actions = allActions();
  const { credentials } = state;
  const accessKeyId = options.accessKeyId ?? DEFAULT_ACCESS_KEY_ID;
  const accessKeySecret = options.accessKeySecret ?? DEFAULT_ACCESS_KEY_SECRET;
  credentials.addStatic(accessKeyId, accessKeySecret);
  const limiter = new RateLimiter(now);
  const faults = new FaultInjector(options.random ?? Math.random);
  const setRateLimits = (spec: unknown): void => limiter.set(resolveRateLimits(spec, actions.names(), 'rate limits'));
  const setFaults = (value: unknown): void => faults.set(resolveFaults(value, actions.names(), 'faults'));
  setRateLimits(options.rateLimits ?? 'documented');
  setFaults(options.faults ?? {});

  const servers: AnyServer[] = [];
  const start = async (server: AnyServer, address: string, flag: string): Promise<string> => {
    const bound = await listen(server, parseListen(address, flag));
    servers.push(server);
    return bound;
  };
  const close = async (): Promise<void> => {
    state.close();
    await Promise.all(servers.map(closeServer));
  };
  try {
    const requestListeners = new Set<(action: string) => void>();
    const api = createApiServer({
      state,
      actions,
      limiter,
      faults,
      verifier: new SignatureVerifier(credentials, now),
      latencyMs: () => latencyMs,
      onRequest: (action) => {
        for (const listener of requestListeners) listener(action);
      },
    });
    const observeRequests = (listener: (action: string) => void): (() => void) => {
      requestListeners.add(listener);
      return () => requestListeners.delete(listener);
    };
    const endpoint = await start(api, options.listen ?? '127.0.0.1:0', 'listen');
    const setEipQuota = (quota: number): void => {
      state.eipQuota = nonNegativeInt(quota, 0, 'eipQuota');
    };
    const setAssociationDelayMs = (ms: number): void => {
      state.associationDelayMs = nonNegativeInt(ms, 0, 'associationDelayMs');
    };
    const inspect = createInspectServer({
      snapshot: () => state.snapshot(),
      faults: (): FaultTable => faults.current(),
      setFaults,
      rateLimits: () => limiter.current(),
      setRateLimits,
      setEipQuota,
      setAssociationDelayMs,
      settle: () => state.scheduler.flush(),
    });
    const inspectEndpoint = await start(inspect, options.inspectListen ?? '127.0.0.1:0', 'inspectListen');
    const startMetadata = async (metadataOptions: MetadataOptions): Promise<string> =>
      start(
        createMetadataServer({
          network: state.network,
          credentials,
          now,
          instanceId: metadataOptions.instanceId,
          imdsv2Required: metadataOptions.imdsv2Required ?? false,
        }),
        metadataOptions.listen ?? '127.0.0.1:0',
        'metadata.listen',
      );
    const sim: CloudSim = {
      endpoint,
      inspectEndpoint,
      regionId: topology.regionId,
      accessKeyId,
      accessKeySecret,
      topology,
      state,
      setFaults,
      setRateLimits,
      setEipQuota,
      setAssociationDelayMs,
      startMetadata,
      observeRequests,
      close,
    };
    if (options.metadata) sim.metadataEndpoint = await startMetadata(options.metadata);
    if (options.sts) {
      const cert = await selfSignedLoopbackCert('podeip-sim-sts');
      if (options.sts.certOut !== undefined) {
        await writeFile(options.sts.certOut, cert.certPem);
        sim.stsCertFile = options.sts.certOut;
      }
      sim.stsCertPem = cert.certPem;
      sim.stsEndpoint = await start(
        createStsServer({ credentials, calls: state.calls, now, cert }),
        options.sts.listen ?? '127.0.0.1:0',
        'sts.listen',
      );
    }
    return sim;
  } catch (error) {
    await close();
    throw error;
  }
}
