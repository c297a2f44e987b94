/**
 * The one driver of binding rows: given a goal, it runs the step for the row's state until the
 * row is there. Attach drives to 'bound', Detach to 'unbound', the end of a pod to 'gone', and a
 * restart carries each row that was in the middle of a cloud call to its next resting state
 * (RESUME_GOALS). Each step makes one transition of the table in state-machine.ts.
 */
import type { BindingRow, BindingState } from '../store/journal.js';
import { acquire, recoverAllocation } from './allocation.js';
import { associate, confirmAssociation, publish } from './attach.js';
import type { BindingContext, DriveNotes } from './context.js';
import { dropPending, forgetUnassociated, unbindRow } from './detach.js';
import { BindingError } from '../domain/errors.js';
import { finish } from './release.js';

export type Goal = 'allocated' | 'bound' | 'unbound' | 'gone';

type Step = (ctx: BindingContext, row: BindingRow, signal: AbortSignal, notes: DriveNotes) => Promise<BindingRow>;
type Steps = Partial<Record<BindingState, Step>>;

const TO_UNBOUND: Steps = {
  pending: dropPending,
  allocating: recoverAllocation,
  allocated: forgetUnassociated,
  associating: unbindRow,
  bound: unbindRow,
  unbinding: unbindRow,
};

/** The step for each state on the way to each goal; a state with no step is where the driver stops. */
const STEPS: Record<Goal, Steps> = {
  allocated: { allocating: recoverAllocation },
  bound: {
    pending: acquire,
    allocating: recoverAllocation,
    allocated: associate,
    unbound: associate,
    associating: confirmAssociation,
    unbinding: unbindRow,
  },
  unbound: TO_UNBOUND,
  // The pod has left: unbind, then release or keep per strategy (release.ts).
  gone: { ...TO_UNBOUND, unbound: finish, releasing: finish },
};

/** A restart resumes the states that announce a cloud call; bound rows are checked by republish.ts. */
export function resumeGoal(state: BindingState): Goal | undefined {
  switch (state) {
    case 'allocating':
      return 'allocated';
    case 'associating':
      return 'bound';
    case 'unbinding':
      return 'unbound';
    case 'releasing':
      return 'gone';
    default:
      return undefined; // bound, and pending, allocated, unbound: the runtime's ADD (or DEL) carries them on.
  }
}

/** More steps than any path through the table takes (pending to bound with a conflict is six). */
const MAX_STEPS = 12;

export async function drive(
  ctx: BindingContext,
  start: BindingRow,
  goal: Goal,
  signal: AbortSignal,
): Promise<BindingRow> {
  let row = start;
  const notes: DriveNotes = {};
  for (let step = 0; step < MAX_STEPS; step++) {
    signal.throwIfAborted();
    const next = STEPS[goal][row.state];
    if (!next) return arrive(ctx, row, goal, signal, notes);
    row = await next(ctx, row, signal, notes);
  }
  throw new BindingError(
    'Internal',
    `binding of ${row.namespace}/${row.podName} did not settle (state ${row.state}, goal ${goal})`,
  );
}

/** 'bound' is reached only when published; a row that cannot be bound (releasing, gone, failed) is refused. */
async function arrive(
  ctx: BindingContext,
  row: BindingRow,
  goal: Goal,
  signal: AbortSignal,
  notes: DriveNotes,
): Promise<BindingRow> {
  if (goal !== 'bound') return row;
  if (row.state !== 'bound') {
    throw new BindingError(
      'Internal',
      `binding of ${row.namespace}/${row.podName} is ${row.state}; it cannot be attached again`,
    );
  }
  await publish(ctx, row, signal, notes);
  return row;
}
