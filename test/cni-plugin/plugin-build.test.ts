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

test('the bundle holds neither the cloud SDK nor the agent\'s heavy dependencies', (t) => {
  const meta = JSON.parse(readFileSync(new URL('dist/cni-plugin/sea/meta.json', ROOT), 'utf8')) as { inputs: Record<string, unknown> };
  const inputs = Object.keys(meta.inputs);
  t.true(inputs.some((input) => input.includes('node_modules/@grpc/grpc-js/')), 'grpc-js is bundled');
  // lib/agent-proto.ts loads the .proto from disk with proto-loader; the plugin uses the embedded descriptor.
  for (const forbidden of ['@alicloud', '@darabonba', 'winston', '@kubernetes', 'better-sqlite3', 'agent/src/binding', 'agent/src/cloud', 'lib/agent-proto.ts']) {
    t.deepEqual(inputs.filter((input) => input.includes(forbidden)), [], forbidden);
  }
});

test('the executable needs no node on PATH, no repository and no proto file at run time', async (t) => {
  // env with nothing at all, cwd in a temp dir (run-plugin.ts): the SEA runs on its own.
  const run = await runPlugin({ CNI_COMMAND: 'VERSION' }, '{"cniVersion":"1.0.0"}');
  t.is(run.exitCode, 0, run.stderr);
  t.is(run.stderr, '');
  const binary = readFileSync(fileURLToPath(new URL('dist/bin/podeip', ROOT)));
  t.true(binary.includes('NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2:1'), 'the SEA fuse is flipped');
});
