/**
 * Watch streams: replay from a resourceVersion (or the current state for "0"/unset), then live
 * changes, with selector transitions turned into ADDED/DELETED as a real server does, optional
 * bookmarks and timeoutSeconds. A resourceVersion older than the retained window gets the real
 * server's answer: HTTP 200 and one ERROR event carrying a 410 Expired Status, then the end.
 */
import type { ServerResponse } from 'node:http';
import { servedView, toServed } from './convert.js';
import { apiVersionOf, type KubeObject, type ResourceType } from './resources.js';
import type { Matcher } from './selectors.js';
import { KubeApiError, badRequest } from './status.js';
import type { Change, Store } from './store.js';

export interface WatchRequest {
  type: ResourceType;
  namespace?: string;
  match: Matcher;
  resourceVersion?: string;
  allowBookmarks: boolean;
  sendInitialEvents: boolean;
  timeoutSeconds?: number;
  /** Turns a served object into what the client asked for (the object itself, or a one-row Table). */
  render: (obj: KubeObject) => KubeObject;
}

type EventType = 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';

export class WatchHub {
  private readonly open = new Set<ServerResponse>();

  constructor(
    private readonly store: Store,
    private readonly bookmarkIntervalMs: number,
  ) {}

  get openCount(): number {
    return this.open.size;
  }

  /** Drops every open watch connection without a clean end, as a network cut would. */
  cutAll(): number {
    const n = this.open.size;
    for (const res of this.open) res.socket?.destroy();
    this.open.clear();
    return n;
  }

  serve(req: WatchRequest, res: ServerResponse): void {
    const rvText = req.resourceVersion ?? '';
    if (rvText !== '' && !/^\d+$/.test(rvText)) throw badRequest(`invalid resource version: ${rvText}`);
    res.writeHead(200, { 'Content-Type': 'application/json', 'Cache-Control': 'no-cache, private' });
    res.flushHeaders();
    const send = (type: EventType, object: KubeObject): void => {
      res.write(`${JSON.stringify({ type, object })}\n`);
    };
    const rv = rvText === '' ? 0 : Number(rvText);
    let replay: Change[] = [];
    if (rv === 0 || req.sendInitialEvents) {
      for (const stored of this.store.scan(req.type.storage, req.namespace)) {
        if (req.match(servedView(req.type, stored)))
          send('ADDED', req.render(toServed(req.type, structuredClone(stored))));
      }
      if (req.sendInitialEvents) send('BOOKMARK', this.bookmark(req.type, { 'k8s.io/initial-events-end': 'true' }));
    } else {
      try {
        replay = this.store.changesSince(rv);
      } catch (err) {
        if (!(err instanceof KubeApiError)) throw err;
        send('ERROR', err.toStatus());
        res.end();
        return;
      }
    }
    const deliver = (change: Change): void => {
      if (servedByDeletedCrd(req.type, change)) {
        res.end();
        return;
      }
      const event = this.translate(req, change);
      if (event) send(event[0], req.render(event[1]));
    };
    for (const change of replay) deliver(change);
    const unsubscribe = this.store.subscribe(deliver);
    this.open.add(res);
    const timers: NodeJS.Timeout[] = [];
    if (req.allowBookmarks)
      timers.push(setInterval(() => send('BOOKMARK', this.bookmark(req.type)), this.bookmarkIntervalMs));
    if (req.timeoutSeconds !== undefined && req.timeoutSeconds > 0)
      timers.push(setTimeout(() => res.end(), req.timeoutSeconds * 1000));
    res.on('close', () => {
      unsubscribe();
      for (const t of timers) clearTimeout(t);
      this.open.delete(res);
    });
  }

  /** Bookmarks carry only the served kind and the current resourceVersion, like the real ones. */
  private bookmark(t: ResourceType, annotations?: Record<string, string>): KubeObject {
    const metadata: KubeObject = { resourceVersion: String(this.store.resourceVersion) };
    if (annotations) metadata.annotations = annotations;
    return { kind: t.kind, apiVersion: apiVersionOf(t), metadata };
  }

  private translate(req: WatchRequest, change: Change): [EventType, KubeObject] | undefined {
    if (change.storage !== req.type.storage) return undefined;
    if (req.namespace !== undefined && (change.object.metadata.namespace ?? '') !== req.namespace) return undefined;
    const after = req.match(servedView(req.type, change.object));
    const before =
      change.type === 'MODIFIED' && change.previous ? req.match(servedView(req.type, change.previous)) : false;
    let type: EventType | undefined;
    if (change.type !== 'MODIFIED') type = after ? change.type : undefined;
    else type = before && after ? 'MODIFIED' : after ? 'ADDED' : before ? 'DELETED' : undefined;
    return type ? [type, toServed(req.type, structuredClone(change.object))] : undefined;
  }
}

/** A watch on a custom resource ends when its CRD goes, as on a real server. */
function servedByDeletedCrd(t: ResourceType, change: Change): boolean {
  if (!t.custom || change.type !== 'DELETED' || change.storage !== 'customresourcedefinitions.apiextensions.k8s.io')
    return false;
  return change.object.metadata.name === t.custom.crdName;
}
