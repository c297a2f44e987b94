/**
 * The transition table against the code and the docs: transition() writes only the pairs the
 * table lists, no binding source writes a state any other way, and docs/architecture.md shows
 * the table as the code holds it.
 */
import test from 'ava';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Journal, BINDING_STATES } from '../../../agent/src/store/journal.js';
import { BindingError } from '../../../agent/src/domain/errors.js';
import {
  begin,
  nextState,
  renderTransitionTable,
  transition,
  TRANSITIONS,
} from '../../../agent/src/binding/state-machine.js';
import { repoPath } from '../../manifests/repo.js';
import { newBinding } from '../store/new-binding.js';

test("transition() writes the table's next state with the patch, judged by the row as stored", (t) => {
  const journal = Journal.open(mkdtempSync(join(tmpdir(), 'podeip-sm-')));
  t.teardown(() => journal.close());
  const ctx = { journal };
  const row = begin(ctx, newBinding(), 'add');
  t.is(row.state, 'pending');
  const allocating = transition(ctx, row, 'allocate');
  t.is(allocating.state, 'allocating');
  // The caller's copy is stale (pending); the stored row (allocating) decides.
  const allocated = transition(ctx, row, 'allocated', { allocationId: 'eip-1', address: '47.0.0.1' });
  t.like(journal.get(row.id), { state: 'allocated', allocationId: 'eip-1', address: '47.0.0.1' });
  t.is(allocated.state, 'allocated');
});

test('transition() refuses a pair the table does not list and leaves the row as it was', (t) => {
  const journal = Journal.open(mkdtempSync(join(tmpdir(), 'podeip-sm-')));
  t.teardown(() => journal.close());
  const ctx = { journal };
  const row = begin(ctx, newBinding(), 'adopt');
  t.is(row.state, 'bound');
  const err = t.throws(() => transition(ctx, row, 'allocate'), { instanceOf: BindingError });
  t.is(err?.code, 'Internal');
  t.regex(err?.message ?? '', /cannot take event allocate in state bound/);
  t.is(journal.get(row.id)?.state, 'bound');
});

test('every state but the terminal ones has a way out, and every state is reached', (t) => {
  for (const state of BINDING_STATES) {
    const reached = TRANSITIONS.some((tr) => tr.to === state);
    t.true(reached, `${state} is reached by some event`);
    const leaves = TRANSITIONS.some((tr) => tr.from.includes(state));
    t.is(leaves, state !== 'gone' && state !== 'failed', `${state} ${leaves ? 'has' : 'has no'} way out`);
  }
  t.is(nextState('bound', 'unbind'), 'unbinding');
  t.is(nextState(undefined, 'unbind'), undefined);
});

/** Every binding source file, so a state written around transition() is found. */
function bindingSources(): string[] {
  const dirs = [repoPath('agent', 'src', 'binding'), repoPath('agent', 'src', 'gc'), repoPath('agent', 'src', 'pool')];
  return dirs.flatMap((dir) =>
    readdirSync(dir)
      .filter((f) => f.endsWith('.ts'))
      .map((f) => join(dir, f)),
  );
}

test('no source writes a binding state except through the state machine', (t) => {
  const offenders: string[] = [];
  for (const file of bindingSources()) {
    if (file.endsWith('state-machine.ts')) continue;
    const source = readFileSync(file, 'utf8');
    for (const call of source.matchAll(/journal\.(update|insert)\(([^;]*)/g)) {
      if (/\bstate\s*:/.test(call[2]!)) offenders.push(`${file}: ${call[0].slice(0, 80)}`);
    }
  }
  t.deepEqual(offenders, []);
});

test('docs/architecture.md shows the transition table as the code holds it', (t) => {
  const doc = readFileSync(repoPath('docs', 'architecture.md'), 'utf8');
  t.true(
    doc.includes(renderTransitionTable()),
    'regenerate the table in docs/architecture.md ("Journal") from renderTransitionTable()',
  );
});
