import test from 'ava';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { Journal, JOURNAL_SCHEMA_VERSION } from '../../../agent/src/store/journal.js';
import { StoreError, classifySqliteError } from '../../../agent/src/store/errors.js';
import { acquireStateDirLock } from '../../../agent/src/store/state-dir-lock.js';
import { newBinding } from './new-binding.js';

const dir = () => mkdtempSync(join(tmpdir(), 'podeip-journal-'));

test('rows survive a reopen; queries by pod, sandbox, allocation and state', (t) => {
  const d = dir();
  let now = Date.parse('2026-01-01T00:00:00Z');
  const j = Journal.open(d, { now: () => now });
  const a = j.insert(newBinding());
  t.is(a.state, 'pending');
  t.is(a.createdAt, '2026-01-01T00:00:00.000Z');
  now += 1000;
  const a2 = j.update(a.id, {
    state: 'allocated',
    allocationId: 'eip-1',
    address: '47.0.0.1',
    attempts: 1,
    privateIpPrimary: true,
  });
  t.is(a2.updatedAt, '2026-01-01T00:00:01.000Z');
  const b = j.insert(newBinding({ podName: 'web-1', podUid: 'uid-2', containerId: 'c2', generation: 3 }));
  j.update(b.id, { state: 'gone' });
  j.close();

  const k = Journal.open(d, { now: () => now });
  const got = k.activeByPod('uid-1', 'eth0')!;
  t.like(got, {
    id: a.id,
    state: 'allocated',
    allocationId: 'eip-1',
    address: '47.0.0.1',
    attempts: 1,
    privateIpPrimary: true,
  });
  t.is(k.activeByPod('uid-2', 'eth0'), undefined, 'terminal rows are not active');
  t.is(k.bySandbox('c2', 'eth0')?.state, 'gone', 'sandbox lookup sees terminal rows');
  t.is(k.bySandbox('c2', 'eth1'), undefined);
  t.deepEqual(
    k.activeByAllocation('eip-1').map((r) => r.id),
    [a.id],
  );
  t.deepEqual(
    k.activeByPodName('default', 'web-0').map((r) => r.id),
    [a.id],
  );
  t.deepEqual(
    k.nonTerminal().map((r) => r.id),
    [a.id],
  );
  t.is(k.maxGeneration('uid-2'), 3);
  t.is(k.maxGeneration('nobody'), 0);
  t.like(k.countsByState(), { allocated: 1, gone: 1, bound: 0 });
  t.is(k.pruneTerminal(new Date(now + 1)), 1);
  t.is(k.bySandbox('c2', 'eth0'), undefined);
  k.close();
});

test('the journal runs in WAL mode and records its schema version', (t) => {
  const d = dir();
  Journal.open(d).close();
  const db = new Database(join(d, 'journal.db'), { readonly: true });
  t.is(db.pragma('journal_mode', { simple: true }), 'wal');
  t.is(db.pragma('user_version', { simple: true }), JOURNAL_SCHEMA_VERSION);
  db.close();
});

test('the schema rejects unknown states and modes', (t) => {
  const j = Journal.open(dir());
  const row = j.insert(newBinding());
  t.throws(() => j.update(row.id, { state: 'weird' as never }), { any: true, message: /CHECK constraint/ });
  t.throws(() => j.insert(newBinding({ mode: 'magic' as never })), { any: true, message: /CHECK constraint/ });
  j.close();
});

test('a file that is not a journal is JournalCorrupt', (t) => {
  const d = dir();
  writeFileSync(
    join(d, 'journal.db'),
    'this is not a database, just text that is long enough to be read as a header '.repeat(100),
  );
  const err = t.throws(() => Journal.open(d));
  t.true(err instanceof StoreError);
  t.is((err as StoreError).code, 'JournalCorrupt');
  t.regex(err.message, /move it aside/);
});

test('a journal from a newer schema is refused, not downgraded', (t) => {
  const d = dir();
  Journal.open(d).close();
  const db = new Database(join(d, 'journal.db'));
  db.pragma(`user_version = ${JOURNAL_SCHEMA_VERSION + 1}`);
  db.close();
  const err = t.throws(() => Journal.open(d));
  t.is((err as StoreError).code, 'JournalCorrupt');
  t.regex(err.message, /newer than this agent's/);
});

test('a full disk (SQLITE_FULL from SQLite itself) is classified JournalUnwritable', (t) => {
  const db = new Database(':memory:');
  db.pragma('max_page_count = 2');
  db.exec('CREATE TABLE x (v TEXT)');
  const err = t.throws(
    () => {
      for (let i = 0; i < 100; i++) db.prepare('INSERT INTO x VALUES (?)').run('y'.repeat(4000));
    },
    { any: true },
  );
  const classified = classifySqliteError(err, '/var/lib/podeip/journal.db');
  t.is(classified?.code, 'JournalUnwritable');
  t.regex(classified!.message, /free disk space/);
  t.is(classifySqliteError(new Error('plain'), 'p'), undefined);
});

test('a second agent on the same state dir is refused; after release it may start', (t) => {
  const d = dir();
  const first = acquireStateDirLock(d);
  const err = t.throws(() => acquireStateDirLock(d));
  t.is((err as StoreError).code, 'StateDirLocked');
  t.regex(err.message, /another podeip-agent holds/);
  first.release();
  acquireStateDirLock(d).release();
});

test('a lock held by a process killed with SIGKILL does not block the next agent', async (t) => {
  const d = dir();
  const lockModule = fileURLToPath(new URL('../../../agent/src/store/state-dir-lock.js', import.meta.url));
  const child = spawn(
    process.execPath,
    [
      '--input-type=module',
      '-e',
      `const { acquireStateDirLock } = await import(${JSON.stringify(lockModule)});
     acquireStateDirLock(${JSON.stringify(d)}); console.log('locked'); setInterval(() => {}, 1000);`,
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  await new Promise<void>((resolve) => child.stdout.once('data', () => resolve()));
  t.is(t.throws<StoreError>(() => acquireStateDirLock(d))?.code, 'StateDirLocked');
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGKILL');
  await exited;
  const lock = acquireStateDirLock(d);
  t.truthy(lock.path);
  lock.release();
});
