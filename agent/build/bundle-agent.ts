/**
 * Bundles podeip-agent (agent/src/cli.ts) with esbuild into dist/agent-bundle/, minified, ESM
 * with code splitting so `install-cni` never loads the agent and the agent loads the cloud SDK
 * where main.ts asks for it. Why: node keeps every loaded module's source for lazy compilation,
 * and resolves and reads thousands of files of the SDK and client-node at start; one minified,
 * tree-shaken bundle halves both the agent's memory and its start-up (bench:footprint).
 * better-sqlite3 stays outside: it loads its native addon from its own directory. The cloud SDK
 * clients get only the models of the actions the agent calls (sdkModelsPlugin).
 */
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';
import { PodeipError } from '../../lib/errors.js';

export const AGENT_BUNDLE_ENTRY = 'cli.mjs';

/** The SDK packages whose model index the bundle narrows, by the client name agent/src/cloud uses. */
const SDK_PACKAGES = { vpc: '@alicloud/vpc20160428', ecs: '@alicloud/ecs20140526' } as const;
type SdkName = keyof typeof SDK_PACKAGES;

export class SdkModelMissingError extends PodeipError {
  constructor(message: string) {
    super('SdkModelMissing', message);
  }
}

/**
 * What agent/src/cloud calls of each SDK: actions (`sdk.vpc.<action>WithOptions`) and model
 * classes (`modules.vpc.<Class>`, or `m.<Class>` after `const m = sdk.modules.vpc`).
 */
export function sdkUsage(root: string): Record<SdkName, { actions: Set<string>; models: Set<string> }> {
  const usage = {
    vpc: { actions: new Set<string>(), models: new Set<string>() },
    ecs: { actions: new Set<string>(), models: new Set<string>() },
  };
  const dir = join(root, 'agent/src/cloud');
  for (const file of readdirSync(dir).filter((name) => name.endsWith('.ts'))) {
    const source = readFileSync(join(dir, file), 'utf8');
    for (const [, sdk, method] of source.matchAll(/sdk\.(vpc|ecs)\.(\w+)WithOptions\b/g)) {
      usage[sdk as SdkName].actions.add(method!.charAt(0).toUpperCase() + method!.slice(1));
    }
    for (const [, sdk, model] of source.matchAll(/modules\.(vpc|ecs)\.([A-Z]\w+)/g))
      usage[sdk as SdkName].models.add(model!);
    for (const [, alias, sdk] of source.matchAll(/const (\w+) = sdk\.modules\.(vpc|ecs);/g)) {
      for (const [, model] of source.matchAll(new RegExp(`\\b${alias}\\.([A-Z]\\w+)`, 'g')))
        usage[sdk as SdkName].models.add(model!);
    }
  }
  return usage;
}

/**
 * Each SDK's `models/model.js` loads every model of the product (3,453 files for ECS) and costs
 * tens of MB; the client needs only the models of the actions it calls. This plugin gives the
 * client a model index with just those, and fails the build if a model the agent names is not in it.
 */
function sdkModelsPlugin(root: string): esbuild.Plugin {
  const usage = sdkUsage(root);
  const requireFromRoot = createRequire(join(root, 'package.json'));
  const indexes = new Map<string, string>();
  for (const [sdk, pkg] of Object.entries(SDK_PACKAGES) as Array<[SdkName, string]>) {
    const modelsDir = join(dirname(requireFromRoot.resolve(pkg)), 'models');
    const files = [...usage[sdk].actions].flatMap((action) =>
      ['Request', 'Response', 'ResponseBody'].map((suffix) => join(modelsDir, `${action}${suffix}.js`)),
    );
    const missingFile = files.find((file) => !existsSync(file));
    if (missingFile)
      throw new SdkModelMissingError(
        `${pkg} has no ${missingFile}: agent/src/cloud calls an action this bundler cannot narrow; add its model files here`,
      );
    const exported = new Set(files.flatMap((file) => Object.keys(requireFromRoot(file) as object)));
    const missingModel = [...usage[sdk].models].find((model) => model !== 'default' && !exported.has(model));
    if (missingModel)
      throw new SdkModelMissingError(
        `agent/src/cloud uses ${pkg}'s ${missingModel}, which is not among the models of the actions it calls (${[...usage[sdk].actions].join(', ')})`,
      );
    indexes.set(
      join(modelsDir, 'model.js'),
      `module.exports = Object.assign({}, ${files.map((file) => `require(${JSON.stringify(file)})`).join(', ')});\n`,
    );
  }
  return {
    name: 'podeip-sdk-models',
    setup(build) {
      build.onLoad({ filter: /[\\/]models[\\/]model\.js$/ }, (args) => {
        const contents = indexes.get(args.path);
        return contents === undefined ? undefined : { contents, loader: 'js', resolveDir: dirname(args.path) };
      });
    },
  };
}

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
    plugins: [sdkModelsPlugin(root)],
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
  process.stdout.write(
    `build:agent: ${outdir} ${(bytes / 1e6).toFixed(1)} MB in ${Math.round(performance.now() - started)} ms\n`,
  );
}
