/**
 * ECS instance metadata (http://100.100.100.200 on a real node), IMDSv2 first: a session token
 * from PUT /latest/api/token, then GETs carrying it. Falls back to plain GETs only when the
 * token endpoint itself is missing (older images), never on a timeout. A read that gets no answer
 * or a 5xx is tried again with backoff (`retry.metadata`): a busy node's metadata service must not
 * fail the agent's start.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { PodeipError } from '../../../lib/errors.js';
import { backoffDelay } from '../retry/backoff.js';
import { DEFAULT_RETRY_POLICIES, type RetryPolicies } from '../retry/policies.js';

export class MetadataError extends PodeipError {
  /** No answer, or a 5xx: worth another try. */
  readonly transient: boolean;

  constructor(message: string, options: { cause?: unknown; transient: boolean }) {
    super('MetadataUnavailable', message, options);
    this.transient = options.transient;
  }
}

const TOKEN_TTL_SECONDS = 21600;
const REQUEST_TIMEOUT_MS = 2000;

export class MetadataClient {
  private token: { value: string; expiresAt: number } | undefined;

  constructor(
    private readonly baseUrl: string,
    private readonly retry: RetryPolicies['metadata'] = DEFAULT_RETRY_POLICIES.metadata,
    private readonly now: () => number = Date.now,
  ) {}

  async instanceId(): Promise<string> {
    return this.get('instance-id');
  }

  async regionId(): Promise<string> {
    return this.get('region-id');
  }

  async get(path: string): Promise<string> {
    const started = this.now();
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.getOnce(path);
      } catch (err) {
        if (!(err instanceof MetadataError) || !err.transient || this.now() - started >= this.retry.deadlineMs)
          throw err;
        await sleep(backoffDelay(attempt, this.retry, Math.random));
      }
    }
  }

  private async getOnce(path: string): Promise<string> {
    const url = new URL(`/latest/meta-data/${path}`, this.baseUrl);
    const token = await this.sessionToken();
    const response = await this.fetch(url, { headers: token ? { 'X-aliyun-ecs-metadata-token': token } : {} });
    if (!response.ok) {
      throw new MetadataError(`metadata ${path}: HTTP ${response.status} from ${url.origin}`, {
        transient: response.status >= 500,
      });
    }
    return (await response.text()).trim();
  }

  private async sessionToken(): Promise<string | undefined> {
    if (this.token && this.token.expiresAt > this.now()) return this.token.value;
    const response = await this.fetch(new URL('/latest/api/token', this.baseUrl), {
      method: 'PUT',
      headers: { 'X-aliyun-ecs-metadata-token-ttl-seconds': String(TOKEN_TTL_SECONDS) },
    });
    if (response.status === 404) return undefined;
    if (!response.ok) {
      throw new MetadataError(`metadata token: HTTP ${response.status} from ${this.baseUrl}`, {
        transient: response.status >= 500,
      });
    }
    const value = (await response.text()).trim();
    this.token = { value, expiresAt: this.now() + (TOKEN_TTL_SECONDS - 60) * 1000 };
    return value;
  }

  private async fetch(url: URL, init: RequestInit): Promise<Response> {
    try {
      return await fetch(url, { ...init, signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
    } catch (err) {
      throw new MetadataError(
        `cannot reach the instance metadata service at ${url.origin} (cloud.metadataEndpoint): ${(err as Error).message}`,
        { cause: err, transient: true },
      );
    }
  }
}

/**
 * ACK writes spec.providerID as "<region>.<instance-id>"; other tools use "alicloud://<region>.<id>".
 * Returns the instance id, or undefined for a providerID of another shape.
 */
export function instanceIdFromProviderId(providerId: string): string | undefined {
  const match = /^(?:alicloud:\/\/)?(?:[a-z]{2}(?:-[a-z0-9]+)+\.)?(i-[A-Za-z0-9]+)$/.exec(providerId.trim());
  return match?.[1];
}
