/** The cloud client's Prometheus metrics, registered on the registry the agent passes in. */
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

export interface CloudMetrics {
  requests: Counter<'action' | 'code'>;
  duration: Histogram<'action'>;
  throttled: Counter<'action'>;
  limiterWait: Histogram<'action'>;
  retries: Counter<'action'>;
  coordinated: Gauge;
}

export function createCloudMetrics(registry: Registry): CloudMetrics {
  const registers = [registry];
  return {
    requests: new Counter({
      name: 'podeip_cloud_requests_total',
      help: 'Cloud OpenAPI calls by action and answer code (Success, the cloud code, or the transport error).',
      labelNames: ['action', 'code'] as const,
      registers,
    }),
    duration: new Histogram({
      name: 'podeip_cloud_request_duration_seconds',
      help: 'Duration of one cloud OpenAPI call (one attempt), by action.',
      labelNames: ['action'] as const,
      buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    }),
    throttled: new Counter({
      name: 'podeip_cloud_throttled_total',
      help: 'Cloud answers with a Throttling code, by action.',
      labelNames: ['action'] as const,
      registers,
    }),
    limiterWait: new Histogram({
      name: 'podeip_cloud_limiter_wait_seconds',
      help: 'Time a call waited for the client-side rate limiter, by action.',
      labelNames: ['action'] as const,
      buckets: [0.001, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
      registers,
    }),
    retries: new Counter({
      name: 'podeip_cloud_retries_total',
      help: 'Retries of cloud calls after a retryable failure, by action.',
      labelNames: ['action'] as const,
      registers,
    }),
    coordinated: new Gauge({
      name: 'podeip_cloud_budget_coordinated',
      help: '1 while this node takes its share of the account budget from the fleet plan; 0 under the configured share with AIMD.',
      registers,
    }),
  };
}
