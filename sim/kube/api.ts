/**
 * The REST semantics of one resource: create, read, list, update, patch and delete with the
 * metadata rules of a real server (uid, generateName, generation, resourceVersion preconditions,
 * finalizers, graceful pod deletion, the status subresource kept apart from the main resource).
 */
import { randomUUID } from 'node:crypto';
import { canonical } from './canonical.js';
import { servedView, toServed, toStored } from './convert.js';
import { crdTypes, establishedStatus, storageVersionOf, validateCrd } from './crd.js';
import { applyPatch } from './patch.js';
import { apiVersionOf, storageKey, type KubeObject, type ResourceRegistry, type ResourceType } from './resources.js';
import { pruneAndDefault, validate as validateSchema } from './schema.js';
import { fieldAtPath, parseFieldSelector, parseLabelSelector, type Matcher } from './selectors.js';
import {
  KubeApiError,
  STALE_OBJECT,
  alreadyExists,
  badRequest,
  conflict,
  expiredContinue,
  forbidden,
  invalid,
  notFound,
  type StatusCause,
} from './status.js';
import type { Store } from './store.js';
import { defaultBuiltin, validateBuiltin, validateBuiltinUpdate, validateName } from './validation.js';

export interface ListOptions {
  labelSelector?: string;
  fieldSelector?: string;
  limit?: number;
  continue?: string;
}

export type FieldValidation = 'Strict' | 'Warn' | 'Ignore';

/** Per-request write settings; `warnings` collects what the answer's Warning headers should say. */
export interface WriteOptions {
  fieldValidation: FieldValidation;
  warnings: string[];
}

export const DEFAULT_WRITE: () => WriteOptions = () => ({ fieldValidation: 'Warn', warnings: [] });

export interface DeleteOptions {
  gracePeriodSeconds?: number;
  preconditions?: { uid?: string; resourceVersion?: string };
}

/** Resources whose DELETE answers with the object rather than a Success Status, as on a real server. */
const RETURNS_DELETED_OBJECT = new Set(['pods', 'services', 'namespaces', 'nodes']);

const UNDELETABLE_NAMESPACES = new Set(['default', 'kube-system', 'kube-public']);

const NAME_SUFFIX_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';

export class ResourceApi {
  constructor(
    private readonly store: Store,
    private readonly registry: ResourceRegistry,
    private readonly now: () => Date,
  ) {}

  get(t: ResourceType, namespace: string, name: string): KubeObject {
    return toServed(t, this.current(t, namespace, name));
  }

  /** Matches an object in served form against list/watch selectors. */
  selector(t: ResourceType, opts: { labelSelector?: string; fieldSelector?: string }): Matcher {
    const labels = parseLabelSelector(opts.labelSelector);
    const fields = parseFieldSelector(opts.fieldSelector, t.fieldLabels, (obj, field) =>
      fieldAtPath(obj, field === 'source' && t.plural === 'events' ? 'source.component' : field),
    );
    return (obj) => labels(obj) && fields(obj);
  }

  list(t: ResourceType, namespace: string | undefined, opts: ListOptions): KubeObject {
    const match = this.selector(t, opts);
    let start = '';
    if (opts.continue) {
      const token = decodeContinue(opts.continue);
      if (token.rv < this.store.oldestWatchable) throw expiredContinue();
      start = token.start;
    }
    const items: KubeObject[] = [];
    let next: string | undefined;
    for (const stored of this.store.scan(t.storage, namespace)) {
      const key = `${stored.metadata.namespace ?? ''}/${stored.metadata.name}`;
      if (key < start) continue;
      if (!match(servedView(t, stored))) continue;
      const served = toServed(t, structuredClone(stored));
      if (!t.custom) {
        // A real server omits kind and apiVersion on the items of built-in lists.
        delete served.kind;
        delete served.apiVersion;
      }
      if (opts.limit && items.length >= opts.limit) {
        next = key;
        break;
      }
      items.push(served);
    }
    const metadata: KubeObject = { resourceVersion: String(this.store.resourceVersion) };
    if (next !== undefined) metadata.continue = encodeContinue(this.store.resourceVersion, next);
    return { kind: t.listKind, apiVersion: apiVersionOf(t), metadata, items };
  }

