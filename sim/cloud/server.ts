import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { ActionRegistry } from './actions/registry.js';
import { ECS_VERSION, type ApiAction } from './actions/types.js';
import { CloudApiError } from './errors.js';
import type { FaultInjector } from './faults.js';
import { readBody, sleep } from './net.js';
import { Params } from './params.js';
import type { RateLimiter } from './rate-limit.js';
import type { RawApiRequest, SignatureVerifier } from './signature.js';
import type { CloudState } from './state/cloud-state.js';

export interface ApiServerDeps {
  state: CloudState;
  actions: ActionRegistry;
  verifier: SignatureVerifier;
  limiter: RateLimiter;
  faults: FaultInjector;
  /** Base latency added to every call, read per call. */
  latencyMs: () => number;
  /** Told of every request as it arrives, before latency, faults or the action (tests time kills with it). */
  onRequest: (action: string) => void;
}

/** All keys in the simulator belong to this one account (rate limits are per account). */
const ACCOUNT = 'account';

/**
 * The VPC and ECS OpenAPI endpoint. Per call: latency, "unreachable" drops, signature, rate
 * limit, injected errors, the action (with ClientToken replay), then maybe "commit, then drop".
 */
export function createApiServer(deps: ApiServerDeps): Server {
  const server = createServer((req, res) => {
    handle(deps, req, res).catch((error: unknown) => {
      if (!res.headersSent)
        respond(res, 500, errorBody(deps, '', new CloudApiError('InternalError', 500, String(error))));
    });
  });
  // The SDK keeps idle sockets forever; a long server-side idle timeout (like a cloud front end's)
  // keeps the close-while-reusing race of Node's 5 s default away from tests.
  server.keepAliveTimeout = 60_000;
  return server;
}

async function handle(deps: ApiServerDeps, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const { state } = deps;
  const body = await readBody(req);
  const url = new URL(req.url ?? '/', 'http://sim');
  const raw: RawApiRequest = {
    method: req.method ?? 'GET',
    query: Object.fromEntries(url.searchParams),
    headers: req.headers as Record<string, string | undefined>,
    body,
  };
  const claimedAction = raw.headers['x-acs-action'] ?? raw.query['Action'] ?? '';
  const claimedVersion = raw.headers['x-acs-version'] ?? raw.query['Version'] ?? '';
  deps.onRequest(claimedAction);
  await sleep(deps.latencyMs() + deps.faults.latencyMs(claimedAction));
  if (deps.faults.drops(claimedAction)) {
    state.calls.record(claimedAction, 'Dropped');
    req.socket.destroy();
    return;
  }
  let result: Record<string, unknown>;
  try {
    const auth = deps.verifier.verify(raw);
    const action = deps.actions.get(auth.version, auth.action);
    deps.limiter.admit(ACCOUNT, action.name);
    const injected = deps.faults.error(action.name);
    if (injected) throw injected;
    result = execute(state, action, auth.params);
  } catch (error) {
    if (!(error instanceof CloudApiError)) throw error;
    state.calls.record(claimedAction, error.code);
    respond(res, error.status, errorBody(deps, claimedVersion, error), error.headers);
    return;
  }
  if (deps.faults.commitThenDrops(claimedAction)) {
    state.calls.record(claimedAction, 'CommittedThenDropped');
    req.socket.destroy();
    return;
  }
  state.calls.record(claimedAction, 'Success');
  respond(res, 200, { RequestId: state.ids.requestId(), ...result });
}

function execute(state: CloudState, action: ApiAction, raw: Record<string, string>): Record<string, unknown> {
  const params = new Params(raw);
  const regionId = params.optional('RegionId');
  if (regionId === undefined) {
    if (action.regionAlternative === undefined || params.optional(action.regionAlternative) === undefined) {
      throw new CloudApiError(
        'MissingParameter',
        400,
        'The input parameter "RegionId" that is mandatory for processing this request is not supplied.',
      );
    }
  } else if (regionId !== state.topology.regionId) {
    throw new CloudApiError(
      'Forbidden.RegionNotFound',
      404,
      `The region "${regionId}" is not served; this simulator serves ${state.topology.regionId}.`,
    );
  }
  const ctx = { state, params, regionId: regionId ?? state.topology.regionId };
  const clientToken = action.idempotent ? params.optional('ClientToken') : undefined;
  if (clientToken === undefined) return action.run(ctx);
  if (clientToken.length > 64 || !/^[\x20-\x7e]+$/.test(clientToken)) {
    throw new CloudApiError(
      'InvalidParameter',
      400,
      'The specified parameter "ClientToken" is not valid: at most 64 printable ASCII characters.',
    );
  }
  const replayed = state.idempotency.replay(action.name, clientToken, raw);
  if (replayed) return replayed;
  const result = action.run(ctx);
  state.idempotency.remember(action.name, clientToken, raw, result, state.now());
  return result;
}

function hostId(state: CloudState, version: string): string {
  const region = state.topology.regionId;
  if (version === ECS_VERSION)
    return region === 'cn-hangzhou' ? 'ecs-cn-hangzhou.aliyuncs.com' : `ecs.${region}.aliyuncs.com`;
  return region === 'cn-hangzhou' ? 'vpc.aliyuncs.com' : `vpc.${region}.aliyuncs.com`;
}

function errorBody(deps: ApiServerDeps, version: string, error: CloudApiError): Record<string, unknown> {
  const product = version === ECS_VERSION ? 'Ecs' : 'Vpc';
  return {
    RequestId: deps.state.ids.requestId(),
    HostId: hostId(deps.state, version),
    Code: error.code,
    Message: error.message,
    Recommend: `https://api.aliyun.com/troubleshoot?q=${encodeURIComponent(error.code)}&product=${product}`,
  };
}

function respond(
  res: ServerResponse,
  status: number,
  body: Record<string, unknown>,
  headers: Record<string, string> = {},
): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json;charset=utf-8',
    'content-length': Buffer.byteLength(text),
    'x-acs-request-id': String(body['RequestId']),
    ...headers,
  });
  res.end(text);
}
