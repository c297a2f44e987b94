import { createServer, type Server, type ServerResponse } from 'node:http';
import { z } from 'zod';
import { parseWith } from './config-file.js';
import { SimConfigError } from './errors.js';
import type { FaultTable } from './faults.js';
import { readBody } from './net.js';
import type { RateLimitTable } from './rate-limit.js';
import type { StateSnapshot } from './state/cloud-state.js';

/** What the inspection endpoint can read and change on a running simulator. */
export interface InspectControls {
  snapshot(): StateSnapshot;
  faults(): FaultTable;
  setFaults(value: unknown): void;
  rateLimits(): RateLimitTable;
  setRateLimits(value: unknown): void;
  setEipQuota(value: number): void;
  setAssociationDelayMs(value: number): void;
  /** Completes every pending transition (Associating, Unassociating, Releasing, BINDING…) now. */
  settle(): void;
}

const quotaSchema = z.object({ eipQuota: z.number().int().min(0) }).strict();
const delaySchema = z.object({ associationDelayMs: z.number().int().min(0) }).strict();

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body, null, 2);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

/**
 * Test-only control plane, on its own port so nothing here is reachable through the OpenAPI:
 * GET /state, GET|POST /faults, GET|POST /rate-limits, POST /eip-quota, POST /association-delay,
 * POST /settle.
 */
export function createInspectServer(controls: InspectControls): Server {
  return createServer((req, res) => {
    void (async () => {
      const route = `${req.method} ${new URL(req.url ?? '/', 'http://sim').pathname}`;
      const body = await readBody(req);
      const json = (): unknown => {
        try {
          return JSON.parse(body.toString('utf8'));
        } catch {
          throw new SimConfigError(`${route}: the body is not JSON`);
        }
      };
      try {
        switch (route) {
          case 'GET /state':
            return send(res, 200, controls.snapshot());
          case 'GET /faults':
            return send(res, 200, controls.faults());
          case 'POST /faults':
            controls.setFaults(json());
            return send(res, 200, controls.faults());
          case 'GET /rate-limits':
            return send(res, 200, controls.rateLimits());
          case 'POST /rate-limits':
            controls.setRateLimits(json());
            return send(res, 200, controls.rateLimits());
          case 'POST /eip-quota':
            controls.setEipQuota(parseWith(quotaSchema, json(), 'POST /eip-quota body').eipQuota);
            return send(res, 200, { eipQuota: controls.snapshot().eipQuota });
          case 'POST /association-delay':
            controls.setAssociationDelayMs(
              parseWith(delaySchema, json(), 'POST /association-delay body').associationDelayMs,
            );
            return send(res, 200, { associationDelayMs: controls.snapshot().associationDelayMs });
          case 'POST /settle':
            controls.settle();
            return send(res, 200, { settled: true });
          default:
            return send(res, 404, { error: `no route ${route}; see docs/simulators-cloud.md` });
        }
      } catch (error) {
        if (error instanceof SimConfigError) return send(res, 400, { error: error.message });
        return send(res, 500, { error: String(error) });
      }
    })();
  });
}