  create(t: ResourceType, namespace: string, body: unknown, opts: WriteOptions = DEFAULT_WRITE()): KubeObject {
    const obj = this.checkBody(t, body);
    const meta = obj.metadata;
    if (t.namespaced) {
      if (meta.namespace && meta.namespace !== namespace)
        throw badRequest('the namespace of the provided object does not match the namespace sent on the request');
      meta.namespace = namespace;
      if (!this.store.get('namespaces', '', namespace)) throw notFound('', 'namespaces', namespace);
    } else delete meta.namespace;
    if (!meta.name && meta.generateName) meta.name = meta.generateName + randomSuffix();
    if (!meta.name) {
      throw invalid(t.group, t.kind, '', [
        {
          reason: 'FieldValueRequired',
          message: 'Required value: name or generateName is required',
          field: 'metadata.name',
        },
      ]);
    }
    const causes = validateName(t, meta.name);
    if (causes.length) throw invalid(t.group, t.kind, meta.name, causes);

    for (const f of ['resourceVersion', 'deletionTimestamp', 'deletionGracePeriodSeconds', 'selfLink']) delete meta[f];
    meta.uid = randomUUID();
    meta.creationTimestamp = timestamp(this.now());
    meta.generation = 1;
    if (t.custom && t.statusSubresource) delete obj.status;
    if (t.group === '' && t.plural === 'pods') obj.status = { phase: 'Pending', qosClass: qosClass(obj) };
    if (t.group === '' && t.plural === 'namespaces') obj.status = { phase: 'Active' };
    if (isCrd(t) && typeof obj.spec === 'object' && obj.spec !== null) {
      obj.spec.conversion ??= { strategy: 'None' };
      for (const v of obj.spec.versions ?? []) v.served ??= true;
    }
    this.admit(t, obj, opts);
    if (this.store.get(t.storage, t.namespaced ? meta.namespace : '', meta.name))
      throw alreadyExists(t.group, t.plural, meta.name);
    if (isCrd(t)) {
      obj.status = establishedStatus(obj, meta.creationTimestamp);
      this.checkCrdNames(obj);
    }
    const stored = this.store.commit(t.storage, 'ADDED', toStored(t, obj, this.storedApiVersion(t)));
    if (isCrd(t)) this.serveCrd(stored);
    return toServed(t, stored);
  }

  update(
    t: ResourceType,
    namespace: string,
    name: string,
    body: unknown,
    subresource: string,
    opts: WriteOptions = DEFAULT_WRITE(),
  ): KubeObject {
    const current = this.current(t, namespace, name);
    const obj = this.checkBody(t, body);
    if (obj.metadata.name !== undefined && obj.metadata.name !== name) {
      throw badRequest(`the name of the object (${obj.metadata.name}) does not match the name on the URL (${name})`);
    }
    if (t.namespaced && obj.metadata.namespace && obj.metadata.namespace !== namespace) {
      throw badRequest('the namespace of the provided object does not match the namespace sent on the request');
    }
    const rv = obj.metadata.resourceVersion;
    if (rv === undefined || rv === '') {
      if (t.custom) {
        throw invalid(t.group, t.kind, name, [
          {
            reason: 'FieldValueInvalid',
            message: 'Invalid value: 0x0: must be specified for an update',
            field: 'metadata.resourceVersion',
          },
        ]);
      }
    } else if (rv !== current.metadata.resourceVersion) {
      throw conflict(t.group, t.plural, name, STALE_OBJECT);
    }
    return this.write(t, current, toStored(t, obj, this.storedApiVersion(t)), subresource, opts);
  }

  patch(
    t: ResourceType,
    namespace: string,
    name: string,
    contentType: string,
    patch: unknown,
    subresource: string,
    opts: WriteOptions = DEFAULT_WRITE(),
  ): KubeObject {
    const current = this.current(t, namespace, name);
    const patched = applyPatch(contentType, toServed(t, structuredClone(current)), patch, t.strategicMerge);
    return this.update(t, namespace, name, patched, subresource, opts);
  }

