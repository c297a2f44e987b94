/**
 * Every command's --help goes to stdout with exit 0 and names every flag of its parser table; a
 * mistyped flag is named with the closest real one (exit 2, or 1 for install-cni, which logs JSON).
 */
import test from 'ava';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { AGENT_COMMAND, CHECK_CONFIG_COMMAND } from '../../agent/src/cli.js';
import { PODEIPCTL } from '../../agent/src/ctl/cli.js';
import { INSTALL_COMMAND, UNINSTALL_COMMAND } from '../../agent/src/installer/cli.js';
import { CLOUD_SIM_COMMAND } from '../../sim/cloud/cli.js';
import { KUBE_SIM_COMMAND } from '../../sim/kube/cli.js';
import { UP_COMMAND } from '../../sim/stack/up.js';
import type { CommandSpec } from '../../lib/cli.js';

const bin = (name: string): string => fileURLToPath(new URL(`../../../bin/${name}`, import.meta.url));

function run(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, args, { timeout: 30_000 }, (err, stdout, stderr) =>
      resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

const COMMANDS: Array<[string[], CommandSpec]> = [
  [[bin('podeip-agent')], AGENT_COMMAND],
  [[bin('podeip-agent'), 'check-config'], CHECK_CONFIG_COMMAND],
  [[bin('podeip-agent'), 'install-cni'], INSTALL_COMMAND],
  [[bin('podeip-agent'), 'uninstall-cni'], UNINSTALL_COMMAND],
  [[bin('podeipctl')], PODEIPCTL],
  [[bin('podeip-sim'), 'cloud'], CLOUD_SIM_COMMAND],
  [[bin('podeip-sim'), 'kube'], KUBE_SIM_COMMAND],
  [[bin('podeip-sim'), 'up'], UP_COMMAND],
];

for (const [argv, spec] of COMMANDS) {
  test(`${spec.command} --help: stdout, exit 0, every flag described`, async (t) => {
    const result = await run([...argv, '--help']);
    t.is(result.code, 0, result.stderr);
    t.is(result.stderr, '');
    t.true(result.stdout.startsWith(`usage: ${spec.command}`));
    for (const [flag, def] of Object.entries(spec.flags)) {
      t.regex(
        result.stdout,
        new RegExp(`--${flag}\\b.*${def.help.slice(0, 20).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`),
        `--${flag} is described`,
      );
    }
  });

  const first = Object.keys(spec.flags)[0];
  if (first && first.length > 3) {
    test(`${spec.command}: a mistyped flag is named with the closest one`, async (t) => {
      const typo = `--${first.slice(0, -1)}x`;
      const result = await run([...argv, typo]);
      t.not(result.code, 0);
      t.regex(result.stdout + result.stderr, new RegExp(`unknown flag ${typo}; did you mean --${first}\\?`));
      t.notRegex(result.stderr, /\n\s+at /, 'no stack trace');
    });
  }
}

test('podeip-sim --help lists its commands on stdout; a wrong command gets a suggestion', async (t) => {
  const help = await run([bin('podeip-sim'), '--help']);
  t.is(help.code, 0);
  for (const sub of ['up', 'cloud', 'kube']) t.regex(help.stdout, new RegExp(`^  ${sub} `, 'm'));
  const wrong = await run([bin('podeip-sim'), 'kub']);
  t.is(wrong.code, 2);
  t.regex(wrong.stderr, /unknown command "kub"; did you mean kube\?/);
});

test('podeipctl without an agent names the socket it tried and how to point elsewhere, without gRPC leftovers', async (t) => {
  const result = await run([bin('podeipctl'), '--socket', '/nonexistent/agent.sock', '--timeout', '1']);
  t.is(result.code, 2);
  t.regex(result.stderr, /no podeip-agent answered on \/nonexistent\/agent\.sock/);
  t.regex(result.stderr, /--socket PATH or PODEIP_SOCKET=PATH/);
  t.notRegex(result.stderr, /Resolution note/);
});

test('check-config lists every problem in one pass with did-you-mean, exit 1, no stack trace', async (t) => {
  const { mkdtemp, writeFile } = await import('node:fs/promises');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const file = join(await mkdtemp(join(tmpdir(), 'podeip-check-')), 'bad.yaml');
  await writeFile(file, 'clusterID: c\nregionID: Hangzhou\nallowEIPRob: true\nagent: {socketPth: /x}\n');
  const result = await run([bin('podeip-agent'), 'check-config', file]);
  t.is(result.code, 1);
  t.regex(result.stderr, /4 problems/);
  t.regex(result.stderr, /regionID: expected a region id/);
  t.regex(result.stderr, /allowEIPRob: unknown key; did you mean allowEipRob\?/);
  t.regex(result.stderr, /agent\.socketPth: unknown key in agent; did you mean agent\.socketPath\?/);
  t.regex(result.stderr, /vpcID: required/, 'the missing vpcID comes in the same pass');
  t.notRegex(result.stderr, /\n\s+at /);
  const good = await run([
    bin('podeip-agent'),
    'check-config',
    fileURLToPath(new URL('../../../manifests/overlays/example/config.yaml', import.meta.url)),
  ]);
  t.is(good.code, 0, good.stderr);
  t.regex(good.stdout, /: ok$/m);
});
