import { z } from 'zod';
import { parseWith } from './config-file.js';
import { CloudApiError, SimConfigError } from './errors.js';

const probability = z.number().min(0, 'a probability is between 0 and 1').max(1, 'a probability is between 0 and 1');

const actionFaultsSchema = z
  .object({
    /** Tried in order; the first that fires is returned instead of running the action. */
    errors: z
      .array(
        z
          .object({
            code: z.string().min(1),
            status: z.number().int().min(400).max(599),
            probability,
            message: z.string().optional(),
            retryAfterMs: z.number().int().min(0).optional(),
          })
          .strict(),
      )
      .default([]),
    latencyMs: z.number().int().min(0).default(0),
    /** The connection is destroyed before anything happens: the cloud is unreachable. */
    dropProbability: probability.default(0),
    /** The action takes effect, then the connection is destroyed without an answer. */
    commitThenDropProbability: probability.default(0),
  })
  .strict();

export type ActionFaults = z.output<typeof actionFaultsSchema>;
export type FaultTable = Record<string, ActionFaults>;

const tableSchema = z.record(z.string(), actionFaultsSchema);

/** Validates a faults document; keys are action names or "*" for every action without its own entry. */
export function resolveFaults(value: unknown, knownActions: readonly string[], source: string): FaultTable {
  const table = parseWith(tableSchema, value, source);
  const unknown = Object.keys(table).filter((a) => a !== '*' && !knownActions.includes(a));
  if (unknown.length > 0) {
    throw new SimConfigError(
      `${source} is invalid:\n  ${unknown.join(', ')}: not an action the simulator serves (use "*" or one of ${knownActions.join(', ')})`,
    );
  }
  return table;
}

/** Decides, per call, which configured fault fires. `random` is injected so tests can pin it. */
export class FaultInjector {
  private table: FaultTable = {};

  constructor(private readonly random: () => number) {}

  set(table: FaultTable): void {
    this.table = table;
  }

  current(): FaultTable {
    return { ...this.table };
  }

  private for(action: string): ActionFaults | undefined {
    return this.table[action] ?? this.table['*'];
  }

  latencyMs(action: string): number {
    return this.for(action)?.latencyMs ?? 0;
  }

  drops(action: string): boolean {
    return this.fires(this.for(action)?.dropProbability);
  }

  commitThenDrops(action: string): boolean {
    return this.fires(this.for(action)?.commitThenDropProbability);
  }

  /** The injected error for this call, if one fires. */
  error(action: string): CloudApiError | undefined {
    for (const e of this.for(action)?.errors ?? []) {
      if (!this.fires(e.probability)) continue;
      const headers: Record<string, string> =
        e.retryAfterMs === undefined ? {} : { 'x-acs-retry-after': String(e.retryAfterMs) };
      return new CloudApiError(e.code, e.status, e.message ?? `Injected fault ${e.code}.`, headers);
    }
    return undefined;
  }

  private fires(p: number | undefined): boolean {
    return p !== undefined && p > 0 && this.random() < p;
  }
}