  delete(t: ResourceType, namespace: string, name: string, opts: DeleteOptions): KubeObject {
    const current = this.current(t, namespace, name);
    const pre = opts.preconditions ?? {};
    if (pre.uid && pre.uid !== current.metadata.uid) {
      throw conflict(
        t.group,
        t.plural,
        name,
        `Precondition failed: UID in precondition: ${pre.uid}, UID in object meta: ${current.metadata.uid}`,
      );
    }
    if (pre.resourceVersion && pre.resourceVersion !== current.metadata.resourceVersion) {
      throw conflict(
        t.group,
        t.plural,
        name,
        `Precondition failed: ResourceVersion in precondition: ${pre.resourceVersion}, ResourceVersion in object meta: ${current.metadata.resourceVersion}`,
      );
    }
    if (t.group === '' && t.plural === 'namespaces' && UNDELETABLE_NAMESPACES.has(name)) {
      throw forbidden('', 'namespaces', name, 'this namespace may not be deleted');
    }
    const grace = this.gracePeriod(t, current, opts.gracePeriodSeconds);
    const finalizers: string[] = current.metadata.finalizers ?? [];
    const meta = current.metadata;
    if (finalizers.length === 0 && grace === 0) return this.remove(t, current);
    if (meta.deletionTimestamp) {
      if (!isPod(t) || grace >= (meta.deletionGracePeriodSeconds ?? 0)) return toServed(t, current);
    }
    const updated = structuredClone(current);
    updated.metadata.deletionTimestamp = timestamp(new Date(this.now().getTime() + grace * 1000));
    updated.metadata.deletionGracePeriodSeconds = grace;
    return toServed(t, this.store.commit(t.storage, 'MODIFIED', updated));
  }

  deleteCollection(t: ResourceType, namespace: string | undefined, opts: ListOptions & DeleteOptions): KubeObject {
    const list = this.list(t, namespace, { ...opts, limit: 0 });
    const items = list.items.map((o: KubeObject) => this.delete(t, o.metadata.namespace ?? '', o.metadata.name, opts));
    return { ...list, items: items.filter((o: KubeObject) => o.kind !== 'Status') };
  }

  private current(t: ResourceType, namespace: string, name: string): KubeObject {
    const obj = this.store.get(t.storage, t.namespaced ? namespace : '', name);
    if (!obj) throw notFound(t.group, t.plural, name);
    return obj;
  }

  private checkBody(t: ResourceType, body: unknown): KubeObject {
    if (typeof body !== 'object' || body === null || Array.isArray(body))
      throw badRequest('the request body must be a JSON or YAML object');
    const obj = structuredClone(body) as KubeObject;
    if (obj.kind !== undefined && obj.kind !== t.kind)
      throw badRequest(`the kind in the data (${obj.kind}) does not match the expected kind (${t.kind})`);
    if (obj.apiVersion !== undefined && obj.apiVersion !== apiVersionOf(t)) {
      throw badRequest(
        `the API version in the data (${obj.apiVersion}) does not match the expected API version (${apiVersionOf(t)})`,
      );
    }
    obj.apiVersion = apiVersionOf(t);
    obj.kind = t.kind;
    if (obj.metadata === undefined) obj.metadata = {};
    if (typeof obj.metadata !== 'object' || obj.metadata === null) throw badRequest('metadata must be an object');
    return obj;
  }

  /** Defaults, prunes and validates an object in served form; throws 422 naming each bad field. */
  private admit(t: ResourceType, obj: KubeObject, opts: WriteOptions, old?: KubeObject): void {
    let causes: StatusCause[];
    if (t.custom?.schema) {
      const unknown = pruneAndDefault(obj, t.custom.schema);
      if (unknown.length && opts.fieldValidation === 'Strict') {
        const fields = unknown.map((f) => `unknown field "${f}"`).join(', ');
        throw badRequest(
          `${t.kind} in version "${t.version}" cannot be handled as a ${t.kind}: strict decoding error: ${fields}`,
        );
      }
      if (opts.fieldValidation === 'Warn') opts.warnings.push(...unknown.map((f) => `unknown field "${f}"`));
      causes = validateSchema(obj, t.custom.schema, old);
    } else {
      defaultBuiltin(t, obj);
      causes = isCrd(t) ? validateCrd(obj) : validateBuiltin(t, obj);
      if (old) causes.push(...validateBuiltinUpdate(t, obj, old));
    }
    causes = [...causes, ...metadataCauses(obj.metadata)];
    if (causes.length) throw invalid(t.group, t.kind, obj.metadata.name ?? '', causes);
  }

