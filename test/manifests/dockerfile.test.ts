/**
 * The Dockerfile, checked without a Docker engine (there is none here): its structure, and the
 * runtime stage's file layout rebuilt from this repo's build output and run, so an image built
 * from it has every file its entrypoints load.
 */
import test from 'ava';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cp, mkdir, mkdtemp, readFile, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { promisify } from 'node:util';
import { copyOperands, expandArgs, isIgnored, parseDockerfile, type Stage } from './dockerfile.js';
import { repoPath } from './repo.js';

const run = promisify(execFile);
const dockerfile = parseDockerfile(await readFile(repoPath('Dockerfile'), 'utf8'));
const dockerignore = await readFile(repoPath('.dockerignore'), 'utf8');
const stage = (name: string): Stage => {
  const found = dockerfile.stages.find((s) => s.name === name);
  if (!found) throw new Error(`no stage ${name}`);
  return found;
};
const runtime = dockerfile.stages[dockerfile.stages.length - 1]!;
const keywords = (s: Stage, keyword: string) => s.instructions.filter((i) => i.keyword === keyword);

test('two stages on one base image pinned to an exact Node 20 release', (t) => {
  t.deepEqual(
    dockerfile.stages.map((s) => s.name),
    ['build', 'runtime'],
  );
  for (const s of dockerfile.stages) {
    const image = expandArgs(s.from, dockerfile.globalArgs);
    t.regex(
      image,
      /^node:20\.\d+\.\d+-bookworm-slim(@sha256:[0-9a-f]{64})?$/,
      `stage ${s.name}: ${image} names an exact release, never a moving tag`,
    );
  }
  t.is(
    new Set(dockerfile.stages.map((s) => s.from)).size,
    1,
    'the build and the runtime stage use the same Node release',
  );
});

test('the build stage installs from the lockfile with npm ci and nothing is fetched by URL', (t) => {
  const build = stage('build');
  const runs = keywords(build, 'RUN').map((i) => i.args);
  t.true(
    runs.some((r) => /\bnpm ci\b/.test(r)),
    'npm ci',
  );
  t.false(
    runs.some((r) => /\bnpm (install|i)\b(?! -g "npm@)/.test(r)),
    "no npm install of the project's dependencies",
  );
  t.true(
    runs.some((r) => /\bnpm prune --omit=dev\b/.test(r)),
    'dev dependencies left behind',
  );
  for (const s of dockerfile.stages) {
    t.deepEqual(keywords(s, 'ADD'), [], `stage ${s.name}: COPY only, no ADD`);
    t.false(
      s.instructions.some((i) => /\b(curl|wget)\b|https?:\/\//.test(i.args)),
      `stage ${s.name}: nothing downloaded by URL`,
    );
    t.true(
      keywords(s, 'ARG').some((i) => i.args === 'SOURCE_DATE_EPOCH'),
      `stage ${s.name}: SOURCE_DATE_EPOCH reaches the build`,
    );
  }
});

test('the runtime image runs as a non-root user, exec-form entrypoint, no package manager', (t) => {
  t.is(runtime.name, 'runtime');
  const users = keywords(runtime, 'USER');
  t.is(users.length, 1);
  t.regex(users[0]!.args, /^[1-9]\d*:[1-9]\d*$/, 'numeric uid:gid other than root, so runAsNonRoot can verify it');
  const entrypoint = keywords(runtime, 'ENTRYPOINT');
  t.is(entrypoint.length, 1);
  t.deepEqual(JSON.parse(entrypoint[0]!.args), ['/app/bin/podeip-agent']);
  t.false(
    keywords(runtime, 'RUN').some((i) => /\bnpm\b.*\b(ci|install)\b/.test(i.args)),
    'nothing installed in the runtime stage',
  );
  t.true(
    keywords(runtime, 'COPY').every((i) => copyOperands(i.args).flags.includes('--from=build')),
    'the runtime stage takes only build output',
  );
});

test("the build context holds every file the build stage copies, and not the host's node_modules or dist", (t) => {
  for (const path of [
    'node_modules',
    'dist',
    '.git',
    'node_modules/better-sqlite3/build/Release/better_sqlite3.node',
    'dist/bin/podeip',
  ]) {
    t.true(isIgnored(path, dockerignore), `${path} stays out of the context`);
  }
  for (const instruction of keywords(stage('build'), 'COPY')) {
    const { flags, sources } = copyOperands(instruction.args);
    t.deepEqual(flags, []);
    for (const source of sources) {
      t.true(existsSync(repoPath(source)), `${source} (line ${instruction.line}) exists`);
      t.false(isIgnored(source, dockerignore), `${source} (line ${instruction.line}) is not excluded by .dockerignore`);
    }
  }
});

test("the runtime layout, rebuilt from this repo's build, runs the agent, the installer and podeipctl", async (t) => {
  const root = await mkdtemp(join(tmpdir(), 'podeip-image-'));
  t.teardown(() => rm(root, { recursive: true, force: true }));
  let workdir = '/';
  for (const instruction of runtime.instructions) {
    if (instruction.keyword === 'WORKDIR') workdir = instruction.args;
    if (instruction.keyword !== 'COPY') continue;
    const { sources, destination } = copyOperands(instruction.args);
    const target = join(root, destination.startsWith('/') ? destination : join(workdir, destination));
    for (const source of sources) {
      t.true(source.startsWith('/src/'), `${source}: the build stage works in /src`);
      const built = repoPath(source.slice('/src/'.length));
      t.true(existsSync(built), `${source} exists after npm run build`);
      const to = destination.endsWith('/') ? join(target, basename(source)) : target;
      await mkdir(join(to, '..'), { recursive: true });
      // node_modules and the ~90 MB plugin are linked, not copied: the test needs their presence.
      if (source === '/src/node_modules' || source === '/src/dist/bin/podeip') await symlink(built, to);
      else await cp(built, to, { recursive: true });
    }
  }
  const [entrypoint] = JSON.parse(keywords(runtime, 'ENTRYPOINT')[0]!.args) as string[];
  const agent = join(root, entrypoint!);
  const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', NODE_NAME: 'node-a' };

  const version = await run(agent, ['--version'], { env });
  t.regex(version.stdout, /^\d+\.\d+\.\d+/);
  // --config loads the whole agent (every module main.js imports) before it reads the file.
  const missing = join(root, 'no-such-config.yaml');
  const started = await run(agent, ['--config', missing], { env }).then(
    () => undefined,
    (err: { code: number; stderr: string }) => err,
  );
  t.is(started?.code, 2);
  t.regex(started?.stderr ?? '', new RegExp(`InvalidConfig: invalid config ${missing}`));
  const installer = await run(agent, ['install-cni', '--help'], { env });
  t.regex(installer.stdout + installer.stderr, /--bin-dir/);
  const ctl = await run(join(root, 'app/bin/podeipctl'), ['--help'], { env });
  t.regex(ctl.stdout, /usage: podeipctl/);
  t.true(existsSync(join(root, 'app/dist/bin/podeip')), 'the plugin the installer copies to the node');
});
