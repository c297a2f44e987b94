/**
 * Exclusive ownership of the agent's state dir, so two agents never drive the same journal.
 *
 * The lock is an OS file lock, taken by SQLite (fcntl) on `<stateDir>/agent.lock` with
 * locking_mode=EXCLUSIVE and held for the life of the connection. The kernel drops it the moment
 * the holder exits, kill -9 included, so a crashed agent never blocks its successor. A PID file
 * would need a liveness guess that PID reuse and PID namespaces (a restarted container is often
 * PID 1 again) get wrong. The state dir is a local hostPath, where fcntl locks are reliable.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { StoreError, classifySqliteError } from './errors.js';

export interface StateDirLock {
  readonly path: string;
  release(): void;
}

export function acquireStateDirLock(stateDir: string): StateDirLock {
  const path = join(stateDir, 'agent.lock');
  let db: Database.Database;
  try {
    mkdirSync(stateDir, { recursive: true, mode: 0o700 });
    db = new Database(path, { timeout: 0 });
  } catch (err) {
    throw (
      classifySqliteError(err, path) ??
      new StoreError('JournalUnwritable', path, `cannot open ${path}: ${(err as Error).message}; check the state dir`, {
        cause: err,
      })
    );
  }
  try {
    db.pragma('locking_mode = EXCLUSIVE');
    db.exec('CREATE TABLE IF NOT EXISTS holder (pid INTEGER NOT NULL, since TEXT NOT NULL)');
    db.prepare('DELETE FROM holder').run();
    db.prepare('INSERT INTO holder (pid, since) VALUES (?, ?)').run(process.pid, new Date().toISOString());
  } catch (err) {
    db.close();
    if ((err as { code?: string }).code?.startsWith('SQLITE_BUSY')) {
      throw new StoreError(
        'StateDirLocked',
        path,
        `another podeip-agent holds ${stateDir} (lock ${path}); stop it first, or give this agent its own agent.stateDir`,
        { cause: err },
      );
    }
    throw classifySqliteError(err, path) ?? err;
  }
  return {
    path,
    release() {
      if (db.open) db.close();
    },
  };
}
