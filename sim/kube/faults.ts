/**
 * Injected faults: added latency, 429 with Retry-After, 500s (each by probability or for the
 * next N matching requests, optionally only for some verbs/resources) and periodic watch cuts.
 * The same shape is read from `--faults FILE` (JSON or YAML) and from PUT /_sim/faults.
 */
import { z } from 'zod';
import { PodeipError } from '../../lib/errors.js';
import { KubeApiError, internalError, tooManyRequests } from './status.js';

const matchFields = {
  verbs: z
    .array(z.enum(['get', 'list', 'watch', 'create', 'update', 'patch', 'delete', 'deletecollection']))
    .optional(),
  resources: z.array(z.string()).optional(),
};

const failureSchema = z
  .object({
    probability: z.number().min(0).max(1).optional(),
    count: z.number().int().min(0).optional(),
    ...matchFields,
  })
  .strict();

export const faultConfigSchema = z
  .object({
    latencyMs: z.number().int().min(0).optional(),
    latencyJitterMs: z.number().int().min(0).optional(),
    tooManyRequests: failureSchema
      .extend({ retryAfterSeconds: z.number().int().min(0).optional() })
      .strict()
      .optional(),
    serverErrors: failureSchema.optional(),
    watchCut: z.object({ everySeconds: z.number().positive() }).strict().optional(),
  })
  .strict();

export type FaultConfig = z.infer<typeof faultConfigSchema>;

export class FaultConfigError extends PodeipError {
  constructor(message: string) {
    super('KUBE_SIM_BAD_FAULTS', message);
  }
}

export function parseFaultConfig(value: unknown, source: string): FaultConfig {
  const result = faultConfigSchema.safeParse(value ?? {});
  if (result.success) return result.data;
  const problems = result.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
  throw new FaultConfigError(
    `invalid fault configuration in ${source}: ${problems} (fields: latencyMs, latencyJitterMs, tooManyRequests, serverErrors, watchCut; see docs/simulators-kube.md)`,
  );
}

export interface RequestInfo {
  verb: string;
  resource: string;
}

type Failure = z.infer<typeof failureSchema>;

/** Decides, request by request, which configured fault applies. Mutable: `count` budgets are consumed. */
export class FaultInjector {
  private config: FaultConfig = {};
  private remaining429 = 0;
  private remaining500 = 0;

  constructor(private readonly random: () => number = Math.random) {}

  set(config: FaultConfig): void {
    this.config = structuredClone(config);
    this.remaining429 = config.tooManyRequests?.count ?? 0;
    this.remaining500 = config.serverErrors?.count ?? 0;
  }

  get(): FaultConfig {
    return structuredClone(this.config);
  }

  get watchCutEverySeconds(): number | undefined {
    return this.config.watchCut?.everySeconds;
  }

  delayMs(): number {
    const base = this.config.latencyMs ?? 0;
    const jitter = this.config.latencyJitterMs ?? 0;
    return base + (jitter ? Math.floor(this.random() * jitter) : 0);
  }

  /** The error to answer this request with instead of serving it, if any. */
  failure(info: RequestInfo): KubeApiError | undefined {
    const c429 = this.config.tooManyRequests;
    if (c429 && this.matches(c429, info)) {
      if (this.remaining429 > 0) {
        this.remaining429--;
        return tooManyRequests(c429.retryAfterSeconds ?? 1);
      }
      if (c429.probability && this.random() < c429.probability) return tooManyRequests(c429.retryAfterSeconds ?? 1);
    }
    const c500 = this.config.serverErrors;
    if (c500 && this.matches(c500, info)) {
      if (this.remaining500 > 0) {
        this.remaining500--;
        return internalError('injected fault (podeip-sim serverErrors)');
      }
      if (c500.probability && this.random() < c500.probability)
        return internalError('injected fault (podeip-sim serverErrors)');
    }
    return undefined;
  }

  private matches(f: Failure, info: RequestInfo): boolean {
    if (f.verbs && !(f.verbs as string[]).includes(info.verb)) return false;
    if (f.resources && !f.resources.includes(info.resource)) return false;
    return true;
  }
}
