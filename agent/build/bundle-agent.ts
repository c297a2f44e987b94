/**
 * Bundles podeip-agent (agent/src/cli.ts) with esbuild into dist/agent-bundle/, minified, ESM
 * with code splitting so `install-cni` never loads the agent and the agent loads the cloud SDK
 * where main.ts asks for it. Why: node keeps every loaded module's source for lazy compilation,
 * and resolves and reads thousands of files of the SDK and client-node at start; one minified,
 * tree-shaken bundle halves both the agent's memory and its start-up (bench:footprint).
 * better-sqlite3 stays outside: it loads its native addon from its own directory.
 */
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';

export const AGENT_BUNDLE_ENTRY = 'cli.mjs';

export async function bundleAgent(root: string): Promise<{ outdir: string; bytes: number }> {
  const outdir = join(root, 'dist/agent-bundle');
  rmSync(outdir, { recursive: true, force: true });
  const result = await esbuild.build({
    entryPoints: { cli: join(root, 'agent/src/cli.ts') },
    outdir,
    outExtension: { '.js': '.mjs' },
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    minify: true,
    legalComments: 'none',
    metafile: true,
    logLevel: 'warning',
    external: ['better-sqlite3'],
    // CommonJS dependencies call require() and read __dirname; in an ES module they need these.
    banner: {
      js: [
        "import { createRequire as __podeipCreateRequire } from 'node:module';",
        "import { dirname as __podeipDirname } from 'node:path';",
        "import { fileURLToPath as __podeipFileUrlToPath } from 'node:url';",
        'const require = __podeipCreateRequire(import.meta.url);',
        'const __filename = __podeipFileUrlToPath(import.meta.url);',
        'const __dirname = __podeipDirname(__filename);',
      ].join('\n'),
    },
  });
  writeFileSync(join(root, 'dist/agent-bundle.meta.json'), JSON.stringify(result.metafile));
  const bytes = Object.values(result.metafile.outputs).reduce((sum, output) => sum + output.bytes, 0);
  return { outdir, bytes };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const started = performance.now();
  const { outdir, bytes } = await bundleAgent(fileURLToPath(new URL('../../../', import.meta.url)));
  process.stdout.write(`build:agent: ${outdir} ${(bytes / 1e6).toFixed(1)} MB in ${Math.round(performance.now() - started)} ms\n`);
}
