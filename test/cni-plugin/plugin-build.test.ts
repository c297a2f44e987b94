/** What the built executable is made of and what it needs from the host. */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import test from 'ava';
import { PLUGIN_VERSION } from '../../cni-plugin/src/plugin-version.js';
import { runPlugin } from './run-plugin.js';

const ROOT = new URL('../../../', import.meta.url);

test('the plugin reports the package version as client_version', (t) => {
  const pkg = JSON.parse(readFileSync(new URL('package.json', ROOT), 'utf8')) as { version: string };
  t.is(PLUGIN_VERSION, pkg.version);
});

test("the bundle holds neither the cloud SDK nor the agent's heavy dependencies", (t) => {
  const meta = JSON.parse(readFileSync(new URL('dist/cni-plugin/exe/meta.json', ROOT), 'utf8')) as {
    inputs: Record<string, unknown>;
  };
  const inputs = Object.keys(meta.inputs);
  t.true(
    inputs.some((input) => input.endsWith('cni-plugin/src/grpc-unary.ts')),
    "the plugin's own gRPC client is bundled",
  );
  // lib/agent-proto.ts loads the .proto from disk with proto-loader; the plugin uses the embedded descriptor.
  // grpc-js: the plugin's own unary client (grpc-unary.ts) starts far faster.
  for (const forbidden of [
    '@grpc/grpc-js',
    '@grpc/proto-loader',
    '@alicloud',
    '@darabonba',
    'winston',
    '@kubernetes',
    'better-sqlite3',
    'agent/src/binding',
    'agent/src/cloud',
    'lib/agent-proto.ts',
  ]) {
    t.deepEqual(
      inputs.filter((input) => input.includes(forbidden)),
      [],
      forbidden,
    );
  }
});

test('the executable needs no node on PATH, no repository and no proto file at run time', async (t) => {
  // env with nothing at all, cwd in a temp dir (run-plugin.ts): the executable runs on its own.
  const run = await runPlugin({ CNI_COMMAND: 'VERSION' }, '{"cniVersion":"1.0.0"}');
  t.is(run.exitCode, 0, run.stderr);
  t.is(run.stderr, '');
  const binary = readFileSync(fileURLToPath(new URL('dist/bin/podeip', ROOT)));
  // Bun's standalone trailer closes the compiled-in program near the end of the file.
  t.true(binary.lastIndexOf('\n---- Bun! ----\n') > binary.length - 1024 * 1024, 'a compiled Bun executable');
  t.true(binary.includes('podeip.v1.Agent'), 'the agent contract is compiled in');
});
