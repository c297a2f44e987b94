/**
 * Builds `dist/bin/podeip`, the CNI plugin as one executable that needs nothing on the host:
 * `bun build --compile` of cni-plugin/src/main.ts, with the agent contract compiled in and the
 * code as precompiled bytecode. Bun comes from npm (@oven/bun-linux-<arch>, an optional
 * dependency pinned in package-lock.json), so `npm ci` builds it offline from its cache.
 * Why Bun and not a Node single-executable application: the plugin runs for every pod, three
 * times, and a Bun executable starts in about a third of `node -e 0` (bench:footprint).
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AGENT_PROTO_PATH, PROTO_LOADER_OPTIONS } from '../../lib/agent-proto.js';

export interface BuildPaths {
  root: string;
  /** Intermediate files: descriptor, metafile. */
  workDir: string;
  output: string;
}

export function defaultPaths(): BuildPaths {
  const root = fileURLToPath(new URL('../../../', import.meta.url));
  return { root, workDir: join(root, 'dist/cni-plugin/exe'), output: join(root, 'dist/bin/podeip') };
}

export class BunMissingError extends Error {
  readonly code = 'BunMissing';
}

/** The Bun binary of the optional dependency for this machine's architecture. */
export function bunBinary(): string {
  const arch = process.arch === 'arm64' ? 'aarch64' : process.arch;
  const name = `@oven/bun-linux-${arch}`;
  try {
    return join(createRequire(import.meta.url).resolve(`${name}/package.json`), '..', 'bin', 'bun');
  } catch {
    throw new BunMissingError(
      `${name} is not installed: the plugin is compiled with Bun on Linux x64 or arm64 (glibc); run \`npm ci\` on such a machine`,
    );
  }
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

export interface BuildReport {
  output: string;
  bytes: number;
  steps: Record<string, number>;
}

export function buildPlugin(paths: BuildPaths): BuildReport {
  const steps: Record<string, number> = {};
  let mark = performance.now();
  const step = (name: string) => {
    const now = performance.now();
    steps[name] = Math.round(now - mark);
    mark = now;
  };

  mkdirSync(paths.workDir, { recursive: true });
  mkdirSync(join(paths.output, '..'), { recursive: true });
  const descriptor = agentDescriptor();
  writeFileSync(join(paths.workDir, 'agent-descriptor.json'), descriptor);
  step('descriptor');

  const staging = `${paths.output}.tmp-${process.pid}`;
  execFileSync(
    bunBinary(),
    [
      'build',
      join(paths.root, 'cni-plugin/src/main.ts'),
      '--compile',
      '--bytecode',
      '--minify',
      '--target=bun',
      // A plugin's behaviour must not depend on files in whatever working dir the runtime gives it.
      '--no-compile-autoload-dotenv',
      '--no-compile-autoload-bunfig',
      `--define=PODEIP_AGENT_DESCRIPTOR=${JSON.stringify(descriptor)}`,
      `--metafile=${join(paths.workDir, 'meta.json')}`,
      `--outfile=${staging}`,
    ],
    { cwd: paths.root, stdio: 'pipe' },
  );
  renameSync(staging, paths.output);
  step('compile');
  return { output: paths.output, bytes: statSync(paths.output).size, steps };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const started = performance.now();
  const report = buildPlugin(defaultPaths());
  const total = Math.round(performance.now() - started);
  const steps = Object.entries(report.steps)
    .map(([name, ms]) => `${name} ${ms} ms`)
    .join(', ');
  process.stdout.write(
    `build:plugin: ${report.output} ${(report.bytes / 1e6).toFixed(1)} MB in ${total} ms (${steps})\n`,
  );
}