  /** The common tail of update and patch: builds the next object from `incoming`, admits and commits it. */
  private write(
    t: ResourceType,
    current: KubeObject,
    incoming: KubeObject,
    subresource: string,
    opts: WriteOptions,
  ): KubeObject {
    let next: KubeObject;
    if (subresource === 'status') {
      next = structuredClone(current);
      if (incoming.status === undefined) delete next.status;
      else next.status = incoming.status;
    } else {
      next = incoming;
      if (t.statusSubresource) {
        if (current.status === undefined) delete next.status;
        else next.status = current.status;
      }
    }
    const meta = next.metadata;
    for (const f of [
      'uid',
      'creationTimestamp',
      'deletionTimestamp',
      'deletionGracePeriodSeconds',
      'namespace',
      'name',
      'generation',
    ]) {
      if (current.metadata[f] === undefined) delete meta[f];
      else meta[f] = current.metadata[f];
    }
    if (subresource !== 'status' && specChanged(current, next))
      meta.generation = (current.metadata.generation ?? 1) + 1;
    meta.resourceVersion = current.metadata.resourceVersion;
    const served = toServed(t, structuredClone(next));
    this.admit(t, served, opts, toServed(t, structuredClone(current)));
    next = toStored(t, served, this.storedApiVersion(t));
    if (isCrd(t)) this.checkCrdNames(next, current);
    if (canonical(next) === canonical(current)) return toServed(t, current);
    if (
      meta.deletionTimestamp &&
      (meta.finalizers ?? []).length === 0 &&
      (!isPod(t) || meta.deletionGracePeriodSeconds === 0)
    ) {
      return toServed(t, this.erase(t, next));
    }
    const stored = this.store.commit(t.storage, 'MODIFIED', next);
    if (isCrd(t)) this.serveCrd(stored);
    return toServed(t, stored);
  }

  /** Deletes for good, with what depends on the object (a CRD's resources, a namespace's contents). */
  private erase(t: ResourceType, obj: KubeObject): KubeObject {
    if (isCrd(t)) this.unserveCrd(obj);
    if (t.group === '' && t.plural === 'namespaces') this.emptyNamespace(obj.metadata.name);
    return this.store.commit(t.storage, 'DELETED', obj);
  }

  /** DELETE's answer for an immediate deletion: the object for some types, a Success Status for the rest. */
  private remove(t: ResourceType, obj: KubeObject): KubeObject {
    const stored = this.erase(t, obj);
    if (RETURNS_DELETED_OBJECT.has(t.plural) && !t.group) return toServed(t, stored);
    const details: KubeObject = { name: obj.metadata.name, kind: t.plural, uid: obj.metadata.uid };
    if (t.group) details.group = t.group;
    return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', details };
  }

