import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

/**
 * The gateway's Prometheus metrics. Created once per registry: a second gateway on the same
 * registry (several simulated nodes in one process) shares the series instead of failing.
 */
export interface KubeMetrics {
  requests: Counter<'verb' | 'resource' | 'code'>;
  requestDuration: Histogram<'verb' | 'resource'>;
  leader: Gauge;
  watchRestarts: Counter<'resource' | 'reason'>;
  eventsDropped: Counter<'reason'>;
}

export function createKubeMetrics(registry: Registry): KubeMetrics {
  const existing = <T>(name: string): T | undefined => registry.getSingleMetric(name) as T | undefined;
  return {
    requests:
      existing('podeip_kube_requests_total') ??
      new Counter({
        name: 'podeip_kube_requests_total',
        help: 'Requests to the Kubernetes API server by verb, resource and HTTP status code (0: no answer).',
        labelNames: ['verb', 'resource', 'code'] as const,
        registers: [registry],
      }),
    requestDuration:
      existing('podeip_kube_request_duration_seconds') ??
      new Histogram({
        name: 'podeip_kube_request_duration_seconds',
        help: 'Latency of Kubernetes API requests, excluding time spent waiting for the client-side rate limit.',
        labelNames: ['verb', 'resource'] as const,
        buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
        registers: [registry],
      }),
    leader:
      existing('podeip_leader') ??
      new Gauge({
        name: 'podeip_leader',
        help: '1 while this agent holds the cluster-duties lease, else 0.',
        registers: [registry],
      }),
    watchRestarts:
      existing('podeip_kube_watch_restarts_total') ??
      new Counter({
        name: 'podeip_kube_watch_restarts_total',
        help: 'Watches restarted, by resource and reason (closed, error, expired: a re-list after 410 Gone).',
        labelNames: ['resource', 'reason'] as const,
        registers: [registry],
      }),
    eventsDropped:
      existing('podeip_kube_events_dropped_total') ??
      new Counter({
        name: 'podeip_kube_events_dropped_total',
        help: 'Kubernetes Events not written, by reason (queue_full, api_error).',
        labelNames: ['reason'] as const,
        registers: [registry],
      }),
  };
}
