/**
 * When an EIP podeip allocated is released: with its pod object (Follow), never (Never), or a Go
 * duration after its pod is gone (TTL). The annotation parser and the cluster sweep read the
 * same text the same way.
 */
import { parseGoDuration } from './go-duration.js';

export type ReleaseStrategy =
  { kind: 'Follow' } | { kind: 'Never' } | { kind: 'TTL'; releaseAfter: string; releaseAfterMs: number };

/** Follow or Never (any case), or a positive Go duration; undefined for anything else. */
export function parseReleaseStrategy(text: string): ReleaseStrategy | undefined {
  const lower = text.toLowerCase();
  if (lower === 'follow') return { kind: 'Follow' };
  if (lower === 'never') return { kind: 'Never' };
  const ms = parseGoDuration(text);
  if (ms === undefined || ms <= 0) return undefined;
  return { kind: 'TTL', releaseAfter: text, releaseAfterMs: ms };
}

/** A TTL PodEIP's releaseAfter in milliseconds, or undefined when it is not a Go duration. */
export function releaseAfterMs(releaseAfter: string): number | undefined {
  return parseGoDuration(releaseAfter);
}
