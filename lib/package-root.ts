/**
 * The podeip package's root directory (where package.json, proto/ and dist/ are), found by
 * walking up from this module. Paths relative to a module's own URL would break once the agent
 * is bundled into one file elsewhere in dist/; this works from the tsc output and the bundle.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PodeipError } from './errors.js';

const PACKAGE_NAME = 'podeip';

export class PackageRootNotFoundError extends PodeipError {
  constructor(start: string) {
    super(
      'PackageRootNotFound',
      `no package.json named "${PACKAGE_NAME}" above ${start}: run podeip from its package directory (with package.json, proto/ and dist/)`,
    );
  }
}

function isPodeipPackage(dir: string): boolean {
  try {
    return (JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: unknown }).name === PACKAGE_NAME;
  } catch {
    return false;
  }
}

let cached: string | undefined;

export function packageRoot(): string {
  if (cached !== undefined) return cached;
  const start = dirname(fileURLToPath(import.meta.url));
  for (let dir = start; ; dir = dirname(dir)) {
    if (isPodeipPackage(dir)) return (cached = dir);
    if (dirname(dir) === dir) throw new PackageRootNotFoundError(start);
  }
}

/** `version` of package.json. */
export function packageVersion(): string {
  return (JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as { version: string }).version;
}
