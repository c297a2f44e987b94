/**
 * The binding state machine in one table: for each journal state and event, the next state, the
 * cloud or Kubernetes step around it and the journal write that comes first. Every state change
 * of a binding row goes through `transition()` (or `begin()` for a new row), which refuses a pair
 * the table does not list, so the table is what the code does. docs/architecture.md shows it
 * (`renderTransitionTable()`; a test keeps the two equal).
 *
 * The rule the table encodes: a state that announces a cloud write (allocating, associating,
 * unbinding, releasing) is journaled before that write goes out, so a restart knows what may be
 * in flight and resumes it (driver.ts).
 */
import type { BindingPatch, BindingRow, BindingState, NewBinding } from '../store/journal.js';
import type { BindingContext } from './context.js';
import { BindingError } from '../domain/errors.js';

export type BindingEvent =
  | 'add'
  | 'adopt'
  | 'eip-found'
  | 'allocate'
  | 'allocated'
  | 'already-bound'
  | 'associate'
  | 'associated'
  | 'unbind'
  | 'unbound'
  | 'dropped'
  | 'give-back'
  | 'release'
  | 'released'
  | 'recycled'
  | 'kept'
  | 'refused';

export interface Transition {
  /** The states the event applies in; empty for the events that insert a row. */
  from: readonly BindingState[];
  event: BindingEvent;
  to: BindingState;
  /** The cloud or Kubernetes calls that get the row there. */
  step: string;
  /** What the journal holds before those calls go out. */
  journalFirst: string;
}

export const TRANSITIONS: readonly Transition[] = [
  {
    from: [],
    event: 'add',
    to: 'pending',
    step: 'none (the plan is made from the pod and its annotations)',
    journalFirst: 'the row: pod, sandbox, mode, strategy, ClientToken, allocation parameters',
  },
  {
    from: [],
    event: 'adopt',
    to: 'bound',
    step: 'GET PodEIP, DescribeEipAddresses, DescribeNetworkInterfaces, TagResources (ownership, binding mark)',
    journalFirst: 'nothing: the calls only verify and tag an EIP already InUse on the pod IP',
  },
  {
    from: ['pending'],
    event: 'eip-found',
    to: 'allocated',
    step: 'static: DescribeEipAddresses; fixed: GET PodEIP, DescribeEipAddresses (ownership tags)',
    journalFirst: 'pending (nothing is created)',
  },
  {
    from: ['pending'],
    event: 'allocate',
    to: 'allocating',
    step: 'none: this write announces the allocation',
    journalFirst: 'allocating, with the ClientToken',
  },
  {
    from: ['allocating'],
    event: 'allocated',
    to: 'allocated',
    step: "ListTagResources by the pod's tags (recovery), warm pool take (TagResources), or AllocateEipAddress with the row's ClientToken",
    journalFirst: 'allocating',
  },
  {
    from: ['allocated', 'unbound'],
    event: 'already-bound',
    to: 'bound',
    step: 'DescribeNetworkInterfaces (cached), DescribeEipAddresses: InUse on the pod IP already',
    journalFirst: 'allocated or unbound',
  },
  {
    from: ['allocated', 'unbound'],
    event: 'associate',
    to: 'associating',
    step: 'grant check (static), conflict resolution, TagResources (binding mark), PodEIP create or patch; then AssociateEipAddress',
    journalFirst: 'associating, with the ENI',
  },
  {
    from: ['associating'],
    event: 'associated',
    to: 'bound',
    step: 'wait until InUse on the pod IP (DescribeEipAddresses); then PodEIP status, pod annotation and condition, Event',
    journalFirst: 'associating',
  },
  {
    from: ['associating', 'bound', 'unbinding'],
    event: 'unbind',
    to: 'unbinding',
    step: 'none: this write announces UnassociateEipAddress',
    journalFirst: 'unbinding',
  },
  {
    from: ['unbinding'],
    event: 'unbound',
    to: 'unbound',
    step: 'UnassociateEipAddress, wait until the EIP no longer points at the pod IP',
    journalFirst: 'unbinding',
  },
  {
    from: ['allocated'],
    event: 'unbound',
    to: 'unbound',
    step: 'none: never associated (associating is journaled before every AssociateEipAddress)',
    journalFirst: 'allocated',
  },
  {
    from: ['pending'],
    event: 'dropped',
    to: 'gone',
    step: 'none: the sandbox went before an EIP was taken',
    journalFirst: 'pending',
  },
  {
    from: ['allocated', 'unbound'],
    event: 'give-back',
    to: 'releasing',
    step: 'none: this write announces ReleaseEipAddress of an EIP the cloud refused to serve this pod',
    journalFirst: 'releasing, without the bandwidth package',
  },
  {
    from: ['unbound', 'releasing'],
    event: 'release',
    to: 'releasing',
    step: 'none: this write announces the release',
    journalFirst: 'releasing',
  },
  {
    from: ['releasing'],
    event: 'released',
    to: 'gone',
    step: 'DescribeEipAddresses (ownership tags, unbound), RemoveFromBandwidthPackage, ReleaseEipAddress, wait until gone; PodEIP delete',
    journalFirst: 'releasing',
  },
  {
    from: ['releasing'],
    event: 'recycled',
    to: 'gone',
    step: 'warm pool recycle (pool_eips row returning: TagResources pool tag, UnTagResources pod tags); PodEIP delete',
    journalFirst: 'releasing',
  },
  {
    from: ['unbound', 'releasing'],
    event: 'kept',
    to: 'gone',
    step: 'not released: fixed Never/TTL (PodEIP status), static (PodEIP delete), held by a newer row, in the warm pool, or not ours to release',
    journalFirst: 'unbound or releasing',
  },
  {
    from: ['pending', 'allocating', 'allocated', 'unbound', 'associating', 'releasing'],
    event: 'refused',
    to: 'failed',
    step: 'none: the EIP is missing, over quota, refused by the cloud, or given back',
    journalFirst: 'the row with its last error',
  },
];

