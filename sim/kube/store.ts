/**
 * Object storage with one cluster-wide, monotonic resourceVersion counter (etcd's revision) and
 * a bounded log of recent changes that watches replay from. A resourceVersion older than the
 * log's window has been "compacted": watching from it yields 410 Expired, as on a real server.
 */
import type { KubeObject } from './resources.js';
import { tooOldResourceVersion } from './status.js';

export type ChangeType = 'ADDED' | 'MODIFIED' | 'DELETED';

export interface Change {
  rv: number;
  storage: string;
  type: ChangeType;
  object: KubeObject;
  /** The object before a MODIFIED or DELETED change, for selector transitions in watches. */
  previous?: KubeObject;
}

export interface StoreSnapshot {
  resourceVersion: number;
  objects: Record<string, KubeObject[]>;
}

type Listener = (change: Change) => void;

export class Store {
  private rv: number;
  private compacted: number;
  private log: Change[] = [];
  private readonly buckets = new Map<string, Map<string, KubeObject>>();
  /** Per bucket, its keys in order; dropped whenever a key is added or removed. */
  private readonly sortedKeys = new Map<string, string[]>();
  private readonly listeners = new Set<Listener>();

  constructor(
    private readonly window: number,
    startAt = 0,
  ) {
    this.rv = startAt;
    this.compacted = startAt;
  }

  get resourceVersion(): number {
    return this.rv;
  }

  /** The oldest resourceVersion a watch may still start from. */
  get oldestWatchable(): number {
    return this.compacted;
  }

  get(storage: string, namespace: string, name: string): KubeObject | undefined {
    const obj = this.buckets.get(storage)?.get(key(namespace, name));
    return obj === undefined ? undefined : structuredClone(obj);
  }

  /** Copies of the objects, ordered by namespace then name (the order continue tokens page through). */
  list(storage: string, namespace?: string): KubeObject[] {
    return this.scan(storage, namespace).map((obj) => structuredClone(obj));
  }

  /** The stored objects themselves, same order as list(), for read-only filtering: never mutate them. */
  scan(storage: string, namespace?: string): readonly Readonly<KubeObject>[] {
    const bucket = this.buckets.get(storage);
    if (!bucket) return [];
    let keys = this.sortedKeys.get(storage);
    if (!keys) {
      keys = [...bucket.keys()].sort();
      this.sortedKeys.set(storage, keys);
    }
    const out: KubeObject[] = [];
    for (const k of keys) {
      const obj = bucket.get(k)!;
      if (namespace !== undefined && (obj.metadata.namespace ?? '') !== namespace) continue;
      out.push(obj);
    }
    return out;
  }

  /** Writes a change, stamping the object with the next resourceVersion; returns the stored copy. */
  commit(storage: string, type: ChangeType, object: KubeObject): KubeObject {
    const namespace = object.metadata.namespace ?? '';
    const name = object.metadata.name as string;
    let bucket = this.buckets.get(storage);
    if (!bucket) {
      bucket = new Map();
      this.buckets.set(storage, bucket);
    }
    const previous = bucket.get(key(namespace, name));
    this.rv += 1;
    const stored = structuredClone(object);
    stored.metadata.resourceVersion = String(this.rv);
    if (type === 'DELETED') bucket.delete(key(namespace, name));
    else bucket.set(key(namespace, name), stored);
    if (type !== 'MODIFIED') this.sortedKeys.delete(storage);
    const change: Change = { rv: this.rv, storage, type, object: stored };
    if (previous) change.previous = previous;
    this.log.push(change);
    while (this.log.length > this.window) this.compacted = this.log.shift()!.rv;
    for (const listener of this.listeners) listener(change);
    return structuredClone(stored);
  }

  /** Changes after `rv`, or 410 Expired when some of them have already been compacted away. */
  changesSince(rv: number): Change[] {
    if (rv < this.compacted) throw tooOldResourceVersion(rv, this.compacted);
    return this.log.filter((c) => c.rv > rv);
  }

  subscribe(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Forgets the change log up to now: every older resourceVersion becomes too old to watch from. */
  compact(): void {
    this.log = [];
    this.compacted = this.rv;
  }

  snapshot(): StoreSnapshot {
    const objects: Record<string, KubeObject[]> = {};
    for (const [storage, bucket] of this.buckets) objects[storage] = [...bucket.values()];
    return { resourceVersion: this.rv, objects };
  }

  /** Loads a snapshot; the change log does not survive, so only its resourceVersion is watchable. */
  restore(snapshot: StoreSnapshot): void {
    this.buckets.clear();
    this.sortedKeys.clear();
    for (const [storage, objects] of Object.entries(snapshot.objects)) {
      const bucket = new Map<string, KubeObject>();
      for (const obj of objects) bucket.set(key(obj.metadata.namespace ?? '', obj.metadata.name), obj);
      this.buckets.set(storage, bucket);
    }
    this.rv = snapshot.resourceVersion;
    this.compact();
  }

  /** Empties everything and moves the counter far ahead, as a lost etcd restored elsewhere would. */
  wipe(jumpBy: number): void {
    this.buckets.clear();
    this.sortedKeys.clear();
    this.rv += jumpBy;
    this.compact();
  }
}

function key(namespace: string, name: string): string {
  return `${namespace}/${name}`;
}
