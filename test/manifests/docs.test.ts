/**
 * The user docs against the code: every config key with its real default, every annotation of
 * the product spec under both prefixes, every repository path they mention.
 */
import test from 'ava';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cp, mkdtemp, readdir, readFile, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parse as parseYaml } from 'yaml';
import type { z } from 'zod';
import { parseConfig } from '../../agent/src/config/load.js';
import { configSchema } from '../../agent/src/config/schema.js';
import { repoPath } from './repo.js';

const runFile = promisify(execFile);
const read = (doc: string) => readFile(repoPath('docs', doc), 'utf8');

/** Dotted paths of the schema's leaf keys: agent.socketPath, networkController.vpcid, ... */
function leafKeys(schema: z.ZodType, prefix = ''): string[] {
  const def = (schema as unknown as { def: { type: string; innerType?: z.ZodType; shape?: Record<string, z.ZodType> } })
    .def;
  if ((def.type === 'default' || def.type === 'optional') && def.innerType) return leafKeys(def.innerType, prefix);
  if (def.type !== 'object' || !def.shape) return [prefix];
  return Object.entries(def.shape).flatMap(([key, child]) => leafKeys(child, prefix ? `${prefix}.${key}` : key));
}

const valueAt = (object: unknown, path: string) =>
  path.split('.').reduce<unknown>((o, k) => (o as Record<string, unknown> | undefined)?.[k], object);

test('docs/configuration.md documents every config key with the default the agent applies', async (t) => {
  const doc = await read('configuration.md');
  const rows = new Map([...doc.matchAll(/^\| `([A-Za-z.]+)` \| ([^|]+) \|/gm)].map((m) => [m[1]!, m[2]!.trim()]));
  const keys = leafKeys(configSchema);
  t.true(keys.length > 25);
  t.deepEqual(
    keys.filter((k) => !rows.has(k)),
    [],
    'keys missing from the doc',
  );
  t.deepEqual(
    [...rows.keys()].filter((k) => !keys.includes(k)),
    [],
    'documented keys the agent does not have',
  );
  const defaults = parseConfig('clusterID: c-demo\nregionID: cn-hangzhou\nvpcID: vpc-demo\n');
  for (const key of keys) {
    const cell = rows.get(key)!;
    if (cell.startsWith('required')) continue;
    if (cell.startsWith('unset')) {
      t.is(valueAt(defaults, key), undefined, `${key} has no default`);
      continue;
    }
    const literal = /^`(.*)`$/.exec(cell);
    t.truthy(literal, `${key}: default cell "${cell}" is a literal, "required" or "unset"`);
    t.deepEqual(parseYaml(literal![1]!), valueAt(defaults, key), `${key} default`);
  }
});

test("docs/configuration.md's example is a valid config file", async (t) => {
  const doc = await read('configuration.md');
  const example = /## Example\n\n```yaml\n([\s\S]*?)```/.exec(doc)![1]!;
  t.is(parseConfig(example).customStatefulWorkloadKinds[0], 'CloneSet');
});

/** The product spec's annotations (ack-pod-eip.txt), each valid under both prefixes. */
const SPEC_ANNOTATIONS = [
  'pod-with-eip',
  'eip-bandwidth',
  'eip-internet-charge-type',
  'eip-instance-charge-type',
  'eip-common-bandwidth-package-id',
  'eip-isp',
  'eip-public-ip-address-pool-id',
  'eip-resource-group-id',
  'eip-name',
  'eip-description',
  'eip-security-protection-types',
  'eip-tags',
  'pod-eip-instanceid',
  'pod-eip-release-strategy',
  'allocated-eipAddress',
];
const COMPAT_KEYS = [
  'k8s.aliyun.com/eci-with-eip',
  'k8s.aliyun.com/eip-charge-type',
  'k8s.aliyun.com/eci-eip-instanceid',
];

test('docs/annotations.md documents every annotation of the spec, both prefixes and the compat keys', async (t) => {
  const doc = await read('annotations.md');
  t.regex(doc, /`network\.alibabacloud\.com\/<name>`/);
  t.regex(doc, /`k8s\.aliyun\.com\/<name>`/);
  for (const name of SPEC_ANNOTATIONS) t.true(doc.includes(`\`${name}\``) || doc.includes(`/${name}\``), name);
  for (const key of COMPAT_KEYS) t.true(doc.includes(`\`${key}\``), key);
  t.true(doc.includes('`k8s.aliyun.com/eip`'), 'the pod condition');
});

/** The user docs of issue 7 (docs/simulators-*.md and docs/e2e.md belong to their parts). */
const USER_DOCS = [
  'install.md',
  'configuration.md',
  'annotations.md',
  'podeip-resource.md',
  'migration.md',
  'troubleshooting.md',
  'architecture.md',
  'metrics.md',
  'try-it.md',
];

