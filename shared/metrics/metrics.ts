import client from 'prom-client';

/** Seconds buckets for HTTP requests and jobs: 5 ms to 30 s. */
const DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

/** Something whose current value is read at scrape time (queue depths, pools, sessions). */
export type Sampler = () => Promise<{ labels: Record<string, string>; value: number }[]>;

/**
 * One process's Prometheus metrics. A registry per runtime (not prom-client's global one) so that
 * several apps in one process (the tests) do not count into each other; in the all-in-one process
 * the API, workers and gateway share one runtime and so one registry.
 */
export class Metrics {
  readonly registry = new client.Registry();

  /** Requests answered, by route template (`/channels/{channel_id}`), method and status. */
  readonly httpRequests = new client.Counter({
    name: 'plexichat_http_requests_total',
    help: 'HTTP requests answered, by route template, method and status',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [this.registry],
  });

  readonly httpDuration = new client.Histogram({
    name: 'plexichat_http_request_duration_seconds',
    help: 'HTTP request latency, by route template, method and status',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: DURATION_BUCKETS,
    registers: [this.registry],
  });

  /** Jobs finished by this process's workers: `result` is completed or failed (a failed attempt). */
  readonly jobs = new client.Counter({
    name: 'plexichat_queue_jobs_total',
    help: 'Jobs processed by this process, by queue and result (completed, failed attempt)',
    labelNames: ['queue', 'result'] as const,
    registers: [this.registry],
  });

  readonly jobDuration = new client.Histogram({
    name: 'plexichat_queue_job_duration_seconds',
    help: 'Time a job spent in its processor, by queue',
    labelNames: ['queue'] as const,
    buckets: DURATION_BUCKETS,
    registers: [this.registry],
  });

  /** Dispatches received by this gateway process (one per event, whatever the number of recipients). */
  readonly gatewayEvents = new client.Counter({
    name: 'plexichat_gateway_events_total',
    help: 'Gateway dispatches handled by this process, by event name',
    labelNames: ['event'] as const,
    registers: [this.registry],
  });

  /** socket.io handshakes refused (`unauthorized`, `rate_limited`, `too_many_connections`...). */
  readonly handshakeRefusals = new client.Counter({
    name: 'plexichat_handshake_refusals_total',
    help: 'socket.io handshakes refused by this process, by namespace (gateway, voice) and code',
    labelNames: ['namespace', 'code'] as const,
    registers: [this.registry],
  });

  /** Requests refused by a rate limit, by bucket (`login`, `webhook`, a route bucket...). */
  readonly rateLimitHits = new client.Counter({
    name: 'plexichat_rate_limit_hits_total',
    help: 'Requests refused by a rate limit, by bucket',
    labelNames: ['bucket'] as const,
    registers: [this.registry],
  });

  /** Promise rejections nothing handled (shared/process-guards.ts): each is a bug, logged with its stack. */
  readonly unhandledRejections = new client.Counter({
    name: 'plexichat_unhandled_rejections_total',
    help: 'Promise rejections nothing handled in this process (each logged with its stack); the process kept serving',
    registers: [this.registry],
  });

  constructor() {
    client.collectDefaultMetrics({ register: this.registry, prefix: 'plexichat_' });
  }

  /** A gauge whose values are sampled at scrape time; a failing sampler leaves the gauge empty. */
  sampled(name: string, help: string, labelNames: string[], sample: Sampler): void {
    const existing = this.registry.getSingleMetric(name);
    if (existing) this.registry.removeSingleMetric(name);
    new client.Gauge({
      name,
      help,
      labelNames,
      registers: [this.registry],
      async collect() {
        this.reset();
        try {
          for (const { labels, value } of await sample()) this.set(labels, value);
        } catch {
          // Redis or the database is down: health reports that; the scrape still answers.
        }
      },
    });
  }

  /** The exposition text and its content type. */
  async render(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}
