/**
 * Programs of the host that tests and the demo drive (kubectl, promtool): found on PATH, or at the
 * path an environment variable names. Nothing assumes a fixed install location.
 */
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The executable `name` on PATH, or the value of `envVar` when set; undefined when neither exists. */
export function findExecutable(
  name: string,
  envVar?: string,
  env: NodeJS.ProcessEnv = process.env,
): string | undefined {
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

/** Where `npm test`'s pretest step (scripts/test-tools.mjs) unpacks kubectl when PATH has none recent enough. */
export const PROVISIONED_KUBECTL = fileURLToPath(new URL('../../.tools/bin/kubectl', import.meta.url));

/**
 * kubectl for the tests: `KUBECTL`, else the one the pretest step provisioned, else PATH's; the bare
 * name when there is none, so a spawn fails with ENOENT naming it.
 */
export function testKubectl(env: NodeJS.ProcessEnv = process.env): string {
  if (env.KUBECTL?.trim()) return env.KUBECTL.trim();
  return isExecutable(PROVISIONED_KUBECTL) ? PROVISIONED_KUBECTL : (findKubectl(env) ?? 'kubectl');
}
