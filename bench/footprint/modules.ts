/**
 * Where the agent's memory and start-up go, by package: each package the agent loads is imported
 * alone in a fresh node process, once from node_modules as tsc's output loads it and once through
 * a minified esbuild bundle as the agent now loads it. Printed: RSS added, V8 heap used after a
 * full GC, and the import time. Prints figures; asserts nothing.
 *
 *   node dist/bench/footprint/modules.js
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const PACKAGES = [
  '@kubernetes/client-node',
  '@alicloud/vpc20160428',
  '@alicloud/ecs20140526',
  '@alicloud/openapi-core',
  '@alicloud/credentials',
  '@grpc/grpc-js',
  '@grpc/proto-loader',
  'better-sqlite3',
  'winston',
  'prom-client',
  'zod',
  'yaml',
];

interface Load {
  rssMiB: number;
  heapMiB: number;
  ms: number;
}

const PROBE = `
const before = process.memoryUsage().rss;
const started = performance.now();
await import(process.argv[1]);
const ms = performance.now() - started;
globalThis.gc();
const after = process.memoryUsage();
process.stdout.write(JSON.stringify({ rssMiB: (after.rss - before) / 1048576, heapMiB: after.heapUsed / 1048576, ms }));
`;

function load(specifier: string, cwd: string): Load {
  const out = execFileSync(process.execPath, ['--expose-gc', '--input-type=module', '-e', PROBE, specifier], {
    cwd,
    encoding: 'utf8',
  });
  return JSON.parse(out) as Load;
}

async function bundled(pkg: string, dir: string): Promise<string> {
  const entry = join(ROOT, `.footprint-entry-${process.pid}.mjs`); // inside the repo so node_modules resolves
  writeFileSync(entry, `export * from '${pkg}';\n`);
  const outfile = join(dir, `${pkg.replace(/[@/]/g, '_')}.mjs`);
  try {
    await esbuild.build({
      entryPoints: [entry],
      outfile,
      bundle: true,
      format: 'esm',
      platform: 'node',
      target: 'node20',
      minify: true,
      logLevel: 'error',
      external: ['better-sqlite3'],
      banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
    });
  } finally {
    rmSync(entry, { force: true });
  }
  return outfile;
}

const fmt = (value: number) => value.toFixed(1).padStart(7);

async function main(): Promise<void> {
  // Inside the repository, so a bundle's external better-sqlite3 resolves from node_modules.
  const dir = mkdtempSync(join(ROOT, 'dist', '.footprint-modules-'));
  try {
    process.stdout.write(
      '| package | RSS added, node_modules | RSS added, bundled | heap used, node_modules | heap used, bundled | import ms, node_modules | import ms, bundled |\n|---|---:|---:|---:|---:|---:|---:|\n',
    );
    for (const pkg of PACKAGES) {
      const plain = load(pkg, ROOT);
      const packed = load(await bundled(pkg, dir), ROOT);
      process.stdout.write(
        `| ${pkg} | ${fmt(plain.rssMiB)} MiB | ${fmt(packed.rssMiB)} MiB | ${fmt(plain.heapMiB)} MiB | ${fmt(packed.heapMiB)} MiB | ${fmt(plain.ms)} | ${fmt(packed.ms)} |\n`,
      );
    }
    const bare = load('node:os', ROOT);
    process.stdout.write(`(a bare node process: heap used ${bare.heapMiB.toFixed(1)} MiB)\n`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
