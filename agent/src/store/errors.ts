import { PodeipError } from '../../../lib/errors.js';

/**
 * - JournalCorrupt: the file is not a journal we can read (damaged, not SQLite, or written by a
 *   newer schema). The agent moves it aside and rebuilds from PodEIPs and cloud tags.
 * - JournalUnwritable: the disk is full, read-only or the file cannot be opened.
 * - StateDirLocked: another live agent holds the state dir.
 */
export type StoreErrorCode = 'JournalCorrupt' | 'JournalUnwritable' | 'StateDirLocked';

export class StoreError extends PodeipError {
  declare readonly code: StoreErrorCode;
  constructor(
    code: StoreErrorCode,
    readonly path: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(code, message, options);
  }
}

const CORRUPT = new Set([
  'SQLITE_CORRUPT',
  'SQLITE_NOTADB',
  'SQLITE_CORRUPT_VTAB',
  'SQLITE_CORRUPT_SEQUENCE',
  'SQLITE_CORRUPT_INDEX',
]);
const UNWRITABLE_PREFIXES = ['SQLITE_FULL', 'SQLITE_IOERR', 'SQLITE_READONLY', 'SQLITE_CANTOPEN', 'SQLITE_PERM'];

/** SQLite's failure as a StoreError when it says the file or the disk is bad; undefined otherwise. */
export function classifySqliteError(err: unknown, path: string): StoreError | undefined {
  const code = typeof err === 'object' && err !== null ? String((err as { code?: string }).code ?? '') : '';
  const message = err instanceof Error ? err.message : String(err);
  if (CORRUPT.has(code)) {
    return new StoreError(
      'JournalCorrupt',
      path,
      `journal ${path} is damaged (${code}: ${message}); move it aside so the agent rebuilds it from PodEIPs and cloud tags`,
      { cause: err },
    );
  }
  if (UNWRITABLE_PREFIXES.some((p) => code.startsWith(p))) {
    return new StoreError(
      'JournalUnwritable',
      path,
      `journal ${path} cannot be written (${code}: ${message}); free disk space or fix the state dir's permissions`,
      { cause: err },
    );
  }
  return undefined;
}
