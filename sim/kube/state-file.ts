/**
 * `--state FILE`: the store written to disk (atomically, debounced) after changes and read back
 * at start, so objects, uids and resourceVersions survive a process restart.
 */
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { PodeipError } from '../../lib/errors.js';
import type { StoreSnapshot } from './store.js';

export class StateFileError extends PodeipError {
  constructor(path: string, cause: unknown) {
    super(
      'KUBE_SIM_BAD_STATE_FILE',
      `cannot read simulator state from ${path}: ${(cause as Error).message ?? cause}; delete the file to start empty`,
      { cause },
    );
  }
}

export class StateFile {
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly path: string,
    private readonly snapshot: () => StoreSnapshot,
    private readonly debounceMs = 50,
  ) {}

  load(): StoreSnapshot | undefined {
    if (!existsSync(this.path)) return undefined;
    try {
      const parsed = JSON.parse(readFileSync(this.path, 'utf8'));
      if (typeof parsed.resourceVersion !== 'number' || typeof parsed.objects !== 'object')
        throw new Error('not a podeip-sim kube state file');
      return parsed as StoreSnapshot;
    } catch (err) {
      throw new StateFileError(this.path, err);
    }
  }

  scheduleSave(): void {
    if (this.timer) return;
    this.timer = setTimeout(() => this.flush(), this.debounceMs);
  }

  flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const tmp = `${this.path}.tmp-${process.pid}`;
    writeFileSync(tmp, JSON.stringify(this.snapshot()));
    renameSync(tmp, this.path);
  }
}