test('every repository path the user docs mention exists', async (t) => {
  const docs = (await readdir(repoPath('docs'))).filter((f) => USER_DOCS.includes(f));
  t.deepEqual([...docs].sort(), [...USER_DOCS].sort());
  const missing: string[] = [];
  for (const doc of docs) {
    const text = await read(doc);
    for (const m of text.matchAll(
      /(?<![\w/.-])((?:manifests|docs|bin|test|agent|cni-plugin|proto|sim|lib)\/[\w./-]*[\w-])/g,
    )) {
      const path = m[1]!;
      // The overlay docs/install.md has the reader create by copying the example.
      if (path.startsWith('manifests/overlays/my-cluster')) continue;
      if (!existsSync(repoPath(path))) missing.push(`${doc}: ${path}`);
    }
  }
  t.deepEqual(missing, []);
});

test('every shell block of the user docs is marked local or cluster, and the local ones run as written', async (t) => {
  const work = await mkdtemp(join(tmpdir(), 'podeip-docs-'));
  t.teardown(() => rm(work, { recursive: true, force: true }));
  // A reader's clone after `npm ci`: its own manifests to copy into, the built tree linked.
  await cp(repoPath('manifests'), join(work, 'manifests'), { recursive: true });
  for (const built of ['bin', 'dist', 'node_modules', 'package.json'])
    await symlink(repoPath(built), join(work, built));
  let ran = 0;
  for (const doc of USER_DOCS) {
    // Blocks inside list items are indented; the shell sees them dedented.
    for (const block of (await read(doc)).matchAll(/^( *)```sh\n([\s\S]*?)^ *```/gm)) {
      const indent = block[1]!.length;
      const script = block[2]!
        .split('\n')
        .map((line) => line.slice(Math.min(indent, line.length - line.trimStart().length)))
        .join('\n');
      const marker = script.split('\n')[0]!;
      // "# playground" blocks need `podeip-sim up` running: test/cluster/playground.test.ts runs them.
      t.regex(
        marker,
        /^# (local|cluster|playground)\b/,
        `${doc}: a shell block starts with "# local", "# cluster" or "# playground"`,
      );
      if (!marker.startsWith('# local')) continue;
      const result = await runScript(script, work);
      t.is(result.code, 0, `${doc}:\n${script}\n${result.output}`);
      ran += 1;
    }
  }
  t.true(ran >= 5, `${ran} local blocks ran`);
});

async function runScript(script: string, cwd: string): Promise<{ code: number; output: string }> {
  try {
    const { stdout, stderr } = await runFile('bash', ['-euo', 'pipefail', '-c', script], {
      cwd,
      maxBuffer: 16 * 1024 * 1024,
    });
    return { code: 0, output: stdout + stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: e.code ?? -1, output: `${e.stdout ?? ''}${e.stderr ?? ''}` };
  }
}

/** GitHub's heading anchor: lower case, punctuation dropped, spaces to hyphens. */
function anchorOf(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[`*_]/g, '')
    .replace(/[^\p{L}\p{N} -]/gu, '')
    .replace(/ /g, '-');
}

test('every relative link of the README and docs resolves, anchors included', async (t) => {
  const pages = [
    'README.md',
    ...(await readdir(repoPath('docs'))).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`),
  ];
  const broken: string[] = [];
  let checked = 0;
  for (const page of pages) {
    const text = (await readFile(repoPath(page), 'utf8')).replace(/```[\s\S]*?```/g, '');
    for (const m of text.matchAll(/\[[^\]]*\]\(([^)\s]+)\)/g)) {
      const target = m[1]!;
      if (/^[a-z]+:/i.test(target)) continue;
      const [path, anchor] = target.split('#') as [string, string | undefined];
      const file = path ? join(page.includes('/') ? page.slice(0, page.lastIndexOf('/')) : '', path) : page;
      checked += 1;
      if (!existsSync(repoPath(file))) {
        broken.push(`${page}: ${target} (no ${file})`);
        continue;
      }
      if (anchor && file.endsWith('.md')) {
        const headings = [...(await readFile(repoPath(file), 'utf8')).matchAll(/^#+ (.+)$/gm)].map((h) =>
          anchorOf(h[1]!),
        );
        if (!headings.includes(anchor)) broken.push(`${page}: ${target} (no heading #${anchor} in ${file})`);
      }
    }
  }
  t.deepEqual(broken, []);
  t.true(checked > 20, `${checked} links checked`);
});

test('docs pages name each other by link, not as bare text', async (t) => {
  const bare: string[] = [];
  for (const page of [
    'README.md',
    ...(await readdir(repoPath('docs'))).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`),
  ]) {
    const text = (await readFile(repoPath(page), 'utf8')).replace(/```[\s\S]*?```/g, '');
    // Link texts ("[docs/x.md](x.md)") and targets ("](docs/x.md)") are fine; anything else is bare.
    for (const m of text.matchAll(/(?<![[/\w`-])(?<!\]\()docs\/[\w-]+\.md\b/g)) bare.push(`${page}: ${m[0]}`);
  }
  t.deepEqual(bare, []);
});
