/**
 * The node's binding journal: one SQLite row per pod EIP binding, written BEFORE each cloud call
 * that moves the binding to its next state, so a restarted agent knows what may be in flight.
 *
 * WAL with synchronous=FULL: every commit is fsynced before the cloud call it announces goes
 * out. NORMAL survives kill -9 but can lose the last commits on power loss or a kernel panic,
 * and a lost 'allocating' or 'releasing' row is exactly the leak this file exists to prevent.
 * The journal sees a handful of writes per attach, so the fsync costs are small next to the
 * cloud's latency.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { StoreError, classifySqliteError } from './errors.js';
import { failpoint } from '../../../lib/failpoint.js';

export const BINDING_STATES = [
  'pending',
  'allocating',
  'allocated',
  'associating',
  'bound',
  'unbinding',
  'unbound',
  'releasing',
  'gone',
  'failed',
] as const;
export type BindingState = (typeof BINDING_STATES)[number];
/** Rows in these states hold nothing in the cloud that this node must still act on. */
export const TERMINAL_STATES: readonly BindingState[] = ['gone', 'failed'];

export type BindingMode = 'auto' | 'static' | 'fixed';
export type JournalReleaseStrategy = 'Follow' | 'Never' | 'TTL';

export interface BindingRow {
  id: number;
  namespace: string;
  podName: string;
  podUid: string;
  /** The sandbox (CNI_CONTAINERID) the binding currently serves. */
  containerId: string;
  ifname: string;
  mode: BindingMode;
  releaseStrategy: JournalReleaseStrategy;
  /** Go duration with TTL, '' otherwise. */
  releaseAfter: string;
  /** Attempt generation for this pod UID; part of the ClientToken. */
  generation: number;
  clientToken: string;
  /** AllocateEipAddress parameters (JSON) so a resumed allocation sends exactly the same request. */
  allocateParams: string;
  allocationId: string;
  address: string;
  eniId: string;
  privateIp: string;
  /** The pod IP is its ENI's primary IP (the cloud then reports an empty PrivateIpAddress). */
  privateIpPrimary: boolean;
  bandwidthPackageId: string;
  state: BindingState;
  lastError: string;
  attempts: number;
  createdAt: string;
  updatedAt: string;
}

export type NewBinding = Pick<
  BindingRow,
  | 'namespace'
  | 'podName'
  | 'podUid'
  | 'containerId'
  | 'ifname'
  | 'mode'
  | 'releaseStrategy'
  | 'releaseAfter'
  | 'generation'
  | 'clientToken'
  | 'allocateParams'
  | 'privateIp'
> &
  Partial<Pick<BindingRow, 'state' | 'allocationId' | 'address' | 'bandwidthPackageId'>>;

export type BindingPatch = Partial<
  Omit<BindingRow, 'id' | 'namespace' | 'podName' | 'podUid' | 'createdAt' | 'updatedAt'>
>;

/** Schema migrations; index i moves user_version from i to i + 1. Append only. */
const MIGRATIONS: string[] = [
  `CREATE TABLE bindings (
     id INTEGER PRIMARY KEY AUTOINCREMENT,
     namespace TEXT NOT NULL,
     pod_name TEXT NOT NULL,
     pod_uid TEXT NOT NULL,
     container_id TEXT NOT NULL,
     ifname TEXT NOT NULL,
     mode TEXT NOT NULL CHECK (mode IN ('auto', 'static', 'fixed')),
     release_strategy TEXT NOT NULL CHECK (release_strategy IN ('Follow', 'Never', 'TTL')),
     release_after TEXT NOT NULL DEFAULT '',
     generation INTEGER NOT NULL,
     client_token TEXT NOT NULL DEFAULT '',
     allocate_params TEXT NOT NULL DEFAULT '{}',
     allocation_id TEXT NOT NULL DEFAULT '',
     address TEXT NOT NULL DEFAULT '',
     eni_id TEXT NOT NULL DEFAULT '',
     private_ip TEXT NOT NULL DEFAULT '',
     private_ip_primary INTEGER NOT NULL DEFAULT 0,
     bandwidth_package_id TEXT NOT NULL DEFAULT '',
     state TEXT NOT NULL CHECK (state IN ('pending','allocating','allocated','associating','bound','unbinding','unbound','releasing','gone','failed')),
     last_error TEXT NOT NULL DEFAULT '',
     attempts INTEGER NOT NULL DEFAULT 0,
     created_at TEXT NOT NULL,
     updated_at TEXT NOT NULL
   );
   CREATE INDEX bindings_by_pod_uid ON bindings (pod_uid, ifname);
   CREATE INDEX bindings_by_pod_name ON bindings (namespace, pod_name);
   CREATE INDEX bindings_by_sandbox ON bindings (container_id, ifname);
   CREATE INDEX bindings_by_state ON bindings (state);
   CREATE INDEX bindings_by_allocation ON bindings (allocation_id);`,
  `CREATE TABLE pool_eips (
     id INTEGER PRIMARY KEY AUTOINCREMENT,
     state TEXT NOT NULL CHECK (state IN ('allocating','idle','taking','returning','releasing')),
     client_token TEXT NOT NULL DEFAULT '',
     allocation_id TEXT NOT NULL DEFAULT '',
     address TEXT NOT NULL DEFAULT '',
     bandwidth TEXT NOT NULL DEFAULT '',
     binding_id INTEGER NOT NULL DEFAULT 0,
     created_at TEXT NOT NULL,
     updated_at TEXT NOT NULL
   );
   CREATE INDEX pool_eips_by_allocation ON pool_eips (allocation_id);`,
];
export const JOURNAL_SCHEMA_VERSION = MIGRATIONS.length;