  private gracePeriod(t: ResourceType, pod: KubeObject, requested: number | undefined): number {
    if (!isPod(t)) return 0;
    if (!pod.spec?.nodeName || pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed') return 0;
    const grace = requested ?? pod.spec?.terminationGracePeriodSeconds ?? 30;
    return Math.max(0, grace);
  }

  private storedApiVersion(t: ResourceType): string {
    if (!t.custom) return apiVersionOf({ group: t.group === 'events.k8s.io' ? '' : t.group, version: t.version });
    const crd = this.store.get('customresourcedefinitions.apiextensions.k8s.io', '', t.custom.crdName);
    return apiVersionOf({ group: t.group, version: crd ? storageVersionOf(crd) : t.version });
  }

  private checkCrdNames(crd: KubeObject, old?: KubeObject): void {
    const plural = crd.spec.names.plural;
    const group = crd.spec.group;
    if (old && (old.spec.group !== group || old.spec.names.plural !== plural || old.spec.scope !== crd.spec.scope)) {
      const field =
        old.spec.scope !== crd.spec.scope
          ? 'spec.scope'
          : old.spec.group !== group
            ? 'spec.group'
            : 'spec.names.plural';
      throw invalid('apiextensions.k8s.io', 'CustomResourceDefinition', crd.metadata.name, [
        { reason: 'FieldValueInvalid', message: 'Invalid value: field is immutable', field },
      ]);
    }
    const clash = this.registry.all().find((r) => r.group === group && r.plural === plural && !r.custom);
    if (clash) {
      throw invalid('apiextensions.k8s.io', 'CustomResourceDefinition', crd.metadata.name, [
        {
          reason: 'FieldValueInvalid',
          message: `Invalid value: "${plural}": is already served by a built-in type`,
          field: 'spec.names.plural',
        },
      ]);
    }
  }

  /** Restores the served types of every stored CRD (after loading state). */
  serveStoredCrds(): void {
    for (const crd of this.store.list('customresourcedefinitions.apiextensions.k8s.io')) this.serveCrd(crd);
  }

  private serveCrd(crd: KubeObject): void {
    if (crd.metadata.deletionTimestamp) return;
    this.registry.removeStorage(storageKey(crd.spec.group, crd.spec.names.plural));
    for (const t of crdTypes(crd)) this.registry.add(t);
  }

  private unserveCrd(crd: KubeObject): void {
    const storage = storageKey(crd.spec.group, crd.spec.names.plural);
    for (const obj of this.store.list(storage)) this.store.commit(storage, 'DELETED', obj);
    this.registry.removeStorage(storage);
  }

  private emptyNamespace(namespace: string): void {
    const storages = new Set(
      this.registry
        .all()
        .filter((t) => t.namespaced)
        .map((t) => t.storage),
    );
    for (const storage of storages) {
      for (const obj of this.store.list(storage, namespace)) this.store.commit(storage, 'DELETED', obj);
    }
  }
}

function isCrd(t: ResourceType): boolean {
  return t.group === 'apiextensions.k8s.io' && t.plural === 'customresourcedefinitions';
}

function isPod(t: ResourceType): boolean {
  return t.group === '' && t.plural === 'pods';
}

function metadataCauses(meta: KubeObject): StatusCause[] {
  const causes: StatusCause[] = [];
  for (const field of ['labels', 'annotations']) {
    const map = meta[field];
    if (map === undefined || map === null) continue;
    if (typeof map !== 'object' || Array.isArray(map)) {
      causes.push({
        reason: 'FieldValueTypeInvalid',
        message: 'Invalid value: must be a map of strings',
        field: `metadata.${field}`,
      });
      continue;
    }
    for (const [k, v] of Object.entries(map)) {
      if (typeof v !== 'string')
        causes.push({
          reason: 'FieldValueTypeInvalid',
          message: `Invalid value: ${JSON.stringify(v)}: must be a string`,
          field: `metadata.${field}.${k}`,
        });
    }
  }
  return causes;
}

function specChanged(a: KubeObject, b: KubeObject): boolean {
  const rest = (o: KubeObject): string => {
    const { metadata: _m, status: _s, apiVersion: _a, kind: _k, ...others } = o;
    return canonical(others);
  };
  return rest(a) !== rest(b);
}

function qosClass(pod: KubeObject): string {
  const containers: KubeObject[] = pod.spec?.containers ?? [];
  const has = (c: KubeObject, kind: string): boolean => Object.keys(c.resources?.[kind] ?? {}).length > 0;
  if (containers.every((c) => !has(c, 'requests') && !has(c, 'limits'))) return 'BestEffort';
  const guaranteed = containers.every((c) => {
    const limits = c.resources?.limits ?? {};
    const requests = c.resources?.requests ?? limits;
    return ['cpu', 'memory'].every((r) => limits[r] !== undefined && String(requests[r]) === String(limits[r]));
  });
  return guaranteed ? 'Guaranteed' : 'Burstable';
}

function randomSuffix(): string {
  let out = '';
  for (let i = 0; i < 5; i++) out += NAME_SUFFIX_ALPHABET[Math.floor(Math.random() * NAME_SUFFIX_ALPHABET.length)];
  return out;
}

/** RFC 3339 with second precision, as metav1.Time marshals. */
export function timestamp(d: Date): string {
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function encodeContinue(rv: number, start: string): string {
  return Buffer.from(JSON.stringify({ v: 'meta.k8s.io/v1', rv, start })).toString('base64url');
}

function decodeContinue(token: string): { rv: number; start: string } {
  try {
    const parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
    if (typeof parsed.rv === 'number' && typeof parsed.start === 'string') return parsed;
  } catch {
    // fall through to the error below
  }
  throw new KubeApiError(400, 'BadRequest', `continue key is not valid: ${token}`);
}
