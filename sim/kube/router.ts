/**
 * Maps Kubernetes REST paths and verbs onto the resource API, discovery and OpenAPI documents,
 * and writes the answers (JSON, or a Table when kubectl asks for one).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { parse as parseYaml } from 'yaml';
import type { ResourceApi, WriteOptions } from './api.js';
import { coreVersions, group, groupList, resourceList, versionInfo } from './discovery.js';
import { openApiGroupVersion, openApiRoot } from './openapi.js';
import { APPLY_PATCH } from './patch.js';
import { decodeProtobufObject } from './protobuf.js';
import type { KubeObject, ResourceRegistry, ResourceType } from './resources.js';
import { KubeApiError, badRequest, methodNotAllowed, unsupportedMediaType } from './status.js';
import { toTable, wantsTable, type IncludeObject } from './table.js';
import type { WatchHub } from './watch.js';

export interface ResourceRoute {
  type: ResourceType;
  namespace?: string;
  name?: string;
  subresource: string;
  watch: boolean;
}

export interface RoutedRequest {
  verb: string;
  resource: string;
}

const NOT_FOUND_PAGE = (): KubeApiError =>
  new KubeApiError(404, 'NotFound', 'the server could not find the requested resource', {});

export function sendJson(res: ServerResponse, code: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(code, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

export class KubeRouter {
  constructor(
    private readonly api: ResourceApi,
    private readonly registry: ResourceRegistry,
    private readonly watches: WatchHub,
    private readonly now: () => Date,
  ) {}

  /** Verb and resource of a request, for fault matching and statistics; undefined for non-resource paths. */
  classify(method: string, url: URL): RoutedRequest | undefined {
    const route = this.resourceRoute(url.pathname);
    if (!route) return undefined;
    return {
      verb: verbOf(method, route, url),
      resource: route.subresource ? `${route.type.plural}/${route.subresource}` : route.type.plural,
    };
  }

  async handle(req: IncomingMessage, res: ServerResponse, url: URL, body: Buffer): Promise<void> {
    const path = url.pathname.replace(/\/+$/, '') || '/';
    const method = req.method ?? 'GET';
    const doc = this.document(path, req);
    if (doc !== undefined) {
      if (method !== 'GET') throw methodNotAllowed(`${method} is not allowed on ${path}`);
      sendJson(res, 200, doc);
      return;
    }
    const route = this.resourceRoute(path);
    if (!route) throw NOT_FOUND_PAGE();
    this.serveResource(req, res, url, route, body);
  }

  private document(path: string, req: IncomingMessage): KubeObject | undefined {
    if (path === '/version') return versionInfo();
    if (path === '/api') return coreVersions(req.headers.host ?? '127.0.0.1');
    if (path === '/apis') return groupList(this.registry);
    if (path === '/openapi/v3') return openApiRoot(this.registry);
    if (path === '/healthz' || path === '/readyz' || path === '/livez') return { status: 'ok' };
    let m = /^\/api\/([^/]+)$/.exec(path);
    if (m) return resourceList(this.registry, '', m[1]!);
    m = /^\/apis\/([^/]+)$/.exec(path);
    if (m) return group(this.registry, m[1]!) ?? notFoundPage();
    m = /^\/apis\/([^/]+)\/([^/]+)$/.exec(path);
    if (m) return resourceList(this.registry, m[1]!, m[2]!) ?? notFoundPage();
    m = /^\/openapi\/v3\/api\/([^/]+)$/.exec(path);
    if (m) return openApiGroupVersion(this.registry, '', m[1]!) ?? notFoundPage();
    m = /^\/openapi\/v3\/apis\/([^/]+)\/([^/]+)$/.exec(path);
    if (m) return openApiGroupVersion(this.registry, m[1]!, m[2]!) ?? notFoundPage();
    return undefined;
  }

  private resourceRoute(pathname: string): ResourceRoute | undefined {
    const parts = pathname
      .split('/')
      .filter((p) => p.length > 0)
      .map(decodeURIComponent);
    let groupName: string;
    let version: string;
    let rest: string[];
    if (parts[0] === 'api' && parts.length >= 3) {
      [groupName, version, rest] = ['', parts[1]!, parts.slice(2)];
    } else if (parts[0] === 'apis' && parts.length >= 4) {
      [groupName, version, rest] = [parts[1]!, parts[2]!, parts.slice(3)];
    } else return undefined;
    let watch = false;
    if (rest[0] === 'watch') {
      watch = true;
      rest = rest.slice(1);
    }
    let namespace: string | undefined;
    if (
      rest[0] === 'namespaces' &&
      rest.length >= 3 &&
      !(rest.length === 3 && (rest[2] === 'status' || rest[2] === 'finalize'))
    ) {
      namespace = rest[1];
      rest = rest.slice(2);
    }
    const [plural, name, subresource, ...extra] = rest;
    if (!plural || extra.length) return undefined;
    const type = this.registry.lookup(groupName, version, plural);
    if (!type) return undefined;
    if (namespace !== undefined && !type.namespaced) return undefined;
    if (subresource !== undefined && !(subresource === 'status' && type.statusSubresource)) return undefined;
    const route: ResourceRoute = { type, subresource: subresource ?? '', watch };
    if (namespace !== undefined) route.namespace = namespace;
    if (name !== undefined) route.name = name;
    return route;
  }

  private serveResource(req: IncomingMessage, res: ServerResponse, url: URL, route: ResourceRoute, body: Buffer): void {
    const q = url.searchParams;
    const { type: t, name } = route;
    const namespace = route.namespace ?? '';
    const verb = verbOf(req.method ?? 'GET', route, url);
    if (q.get('dryRun')) throw badRequest('dryRun is not supported by podeip-sim');
    if (t.namespaced && route.namespace === undefined && name !== undefined) throw NOT_FOUND_PAGE();
    const table = wantsTable(req.headers.accept);
    const include = (q.get('includeObject') ?? 'Metadata') as IncludeObject;
    const render = (obj: KubeObject): KubeObject =>
      table && obj.kind !== 'Status'
        ? toTable(t, [obj], { resourceVersion: obj.metadata?.resourceVersion }, include, this.now())
        : obj;
    switch (verb) {
      case 'watch': {
        const fieldSelector = [q.get('fieldSelector'), name !== undefined ? `metadata.name=${name}` : undefined]
          .filter((s) => s)
          .join(',');
        const timeout = q.get('timeoutSeconds');
        this.watches.serve(
          {
            type: t,
            ...(route.namespace !== undefined ? { namespace: route.namespace } : {}),
            match: this.api.selector(t, { labelSelector: q.get('labelSelector') ?? '', fieldSelector }),
            resourceVersion: q.get('resourceVersion') ?? '',
            allowBookmarks: q.get('allowWatchBookmarks') === 'true',
            sendInitialEvents: q.get('sendInitialEvents') === 'true',
            ...(timeout ? { timeoutSeconds: Number(timeout) } : {}),
            render,
          },
          res,
        );
        return;
      }
      case 'list': {
        const list = this.api.list(t, route.namespace, {
          labelSelector: q.get('labelSelector') ?? '',
          fieldSelector: q.get('fieldSelector') ?? '',
          limit: Number(q.get('limit') ?? 0),
          continue: q.get('continue') ?? '',
        });
        sendJson(res, 200, table ? toTable(t, list.items, list.metadata, include, this.now()) : list);
        return;
      }
      case 'get':
        sendJson(res, 200, render(this.api.get(t, namespace, name!)));
        return;
      case 'create': {
        const opts = writeOptions(q);
        const created = render(this.api.create(t, namespace, parseBody(req, body), opts));
        sendJson(res, 201, created, warningHeaders(opts));
        return;
      }
      case 'update': {
        const opts = writeOptions(q);
        const updated = render(this.api.update(t, namespace, name!, parseBody(req, body), route.subresource, opts));
        sendJson(res, 200, updated, warningHeaders(opts));
        return;
      }
      case 'patch': {
        const contentType = req.headers['content-type'] ?? '';
        if (contentType.startsWith(APPLY_PATCH))
          throw unsupportedMediaType([
            'application/json-patch+json',
            'application/merge-patch+json',
            'application/strategic-merge-patch+json',
          ]);
        const opts = writeOptions(q);
        const patched = render(
          this.api.patch(t, namespace, name!, contentType, parseJson(body), route.subresource, opts),
        );
        sendJson(res, 200, patched, warningHeaders(opts));
        return;
      }
      case 'delete':
        sendJson(res, 200, render(this.api.delete(t, namespace, name!, deleteOptions(q, body))));
        return;
      case 'deletecollection':
        sendJson(
          res,
          200,
          this.api.deleteCollection(t, route.namespace, {
            labelSelector: q.get('labelSelector') ?? '',
            fieldSelector: q.get('fieldSelector') ?? '',
            ...deleteOptions(q, body),
          }),
        );
        return;
      default:
        throw methodNotAllowed(`${req.method} is not supported on ${url.pathname}`);
    }
  }
}

