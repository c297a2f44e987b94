/**
 * The Debian packages the e2e suite drives. Installed only when one is missing, so a second run
 * costs one dpkg-query.
 */
import { run } from './proc.js';

export const REQUIRED_PACKAGES = ['containerd', 'runc', 'containernetworking-plugins', 'busybox-static', 'jq'] as const;

export async function missingPackages(): Promise<string[]> {
  const result = await run('dpkg-query', ['-W', '-f=${Package} ${db:Status-Status}\n', ...REQUIRED_PACKAGES], {
    allowFailure: true,
  });
  const installed = new Set(
    result.stdout
      .split('\n')
      .filter((line) => line.endsWith(' installed'))
      .map((line) => line.split(' ')[0]),
  );
  return REQUIRED_PACKAGES.filter((name) => !installed.has(name));
}

/** Returns how long the install took in ms (0 when nothing was missing). */
export async function ensurePackages(): Promise<{ installed: string[]; ms: number }> {
  const missing = await missingPackages();
  if (missing.length === 0) return { installed: [], ms: 0 };
  const start = Date.now();
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  await run('apt-get', ['update', '-qq'], { env });
  await run('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...missing], { env });
  return { installed: missing, ms: Date.now() - start };
}
