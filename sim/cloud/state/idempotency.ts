import { CloudApiError } from '../errors.js';

interface Remembered {
  fingerprint: string;
  result: Record<string, unknown>;
  at: number;
}

export interface IdempotencyRecord {
  action: string;
  clientToken: string;
  parameters: Record<string, string>;
  result: Record<string, unknown>;
  at: number;
}

/**
 * ClientToken memory, per action: the first successful result is replayed for the same
 * parameters; different parameters under the same token are refused. Tokens never expire
 * (the service documents no window).
 */
export class IdempotencyStore {
  private readonly byKey = new Map<string, Remembered & { parameters: Record<string, string> }>();

  private static fingerprint(params: Record<string, string>): string {
    return JSON.stringify(
      Object.keys(params)
        .filter((k) => k !== 'ClientToken')
        .sort()
        .map((k) => [k, params[k]]),
    );
  }

  /** The remembered result, or undefined when the token is new. */
  replay(action: string, clientToken: string, params: Record<string, string>): Record<string, unknown> | undefined {
    const seen = this.byKey.get(`${action}\n${clientToken}`);
    if (!seen) return undefined;
    if (seen.fingerprint !== IdempotencyStore.fingerprint(params)) {
      throw new CloudApiError(
        'IdempotentParameterMismatch',
        400,
        `The request uses the same client token "${clientToken}" as a previous ${action}, but with different parameters.`,
      );
    }
    return seen.result;
  }

  remember(
    action: string,
    clientToken: string,
    params: Record<string, string>,
    result: Record<string, unknown>,
    at: number,
  ): void {
    this.byKey.set(`${action}\n${clientToken}`, {
      fingerprint: IdempotencyStore.fingerprint(params),
      parameters: params,
      result,
      at,
    });
  }

  list(): IdempotencyRecord[] {
    return [...this.byKey.entries()].map(([key, r]) => {
      const [action, clientToken] = key.split('\n') as [string, string];
      return { action, clientToken, parameters: r.parameters, result: r.result, at: r.at };
    });
  }
}
