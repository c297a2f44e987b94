/**
 * The cloud calls made on behalf of one binding operation (attach, detach, release), collected
 * through async context so the operation's one info log line can carry their RequestIds and
 * durations without threading a collector through every layer.
 */
import { AsyncLocalStorage } from 'node:async_hooks';

export interface TracedCall {
  action: string;
  requestId: string;
  code: string;
  durationMs: number;
}

const current = new AsyncLocalStorage<TracedCall[]>();

/** Runs `work` collecting the calls made inside it into `calls`. */
export function traceCalls<T>(calls: TracedCall[], work: () => Promise<T>): Promise<T> {
  return current.run(calls, work);
}

export function recordCall(call: TracedCall): void {
  current.getStore()?.push(call);
}

/** "AllocateEipAddress 212ms 5E3C...; AssociateEipAddress 98ms 7A1B..." for a log field. */
export function describeCalls(calls: TracedCall[]): string {
  return calls
    .map(
      (c) =>
        `${c.action} ${Math.round(c.durationMs)}ms ${c.code === 'Success' ? '' : `${c.code} `}${c.requestId || '-'}`,
    )
    .join('; ');
}
