/**
 * A signal that fires when any parent signal does, or when `ms` have passed.
 *
 * Not `AbortSignal.any([...parents, AbortSignal.timeout(ms)])`: the composite holds its sources
 * only weakly, and a timeout signal with no listener of its own is collectable, so on Node 20 a
 * garbage collection before the timer fires cancels it and the deadline never comes. Here the
 * timer is a plain setTimeout, which the event loop holds until it fires or `clear()` runs, and
 * the parents hold the controller through their listeners. Call `clear()` once the guarded work
 * is over: it stops the timer and unhooks the parents.
 */
export interface Deadline {
  readonly signal: AbortSignal;
  clear(): void;
}

/** The reason a deadline aborts with: what AbortSignal.timeout gives, so callers see no difference. */
export function timeoutReason(ms: number): DOMException {
  return new DOMException(`The operation was aborted due to timeout (${ms} ms)`, 'TimeoutError');
}

/** `reason` makes the timeout's abort reason (default: a TimeoutError DOMException). */
export function deadline(
  parents: readonly AbortSignal[],
  ms: number,
  reason: () => unknown = () => timeoutReason(ms),
): Deadline {
  const controller = new AbortController();
  const unhook: (() => void)[] = [];
  const clear = (): void => {
    clearTimeout(timer);
    for (const f of unhook.splice(0)) f();
  };
  const abort = (reason: unknown): void => {
    clear();
    controller.abort(reason);
  };
  // Unref'd like AbortSignal.timeout's: a pending deadline alone does not keep the process up.
  const timer = setTimeout(() => abort(reason()), Math.max(0, ms));
  timer.unref();
  for (const parent of parents) {
    if (parent.aborted) {
      abort(parent.reason);
      break;
    }
    const onAbort = (): void => abort(parent.reason);
    parent.addEventListener('abort', onAbort, { once: true });
    unhook.push(() => parent.removeEventListener('abort', onAbort));
  }
  return { signal: controller.signal, clear };
}