function writeOptions(q: URLSearchParams): WriteOptions {
  const mode = q.get('fieldValidation') ?? 'Warn';
  if (mode !== 'Strict' && mode !== 'Warn' && mode !== 'Ignore') {
    throw badRequest(`fieldValidation must be one of Strict, Warn or Ignore, got "${mode}"`);
  }
  return { fieldValidation: mode, warnings: [] };
}

function warningHeaders(opts: WriteOptions): Record<string, string> {
  if (opts.warnings.length === 0) return {};
  return { Warning: opts.warnings.map((w) => `299 - ${JSON.stringify(w)}`).join(', ') };
}

function notFoundPage(): never {
  throw NOT_FOUND_PAGE();
}

function verbOf(method: string, route: ResourceRoute, url: URL): string {
  const watchParam = url.searchParams.get('watch');
  const watch = route.watch || watchParam === 'true' || watchParam === '1';
  const named = route.name !== undefined;
  switch (method) {
    case 'GET':
      return watch ? 'watch' : named ? 'get' : 'list';
    case 'POST':
      return named ? 'unsupported' : 'create';
    case 'PUT':
      return named ? 'update' : 'unsupported';
    case 'PATCH':
      return named ? 'patch' : 'unsupported';
    case 'DELETE':
      return named ? 'delete' : 'deletecollection';
    default:
      return 'unsupported';
  }
}