interface RawRow {
  id: number;
  namespace: string;
  pod_name: string;
  pod_uid: string;
  container_id: string;
  ifname: string;
  mode: BindingMode;
  release_strategy: JournalReleaseStrategy;
  release_after: string;
  generation: number;
  client_token: string;
  allocate_params: string;
  allocation_id: string;
  address: string;
  eni_id: string;
  private_ip: string;
  private_ip_primary: number;
  bandwidth_package_id: string;
  state: BindingState;
  last_error: string;
  attempts: number;
  created_at: string;
  updated_at: string;
}

function fromRaw(r: RawRow): BindingRow {
  return {
    id: r.id,
    namespace: r.namespace,
    podName: r.pod_name,
    podUid: r.pod_uid,
    containerId: r.container_id,
    ifname: r.ifname,
    mode: r.mode,
    releaseStrategy: r.release_strategy,
    releaseAfter: r.release_after,
    generation: r.generation,
    clientToken: r.client_token,
    allocateParams: r.allocate_params,
    allocationId: r.allocation_id,
    address: r.address,
    eniId: r.eni_id,
    privateIp: r.private_ip,
    privateIpPrimary: r.private_ip_primary === 1,
    bandwidthPackageId: r.bandwidth_package_id,
    state: r.state,
    lastError: r.last_error,
    attempts: r.attempts,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

const NON_TERMINAL = `state NOT IN ('gone', 'failed')`;

export const POOL_STATES = ['allocating', 'idle', 'taking', 'returning', 'releasing'] as const;
export type PoolState = (typeof POOL_STATES)[number];

/**
 * One EIP of the node's warm pool, journaled like a binding: 'allocating' (ClientToken written
 * before AllocateEipAddress), 'idle', 'taking' (being given to binding `bindingId`), 'returning'
 * (a pod's EIP being retagged into the pool), 'releasing'. A row is deleted once its EIP is a
 * pod's or gone.
 */
export interface PoolRow {
  id: number;
  state: PoolState;
  clientToken: string;
  allocationId: string;
  address: string;
  /** Mbps as the cloud reports it, so a take knows without a Describe whether to modify it. */
  bandwidth: string;
  bindingId: number;
  createdAt: string;
  updatedAt: string;
}

export type PoolPatch = Partial<Omit<PoolRow, 'id' | 'createdAt' | 'updatedAt'>>;

interface RawPoolRow {
  id: number;
  state: PoolState;
  client_token: string;
  allocation_id: string;
  address: string;
  bandwidth: string;
  binding_id: number;
  created_at: string;
  updated_at: string;
}

function poolFromRaw(r: RawPoolRow): PoolRow {
  return {
    id: r.id,
    state: r.state,
    clientToken: r.client_token,
    allocationId: r.allocation_id,
    address: r.address,
    bandwidth: r.bandwidth,
    bindingId: r.binding_id,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

export interface JournalOptions {
  /** Milliseconds since the epoch; injected so tests control timestamps. */
  now?: () => number;
}

export class Journal {
  readonly path: string;
  private readonly db: Database.Database;
  private readonly now: () => number;
  private readonly stmts: ReturnType<Journal['prepare']>;
  private unwritable: StoreError | undefined;

  private constructor(path: string, db: Database.Database, now: () => number) {
    this.path = path;
    this.db = db;
    this.now = now;
    this.stmts = this.guard(() => this.prepare());
  }

  /** Opens (creating or migrating) `<stateDir>/journal.db`. Throws StoreError on a bad file or disk. */
  static open(stateDir: string, options: JournalOptions = {}): Journal {
    const path = join(stateDir, 'journal.db');
    let db: Database.Database | undefined;
    try {
      mkdirSync(stateDir, { recursive: true, mode: 0o700 });
      db = new Database(path);
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = FULL');
      db.pragma('foreign_keys = ON');
      const check = db.pragma('quick_check', { simple: true });
      if (check !== 'ok') {
        throw new StoreError(
          'JournalCorrupt',
          path,
          `journal ${path} failed its integrity check (${String(check)}); move it aside so the agent rebuilds it from PodEIPs and cloud tags`,
        );
      }
      migrate(db, path);
      return new Journal(path, db, options.now ?? Date.now);
    } catch (err) {
      db?.close();
      if (err instanceof StoreError) throw err;
      throw (
        classifySqliteError(err, path) ??
        new StoreError('JournalUnwritable', path, `cannot open journal ${path}: ${(err as Error).message}`, {
          cause: err,
        })
      );
    }
  }

  private prepare() {
    const db = this.db;
    return {
      insert:
        db.prepare(`INSERT INTO bindings (namespace, pod_name, pod_uid, container_id, ifname, mode, release_strategy,
          release_after, generation, client_token, allocate_params, allocation_id, address, private_ip, bandwidth_package_id,
          state, created_at, updated_at)
        VALUES (@namespace, @podName, @podUid, @containerId, @ifname, @mode, @releaseStrategy, @releaseAfter, @generation,
          @clientToken, @allocateParams, @allocationId, @address, @privateIp, @bandwidthPackageId, @state, @now, @now)`),
      update: db.prepare(`UPDATE bindings SET container_id = @containerId, ifname = @ifname, mode = @mode,
          release_strategy = @releaseStrategy, release_after = @releaseAfter, generation = @generation,
          client_token = @clientToken, allocate_params = @allocateParams, allocation_id = @allocationId,
          address = @address, eni_id = @eniId, private_ip = @privateIp, private_ip_primary = @privateIpPrimary,
          bandwidth_package_id = @bandwidthPackageId, state = @state, last_error = @lastError,
          attempts = @attempts, updated_at = @updatedAt WHERE id = @id`),
      byId: db.prepare<[number], RawRow>('SELECT * FROM bindings WHERE id = ?'),
      activeByPod: db.prepare<[string, string], RawRow>(
        `SELECT * FROM bindings WHERE pod_uid = ? AND ifname = ? AND ${NON_TERMINAL} ORDER BY id DESC LIMIT 1`,
      ),
      byPodName: db.prepare<[string, string], RawRow>(
        `SELECT * FROM bindings WHERE namespace = ? AND pod_name = ? AND ${NON_TERMINAL} ORDER BY id`,
      ),
      byPodUid: db.prepare<[string], RawRow>(
        `SELECT * FROM bindings WHERE pod_uid = ? AND ${NON_TERMINAL} ORDER BY id`,
      ),
      bySandbox: db.prepare<[string, string], RawRow>(
        'SELECT * FROM bindings WHERE container_id = ? AND ifname = ? ORDER BY id DESC LIMIT 1',
      ),
      byAllocation: db.prepare<[string], RawRow>(
        `SELECT * FROM bindings WHERE allocation_id = ? AND ${NON_TERMINAL} ORDER BY id`,
      ),
      nonTerminal: db.prepare<[], RawRow>(`SELECT * FROM bindings WHERE ${NON_TERMINAL} ORDER BY id`),
      maxGeneration: db.prepare<[string], { g: number | null }>(
        'SELECT MAX(generation) AS g FROM bindings WHERE pod_uid = ?',
      ),
      counts: db.prepare<[], { state: BindingState; n: number }>(
        'SELECT state, COUNT(*) AS n FROM bindings GROUP BY state',
      ),
      prune: db.prepare<[string]>(`DELETE FROM bindings WHERE state IN ('gone', 'failed') AND updated_at < ?`),
      poolInsert:
        db.prepare(`INSERT INTO pool_eips (state, client_token, allocation_id, address, bandwidth, binding_id, created_at, updated_at)
        VALUES (@state, @clientToken, @allocationId, @address, @bandwidth, @bindingId, @now, @now)`),
      poolUpdate:
        db.prepare(`UPDATE pool_eips SET state = @state, client_token = @clientToken, allocation_id = @allocationId,
          address = @address, bandwidth = @bandwidth, binding_id = @bindingId, updated_at = @updatedAt WHERE id = @id`),
      poolById: db.prepare<[number], RawPoolRow>('SELECT * FROM pool_eips WHERE id = ?'),
      poolAll: db.prepare<[], RawPoolRow>('SELECT * FROM pool_eips ORDER BY id'),
      poolDelete: db.prepare<[number]>('DELETE FROM pool_eips WHERE id = ?'),
    };
  }

  /** Runs a statement; SQLite's corrupt/full answers become StoreErrors the agent can act on. */
  private guard<T>(fn: () => T): T {
    try {
      return fn();
    } catch (err) {
      throw classifySqliteError(err, this.path) ?? err;
    }
  }

  /**
   * A write: when SQLite says the disk is full or read-only, the journal is unwritable until a
   * write (or probeWrite) succeeds again; the agent is not ready meanwhile.
   */
  private write<T>(fn: () => T): T {
    try {
      const result = this.guard(fn);
      this.unwritable = undefined;
      return result;
    } catch (err) {
      if (err instanceof StoreError && err.code === 'JournalUnwritable') this.unwritable = err;
      throw err;
    }
  }

  /** Why the last write failed, while no write has succeeded since; undefined when writes work. */
  unwritableReason(): StoreError | undefined {
    return this.unwritable;
  }

  /** A write that changes nothing (the schema version over itself): does the disk take writes now? */
  probeWrite(): boolean {
    try {
      this.write(() => this.db.pragma(`user_version = ${Number(this.db.pragma('user_version', { simple: true }))}`));
      return true;
    } catch (err) {
      if (err instanceof StoreError && err.code === 'JournalUnwritable') return false;
      throw err;
    }
  }

  private stamp(): string {
    return new Date(this.now()).toISOString();
  }

  insert(row: NewBinding): BindingRow {
    return this.write(() => {
      const id = Number(
        this.stmts.insert.run({
          allocationId: '',
          address: '',
          bandwidthPackageId: '',
          state: 'pending',
          ...row,
          now: this.stamp(),
        }).lastInsertRowid,
      );
      const stored = fromRaw(this.stmts.byId.get(id)!);
      failpoint(`journal:${stored.state}`);
      return stored;
    });
  }

  /** Writes `patch` over the row; returns the row as stored. */
  update(id: number, patch: BindingPatch): BindingRow {
    return this.write(() => {
      const current = this.stmts.byId.get(id);
      if (!current) throw new Error(`journal row ${id} does not exist`);
      const next = { ...fromRaw(current), ...patch, updatedAt: this.stamp() };
      this.stmts.update.run({ ...next, privateIpPrimary: next.privateIpPrimary ? 1 : 0 });
      if (patch.state) failpoint(`journal:${patch.state}`);
      return { ...next, id };
    });
  }

  get(id: number): BindingRow | undefined {
    return this.guard(() => {
      const r = this.stmts.byId.get(id);
      return r && fromRaw(r);
    });
  }

  /** The pod object's live binding on `ifname` (any sandbox). */
  activeByPod(podUid: string, ifname: string): BindingRow | undefined {
    return this.guard(() => {
      const r = this.stmts.activeByPod.get(podUid, ifname);
      return r && fromRaw(r);
    });
  }

  activeByPodUid(podUid: string): BindingRow[] {
    return this.guard(() => this.stmts.byPodUid.all(podUid).map(fromRaw));
  }

  activeByPodName(namespace: string, podName: string): BindingRow[] {
    return this.guard(() => this.stmts.byPodName.all(namespace, podName).map(fromRaw));
  }

  /** The latest row that served this sandbox, terminal or not. */
  bySandbox(containerId: string, ifname: string): BindingRow | undefined {
    return this.guard(() => {
      const r = this.stmts.bySandbox.get(containerId, ifname);
      return r && fromRaw(r);
    });
  }

  activeByAllocation(allocationId: string): BindingRow[] {
    return this.guard(() => this.stmts.byAllocation.all(allocationId).map(fromRaw));
  }

  nonTerminal(): BindingRow[] {
    return this.guard(() => this.stmts.nonTerminal.all().map(fromRaw));
  }

  /** Highest generation used for this pod UID, 0 when none. */
  maxGeneration(podUid: string): number {
    return this.guard(() => this.stmts.maxGeneration.get(podUid)?.g ?? 0);
  }

  countsByState(): Record<BindingState, number> {
    return this.guard(() => {
      const counts = Object.fromEntries(BINDING_STATES.map((s) => [s, 0])) as Record<BindingState, number>;
      for (const { state, n } of this.stmts.counts.all()) counts[state] = n;
      return counts;
    });
  }

  /** Deletes terminal rows last touched before `before`; returns how many. */
  pruneTerminal(before: Date): number {
    return this.write(() => this.stmts.prune.run(before.toISOString()).changes);
  }

  poolInsert(
    row: Pick<PoolRow, 'state'> & Partial<Omit<PoolRow, 'id' | 'state' | 'createdAt' | 'updatedAt'>>,
  ): PoolRow {
    return this.guard(() => {
      const id = Number(
        this.stmts.poolInsert.run({
          clientToken: '',
          allocationId: '',
          address: '',
          bandwidth: '',
          bindingId: 0,
          ...row,
          now: this.stamp(),
        }).lastInsertRowid,
      );
      const stored = poolFromRaw(this.stmts.poolById.get(id)!);
      failpoint(`journal:pool-${stored.state}`);
      return stored;
    });
  }

  poolUpdate(id: number, patch: PoolPatch): PoolRow {
    return this.guard(() => {
      const current = this.stmts.poolById.get(id);
      if (!current) throw new Error(`pool row ${id} does not exist`);
      const next = { ...poolFromRaw(current), ...patch, updatedAt: this.stamp() };
      this.stmts.poolUpdate.run(next);
      if (patch.state) failpoint(`journal:pool-${patch.state}`);
      return { ...next, id };
    });
  }

  /** The pool no longer holds this EIP (a pod's now, or released). */
  poolDelete(id: number): void {
    this.guard(() => this.stmts.poolDelete.run(id));
    failpoint('journal:pool-deleted');
  }

  poolGet(id: number): PoolRow | undefined {
    return this.guard(() => {
      const r = this.stmts.poolById.get(id);
      return r && poolFromRaw(r);
    });
  }

  poolRows(): PoolRow[] {
    return this.guard(() => this.stmts.poolAll.all().map(poolFromRaw));
  }

  /**
   * Takes the oldest idle pool EIP for a binding, atomically: two callers never get the same one.
   * Returns undefined when none is idle.
   */
  poolClaimIdle(bindingId: number): PoolRow | undefined {
    const claimed = this.guard(() =>
      this.db
        .transaction(() => {
          const idle = this.stmts.poolAll
            .all()
            .map(poolFromRaw)
            .find((r) => r.state === 'idle');
          if (!idle) return undefined;
          const next = { ...idle, state: 'taking' as const, bindingId, updatedAt: this.stamp() };
          this.stmts.poolUpdate.run(next);
          return next;
        })
        .immediate(),
    );
    if (claimed) failpoint('journal:pool-taking');
    return claimed;
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}

function migrate(db: Database.Database, path: string): void {
  const version = db.pragma('user_version', { simple: true }) as number;
  if (version > MIGRATIONS.length) {
    throw new StoreError(
      'JournalCorrupt',
      path,
      `journal ${path} has schema version ${version}, newer than this agent's ${MIGRATIONS.length}; run the newer agent, or move the file aside to rebuild it`,
    );
  }
  const apply = db.transaction(() => {
    for (let v = version; v < MIGRATIONS.length; v++) db.exec(MIGRATIONS[v]!);
    db.pragma(`user_version = ${MIGRATIONS.length}`);
  });
  if (version < MIGRATIONS.length) apply();
}
