import test from 'ava';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { FailpointSpecError, parseFailpoints } from '../../lib/failpoint.js';

test('failpoint specs parse hit counts and delays, and bad ones name the entry', (t) => {
  t.deepEqual(
    [...parseFailpoints('journal:allocating, cloud:AllocateEipAddress:send#3@250')],
    [
      ['journal:allocating', { remainingHits: 1, delayMs: 0 }],
      ['cloud:AllocateEipAddress:send', { remainingHits: 3, delayMs: 250 }],
    ],
  );
  t.is(parseFailpoints(undefined).size, 0);
  const error = t.throws(() => parseFailpoints('ok,bad name#0'));
  t.true(error instanceof FailpointSpecError);
  t.regex(error.message, /"bad name#0"/);
});

const failpointModule = fileURLToPath(new URL('../../lib/failpoint.js', import.meta.url));

function runWith(spec: string | undefined): { status: number | null; signal: NodeJS.Signals | null; stdout: string } {
  const script = `import { failpoint } from ${JSON.stringify(failpointModule)};
for (let i = 1; i <= 3; i++) { failpoint('step'); console.log('passed ' + i); }`;
  const result = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
    env: { ...process.env, PODEIP_FAILPOINTS: spec ?? '' },
    encoding: 'utf8',
  });
  return { status: result.status, signal: result.signal, stdout: result.stdout };
}

test('an armed failpoint kills the process with SIGKILL at the chosen hit; unarmed it does nothing', (t) => {
  t.deepEqual(runWith(undefined), { status: 0, signal: null, stdout: 'passed 1\npassed 2\npassed 3\n' });
  t.deepEqual(runWith('step#2'), { status: null, signal: 'SIGKILL', stdout: 'passed 1\n' });
  t.deepEqual(runWith('other'), { status: 0, signal: null, stdout: 'passed 1\npassed 2\npassed 3\n' });
});
