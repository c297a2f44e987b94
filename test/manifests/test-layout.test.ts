/**
 * Unit tests mirror the source tree, so a file's tests are found by its path: test/agent/<folder>
 * for agent/src/<folder>, test/lib for lib, test/sim/<part> for sim/<part>, test/cni-plugin for
 * cni-plugin/src. The other folders are suites that cross parts (cluster, chaos, e2e, fleet,
 * security, manifests).
 */
import test from 'ava';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from './repo.js';

const MIRRORS: Record<string, string> = {
  'test/agent': 'agent/src',
  'test/lib': 'lib',
  'test/sim': 'sim',
  'test/cni-plugin': 'cni-plugin/src',
};
const SUITES = ['agent', 'lib', 'sim', 'cni-plugin', 'cluster', 'chaos', 'e2e', 'fleet', 'security', 'manifests'];

function folders(dir: string): string[] {
  return readdirSync(join(repoRoot, dir)).filter((name) => statSync(join(repoRoot, dir, name)).isDirectory());
}

test('every test folder under a mirrored part names a folder of that part', (t) => {
  const strays: string[] = [];
  for (const [tests, source] of Object.entries(MIRRORS)) {
    for (const folder of folders(tests)) {
      if (folder === 'fixtures' || folder === 'helpers') continue;
      if (!existsSync(join(repoRoot, source, folder))) strays.push(`${tests}/${folder} (no ${source}/${folder})`);
    }
  }
  t.deepEqual(strays, []);
});

test('test/ holds only the mirrored parts and the named cross-part suites', (t) => {
  t.deepEqual(
    folders('test').filter((folder) => !SUITES.includes(folder)),
    [],
  );
});
