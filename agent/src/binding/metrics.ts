/** The binding service's metrics, registered on the agent's registry. */
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { BINDING_STATES, type BindingState } from '../store/journal.js';

const DURATION_BUCKETS = [0.0005, 0.005, 0.05, 0.25, 0.5, 1, 2, 3, 5, 10, 20, 30, 60, 120];

export class BindingMetrics {
  private readonly attach: Histogram<'mode' | 'result'>;
  private readonly detach: Histogram<'mode' | 'result'>;
  private readonly errors: Counter<'code'>;

  constructor(registry: Registry, countStates: () => Record<BindingState, number>) {
    this.attach = new Histogram({
      name: 'podeip_attach_duration_seconds',
      help: 'Time from Attach request to answer, by mode (none, auto, static, fixed) and result (success or error code).',
      labelNames: ['mode', 'result'],
      buckets: DURATION_BUCKETS,
      registers: [registry],
    });
    this.detach = new Histogram({
      name: 'podeip_detach_duration_seconds',
      help: 'Time from Detach request until the EIP no longer points at the pod IP, by mode and result.',
      labelNames: ['mode', 'result'],
      buckets: DURATION_BUCKETS,
      registers: [registry],
    });
    this.errors = new Counter({
      name: 'podeip_binding_errors_total',
      help: 'Binding failures by podeip error code.',
      labelNames: ['code'],
      registers: [registry],
    });
    new Gauge({
      name: 'podeip_bindings',
      help: 'Journal rows of this node by binding state.',
      labelNames: ['state'],
      registers: [registry],
      collect() {
        const counts = countStates();
        for (const state of BINDING_STATES) this.set({ state }, counts[state]);
      },
    });
  }

  attached(mode: string, result: string, seconds: number): void {
    this.attach.observe({ mode, result }, seconds);
  }

  detached(mode: string, result: string, seconds: number): void {
    this.detach.observe({ mode, result }, seconds);
  }

  failed(code: string): void {
    this.errors.inc({ code });
  }
}
