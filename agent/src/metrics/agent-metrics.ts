/**
 * The agent-level metrics that belong to no single collaborator. Each collaborator registers
 * its own metrics on the same Registry (passed to its constructor); this module owns the
 * registry's creation and the process metrics.
 */
import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * prom-client samples the event loop's delay every 10 ms by default: a timer that woke an idle
 * agent 100 times a second and was most of its idle CPU. Once a second still shows a stalled
 * loop in nodejs_eventloop_lag_*.
 */
const EVENT_LOOP_SAMPLE_MS = 1000;

export function createRegistry(): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, eventLoopMonitoringPrecision: EVENT_LOOP_SAMPLE_MS });
  return registry;
}

export class AgentMetrics {
  private readonly cniRequests: Counter<'command' | 'result'>;
  private readonly cniDuration: Histogram<'command'>;

  constructor(registry: Registry) {
    this.cniRequests = new Counter({
      name: 'podeip_cni_requests_total',
      help: 'Requests from the podeip CNI plugin (and podeipctl), by command and result (success or podeip error code).',
      labelNames: ['command', 'result'],
      registers: [registry],
    });
    this.cniDuration = new Histogram({
      name: 'podeip_cni_request_duration_seconds',
      help: 'Time the agent took to answer a plugin request, by command.',
      labelNames: ['command'],
      buckets: [0.0005, 0.001, 0.005, 0.025, 0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120],
      registers: [registry],
    });
  }

  cniRequest(command: string, result: string, seconds: number): void {
    this.cniRequests.inc({ command, result });
    this.cniDuration.observe({ command }, seconds);
  }
}