/** The states `event` moves a `from` row to, or undefined when the table has no such pair. */
export function nextState(from: BindingState | undefined, event: BindingEvent): BindingState | undefined {
  return TRANSITIONS.find(
    (t) => t.event === event && (from === undefined ? t.from.length === 0 : t.from.includes(from)),
  )?.to;
}

function refuse(row: Pick<BindingRow, 'namespace' | 'podName'>, from: string, event: BindingEvent): never {
  throw new BindingError(
    'Internal',
    `binding of ${row.namespace}/${row.podName} cannot take event ${event} in state ${from}`,
  );
}

/** Writes the row's next state for `event` (with `patch`), checked against the table and the row as stored. */
export function transition(
  ctx: Pick<BindingContext, 'journal'>,
  row: BindingRow,
  event: BindingEvent,
  patch: Omit<BindingPatch, 'state'> = {},
): BindingRow {
  const stored = ctx.journal.get(row.id);
  if (!stored)
    throw new BindingError('Internal', `journal row ${row.id} of ${row.namespace}/${row.podName} does not exist`);
  const to = nextState(stored.state, event) ?? refuse(row, stored.state, event);
  return ctx.journal.update(row.id, { ...patch, state: to });
}

/** Inserts a new row in the state `event` starts it in (add: pending; adopt: bound). */
export function begin(
  ctx: Pick<BindingContext, 'journal'>,
  row: Omit<NewBinding, 'state'>,
  event: 'add' | 'adopt',
): BindingRow {
  const to = nextState(undefined, event) ?? refuse(row, 'none', event);
  return ctx.journal.insert({ ...row, state: to });
}

/** The table as Markdown, for docs/architecture.md. */
export function renderTransitionTable(): string {
  const lines = ['| from | event | to | step | journal first |', '|---|---|---|---|---|'];
  for (const t of TRANSITIONS) {
    lines.push(
      `| ${t.from.length ? t.from.join(', ') : '(new row)'} | ${t.event} | ${t.to} | ${t.step} | ${t.journalFirst} |`,
    );
  }
  return lines.join('\n');
}
