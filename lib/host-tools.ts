/**
 * Programs of the host that tests and the demo drive (kubectl, promtool): found on PATH, or at the
 * path an environment variable names. Nothing assumes a fixed install location.
 */
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

/** The executable `name` on PATH, or the value of `envVar` when set; undefined when neither exists. */
export function findExecutable(name: string, envVar?: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const override = envVar ? env[envVar]?.trim() : undefined;
  if (override) return isExecutable(override) ? override : undefined;
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, name);
    if (isExecutable(candidate)) return candidate;
  }
  return undefined;
}

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** kubectl as the user has it (`KUBECTL` overrides PATH); undefined when absent. */
export function findKubectl(env: NodeJS.ProcessEnv = process.env): string | undefined {
  return findExecutable('kubectl', 'KUBECTL', env);
}

/**
 * kubectl for the tests, which `npm test`'s pretest step (scripts/test-tools.mjs) provides; the bare
 * name when absent, so a spawn fails with ENOENT naming it.
 */
export function testKubectl(): string {
  return findKubectl() ?? 'kubectl';
}
