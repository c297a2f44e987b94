/**
 * Named crash points for the chaos suite: `failpoint('journal:allocating')` does nothing unless
 * the process was started with PODEIP_FAILPOINTS naming that point, in which case the process
 * SIGKILLs itself there (no cleanup, like a node losing power). The cost when unarmed is one
 * Map lookup. Syntax: comma-separated `name[#hit][@delayMs]`: kill at the hit-th time the point
 * is reached (default 1), optionally delayMs later (to die with a request in flight).
 */
import { PodeipError } from './errors.js';

export class FailpointSpecError extends PodeipError {
  constructor(entry: string) {
    super(
      'InvalidFailpointSpec',
      `PODEIP_FAILPOINTS entry "${entry}" is not name[#hit][@delayMs], e.g. "journal:allocating#2@150"`,
    );
  }
}

interface Armed {
  remainingHits: number;
  delayMs: number;
}

export function parseFailpoints(spec: string | undefined): Map<string, Armed> {
  const armed = new Map<string, Armed>();
  for (const entry of (spec ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)) {
    const match = /^([^#@\s]+)(?:#(\d+))?(?:@(\d+))?$/.exec(entry);
    if (!match || match[2] === '0') throw new FailpointSpecError(entry);
    armed.set(match[1]!, { remainingHits: Number(match[2] ?? 1), delayMs: Number(match[3] ?? 0) });
  }
  return armed;
}

const armed = parseFailpoints(process.env.PODEIP_FAILPOINTS);

export function failpoint(name: string): void {
  if (armed.size === 0) return;
  const point = armed.get(name);
  if (!point || --point.remainingHits > 0) return;
  armed.delete(name);
  const die = (): void => {
    process.kill(process.pid, 'SIGKILL');
  };
  if (point.delayMs > 0) setTimeout(die, point.delayMs).unref();
  else die();
}