function parseJson(body: Buffer): unknown {
  try {
    return JSON.parse(body.toString('utf8'));
  } catch (err) {
    throw badRequest(`the request body is not valid JSON: ${(err as Error).message}`);
  }
}

function parseBody(req: IncomingMessage, body: Buffer): unknown {
  const type = (req.headers['content-type'] ?? 'application/json').split(';')[0]!.trim();
  if (type === 'application/json' || type === '') return parseJson(body);
  if (type === 'application/yaml' || type === 'application/x-yaml' || type === 'text/yaml') {
    try {
      return parseYaml(body.toString('utf8'));
    } catch (err) {
      throw badRequest(`the request body is not valid YAML: ${(err as Error).message}`);
    }
  }
  if (type === 'application/vnd.kubernetes.protobuf') return decodeProtobufObject(body);
  throw unsupportedMediaType(['application/json', 'application/yaml']);
}

function deleteOptions(
  q: URLSearchParams,
  body: Buffer,
): { gracePeriodSeconds?: number; preconditions?: { uid?: string; resourceVersion?: string } } {
  const opts: { gracePeriodSeconds?: number; preconditions?: { uid?: string; resourceVersion?: string } } = {};
  if (body.length > 0) {
    const parsed = parseJson(body) as KubeObject;
    if (typeof parsed?.gracePeriodSeconds === 'number') opts.gracePeriodSeconds = parsed.gracePeriodSeconds;
    if (parsed?.preconditions) opts.preconditions = parsed.preconditions;
  }
  const grace = q.get('gracePeriodSeconds');
  if (grace !== null && grace !== '') opts.gracePeriodSeconds = Number(grace);
  return opts;
}
