/**
 * Opens the journal the way a node agent must: a damaged file is moved aside (kept for a
 * post-mortem) and a fresh journal is started, which the binding service then rebuilds from
 * PodEIPs and cloud tags; a disk that cannot be written is retried until it can, with the
 * agent up but not ready, instead of a crash loop that would hide the cause.
 */
import { renameSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '../log/logger.js';
import { Journal } from './journal.js';
import { StoreError } from './errors.js';
import { DEFAULT_RETRY_POLICIES } from '../retry/index.js';

export interface OpenedJournal {
  journal: Journal;
  /** True when the previous file was damaged and moved aside: nothing of it can be trusted. */
  rebuilt: boolean;
}

export function openJournalOnce(stateDir: string, logger: Logger, now: () => number = Date.now): OpenedJournal {
  try {
    return { journal: Journal.open(stateDir), rebuilt: false };
  } catch (err) {
    if (!(err instanceof StoreError && err.code === 'JournalCorrupt')) throw err;
    const aside = `${err.path}.corrupt-${new Date(now()).toISOString().replace(/[:.]/g, '')}`;
    for (const suffix of ['', '-wal', '-shm']) {
      try {
        renameSync(`${err.path}${suffix}`, `${aside}${suffix}`);
      } catch {
        /* a missing -wal/-shm is normal */
      }
    }
    logger.error('journal damaged: moved aside, rebuilding from PodEIPs and cloud tags', {
      path: err.path,
      movedTo: aside,
      err: err.message,
    });
    return { journal: Journal.open(stateDir), rebuilt: true };
  }
}

/**
 * Runs `open` until the state dir takes writes: a JournalUnwritable failure (disk full,
 * read-only, not a directory) is retried every `retryMs` until it clears or `signal` aborts.
 */
export async function whenWritable<T>(
  open: () => T,
  logger: Logger,
  signal?: AbortSignal,
  retryMs = DEFAULT_RETRY_POLICIES.journalOpen.retryMs,
): Promise<T> {
  for (;;) {
    try {
      return open();
    } catch (err) {
      if (!(err instanceof StoreError && err.code === 'JournalUnwritable')) throw err;
      logger.error('state dir cannot be written; not ready until it can', {
        err: err.message,
        retryInSeconds: retryMs / 1000,
      });
      await sleep(retryMs, undefined, { signal });
    }
  }
}

/** Retries an unwritable journal every `retryMs` until it opens or `signal` aborts. */
export function openJournal(
  stateDir: string,
  logger: Logger,
  signal?: AbortSignal,
  retryMs = DEFAULT_RETRY_POLICIES.journalOpen.retryMs,
): Promise<OpenedJournal> {
  return whenWritable(() => openJournalOnce(stateDir, logger), logger, signal, retryMs);
}
