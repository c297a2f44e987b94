/**
 * Where one attach spends its time: every OpenAPI request the cloud simulator and every API
 * request the Kubernetes simulator received while it ran, in milliseconds since the ADD started.
 * Both simulators run in the bench's process, so one clock times them all.
 */
import type { SimulatedCluster } from '../../sim/stack/cluster.js';

export interface Mark {
  atMs: number;
  what: string;
}

export class Timeline {
  private readonly marks: Mark[] = [];
  private readonly stops: Array<() => void>;
  private readonly started = performance.now();

  constructor(cluster: SimulatedCluster) {
    const at = (what: string) => this.marks.push({ atMs: performance.now() - this.started, what });
    this.stops = [
      cluster.cloud.observeRequests((action) => at(action)),
      cluster.kube.observeRequests((request) => at(`kube ${request}`)),
    ];
  }

  /** Stops recording; `endMs` marks the ADD's exit. */
  finish(endMs: number): Mark[] {
    for (const stop of this.stops) stop();
    return [...this.marks.filter((m) => m.atMs <= endMs), { atMs: endMs, what: 'ADD exited' }];
  }
}

/** "+12 kube create podeips, +15 AssociateEipAddress, ..." (a cloud request answers `latencyMs` after it arrives). */
export function formatTimeline(marks: Mark[]): string {
  return marks.map((m) => `+${Math.round(m.atMs)} ${m.what}`).join(', ');
}

/**
 * The cloud's critical path of one attach: the association delay, plus one round trip for each
 * cloud call the pod's path made outside it (before the association began, or after it ended).
 * A describe sent while the EIP was still associating is hidden by the delay; whatever it answered
 * past the delay's end counts as the agent's lateness, not the cloud's. `background` names calls
 * off the pod's path (the warm pool's refill).
 */
export function criticalPathMs(
  marks: Mark[],
  latencyMs: number,
  associationMs: number,
  background: ReadonlySet<string>,
): number {
  const cloud = marks.filter((m) => !m.what.startsWith('kube ') && m.what !== 'ADD exited' && !background.has(m.what));
  const associate = cloud.find((m) => m.what === 'AssociateEipAddress');
  if (!associate) return NaN;
  const from = associate.atMs + latencyMs;
  const to = from + associationMs;
  const outside = cloud.filter((m) => m.atMs < from || m.atMs >= to).length;
  return associationMs + outside * latencyMs;
}
