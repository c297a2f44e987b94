/** Starts the cloud simulator in-process and points a real client (official SDK over HTTP) at it. */
import { Writable } from 'node:stream';
import { Registry } from 'prom-client';
import { startCloudSim, type CloudSim, type CloudSimOptions } from '../../../../sim/cloud/index.js';
import {
  createCloudClient,
  type CloudClientOptions,
  type ClosableCloudClient,
} from '../../../../agent/src/cloud/client.js';
import { createLogger } from '../../../../agent/src/log/logger.js';

export type SimState = {
  eips: Array<
    {
      allocationId: string;
      ipAddress: string;
      status: string;
      tags: Record<string, string>;
      binding: { instanceId: string; privateIpAddress: string } | null;
    } & Record<string, unknown>
  >;
  calls: Record<string, Record<string, number>>;
  idempotencyTokens: Array<{ action: string; clientToken: string }>;
};

export async function startSim(options: CloudSimOptions = {}): Promise<CloudSim> {
  return startCloudSim({ associationDelayMs: 100, ...options });
}

/** The simulator's state dump, read over its inspection endpoint. */
export async function simState(sim: CloudSim): Promise<SimState> {
  const res = await fetch(`http://${sim.inspectEndpoint}/state`);
  if (!res.ok) throw new Error(`GET /state: HTTP ${res.status}`);
  return (await res.json()) as SimState;
}

export async function postControl(sim: CloudSim, path: string, body: unknown): Promise<void> {
  const res = await fetch(`http://${sim.inspectEndpoint}${path}`, { method: 'POST', body: JSON.stringify(body) });
  if (!res.ok) throw new Error(`POST ${path}: HTTP ${res.status} ${await res.text()}`);
}

/** Calls answered by the simulator for `action`, summed over codes (Success, Throttling.User, ...). */
export function callsOf(state: SimState, action: string): Record<string, number> {
  return state.calls[action] ?? {};
}

export function total(counts: Record<string, number>): number {
  return Object.values(counts).reduce((a, b) => a + b, 0);
}

export interface TestClient {
  client: ClosableCloudClient;
  registry: Registry;
  /** Every log line (JSON) the client wrote, debug included. */
  logs: string[];
}

export function clientFor(sim: CloudSim, overrides: Partial<CloudClientOptions> = {}): TestClient {
  const logs: string[] = [];
  const stream = new Writable({
    write(chunk, _enc, cb) {
      logs.push(String(chunk));
      cb();
    },
  });
  const registry = new Registry();
  const client = createCloudClient(
    {
      regionId: sim.regionId,
      vpcId: sim.topology.vpcs[0]!.vpcId,
      endpoints: { vpcEndpoint: sim.endpoint, ecsEndpoint: sim.endpoint },
      protocol: 'http',
      credentials: { type: 'access_key', accessKeyId: sim.accessKeyId, accessKeySecret: sim.accessKeySecret },
      budgetShare: 1,
      pollIntervalMs: 50,
      // Generous: the test machine is shared and often saturated; these bound hangs, not speed.
      timeouts: { defaultDeadlineMs: 60_000, readMs: 15_000, connectMs: 15_000, metadataMs: 15_000 },
      ...overrides,
    },
    { logger: createLogger({ level: 'debug', stream }), registry },
  );
  return { client, registry, logs };
}

export function firstInstance(sim: CloudSim) {
  const instance = sim.topology.instances[0]!;
  const [primary, secondary] = instance.networkInterfaces;
  return { instance, primary: primary!, secondary: secondary! };
}
