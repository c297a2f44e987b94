/**
 * Builds `dist/bin/podeip`, the CNI plugin as one executable that needs no Node.js on the host:
 * esbuild bundle (CommonJS, as Node 20's SEA wants) -> SEA blob with V8 code cache and the
 * agent contract as an asset -> a stripped copy of this node binary -> postject.
 * Strip comes before postject: stripping after injection corrupts the blob (segfaults).
 * A stamp of every input skips the slow SEA steps when nothing changed.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, copyFileSync, existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';
import { inject } from 'postject';
import { AGENT_PROTO_PATH, PROTO_LOADER_OPTIONS } from '../../lib/agent-proto.js';
import { AGENT_DESCRIPTOR_ASSET } from '../src/sea-asset.js';

const SEA_FUSE = 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2';

export interface BuildPaths {
  root: string;
  /** Intermediate files: bundle, metafile, descriptor, SEA config and blob, stamp. */
  workDir: string;
  output: string;
}

export function defaultPaths(): BuildPaths {
  const root = fileURLToPath(new URL('../../../', import.meta.url));
  return { root, workDir: join(root, 'dist/cni-plugin/sea'), output: join(root, 'dist/bin/podeip') };
}

/** agent.proto as protobuf.js JSON, parsed with the loader's options so field names match. */
function agentDescriptor(): string {
  // protobuf.js as @grpc/proto-loader resolves it: the parser the agent's loader uses.
  const requireFromLoader = createRequire(createRequire(import.meta.url).resolve('@grpc/proto-loader'));
  const protobuf = requireFromLoader('protobufjs') as {
    Root: new () => { loadSync(path: string, options: { keepCase?: boolean }): { toJSON(): object } };
  };
  const root = new protobuf.Root().loadSync(AGENT_PROTO_PATH, { keepCase: PROTO_LOADER_OPTIONS.keepCase ?? false });
  return JSON.stringify(root.toJSON());
}

async function bundle(paths: BuildPaths): Promise<string> {
  const outfile = join(paths.workDir, 'podeip.cjs');
  const result = await esbuild.build({
    entryPoints: [join(paths.root, 'cni-plugin/src/sea-main.ts')],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    minifyWhitespace: true,
    minifySyntax: true,
    legalComments: 'none',
    metafile: true,
    logLevel: 'warning',
    // ESM sources use import.meta.url; in the CommonJS bundle it is the executable's own URL.
    banner: { js: 'const __podeipImportMetaUrl = require("node:url").pathToFileURL(__filename).href;' },
    define: { 'import.meta.url': '__podeipImportMetaUrl' },
  });
  writeFileSync(join(paths.workDir, 'meta.json'), JSON.stringify(result.metafile));
  return outfile;
}

function inputsStamp(bundlePath: string, descriptorPath: string): string {
  const nodeBinary = statSync(process.execPath);
  return createHash('sha256')
    .update(readFileSync(bundlePath)).update(readFileSync(descriptorPath))
    .update(`${process.execPath}:${process.version}:${nodeBinary.size}:${nodeBinary.mtimeMs}`)
    .update(readFileSync(fileURLToPath(import.meta.url)))
    .digest('hex');
}

/** false when `strip` (binutils) is not installed: the executable then works, only larger. */
function strip(path: string): boolean {
  try {
    execFileSync('strip', [path], { stdio: 'pipe' });
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw error;
  }
}

/**
 * postject's LIEF (compiled to wasm, logging through console.warn) warns "Can't find string offset
 * for section name" for the .note sections it writes into every Node.js ELF binary, stripped or
 * not; the injected binary runs and is tested. Only those lines are dropped; any other warning shows.
 */
async function withoutLiefNoteWarnings<T>(run: () => Promise<T>): Promise<T> {
  const warn = console.warn;
  console.warn = (...args: unknown[]) => {
    if (!/^warning: Can't find string offset for section name '\.note[^']*'$/.test(String(args[0]))) warn(...args);
  };
  try {
    return await run();
  } finally {
    console.warn = warn;
  }
}

export interface BuildReport { output: string; bytes: number; rebuilt: boolean; steps: Record<string, number> }

export async function buildPlugin(paths: BuildPaths): Promise<BuildReport> {
  const steps: Record<string, number> = {};
  let mark = performance.now();
  const step = (name: string) => { const now = performance.now(); steps[name] = Math.round(now - mark); mark = now; };

  mkdirSync(paths.workDir, { recursive: true });
  mkdirSync(join(paths.output, '..'), { recursive: true });
  const descriptorPath = join(paths.workDir, AGENT_DESCRIPTOR_ASSET);
  writeFileSync(descriptorPath, agentDescriptor());
  step('descriptor');
  const bundlePath = await bundle(paths);
  step('bundle');

  const stamp = inputsStamp(bundlePath, descriptorPath);
  const stampPath = join(paths.workDir, 'stamp');
  if (existsSync(paths.output) && existsSync(stampPath) && readFileSync(stampPath, 'utf8') === stamp) {
    return { output: paths.output, bytes: statSync(paths.output).size, rebuilt: false, steps };
  }

  const blobPath = join(paths.workDir, 'podeip.blob');
  const seaConfigPath = join(paths.workDir, 'sea-config.json');
  writeFileSync(seaConfigPath, JSON.stringify({
    main: bundlePath,
    output: blobPath,
    disableExperimentalSEAWarning: true,
    useCodeCache: true,
    assets: { [AGENT_DESCRIPTOR_ASSET]: descriptorPath },
  }, null, 2));
  execFileSync(process.execPath, ['--experimental-sea-config', seaConfigPath], { stdio: 'pipe' });
  step('seaBlob');

  const staging = `${paths.output}.tmp-${process.pid}`;
  copyFileSync(process.execPath, staging);
  chmodSync(staging, 0o755);
  const stripped = strip(staging);
  step(stripped ? 'strip' : 'strip (not installed: binutils missing, binary left unstripped)');
  await withoutLiefNoteWarnings(() => inject(staging, 'NODE_SEA_BLOB', readFileSync(blobPath), { sentinelFuse: SEA_FUSE }));
  step('postject');
  renameSync(staging, paths.output);
  writeFileSync(stampPath, stamp);
  return { output: paths.output, bytes: statSync(paths.output).size, rebuilt: true, steps };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const started = performance.now();
  const report = await buildPlugin(defaultPaths());
  const total = Math.round(performance.now() - started);
  const steps = Object.entries(report.steps).map(([name, ms]) => `${name} ${ms} ms`).join(', ');
  process.stdout.write(`build:plugin: ${report.output} ${(report.bytes / 1e6).toFixed(1)} MB, ` +
    `${report.rebuilt ? 'rebuilt' : 'unchanged (inputs stamp matches)'} in ${total} ms (${steps})\n`);
}
