import crypto from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Config } from '../config/index.js';
import type { Logger } from '../logger.js';
import type { Metrics } from './metrics.js';

type Sums = Record<string, number>;

/** One process's own figures (from its Prometheus registry), as GET /admin/stats shows them. */
export interface ProcessFigures {
  /** A random id per process (its heartbeat key). */
  id: string;
  role: string;
  uptime_seconds: number;
  rss_bytes: number;
  http_requests: number;
  http_4xx: number;
  http_5xx: number;
  rate_limit_hits: Sums;
  jobs_completed: number;
  jobs_failed: number;
  /** Gateway sessions with a connection, and dropped ones awaiting a resume. */
  gateway_sessions: number;
  gateway_detached: number;
}

/** The figures of every live process added up. */
export type InstanceFigures = Omit<ProcessFigures, 'id' | 'role' | 'uptime_seconds' | 'rss_bytes'> & {
  processes: number;
  /** Live processes per role. */
  roles: Sums;
  rss_bytes: number;
};

/** Sums a metric's values by one label (this process's counters). */
async function sumBy(metrics: Metrics, name: string, label: string): Promise<Sums> {
  const metric = metrics.registry.getSingleMetric(name);
  if (!metric) return {};
  const sums: Sums = {};
  for (const { labels, value } of (await metric.get()).values) {
    const key = String(labels[label] ?? '');
    sums[key] = (sums[key] ?? 0) + value;
  }
  return sums;
}

const total = (sums: Sums) => Object.values(sums).reduce((n, v) => n + v, 0);

function addInto(into: Sums, from: Sums): void {
  for (const [k, v] of Object.entries(from)) into[k] = (into[k] ?? 0) + v;
}

/**
 * Every process (API, workers, gateway, voice) publishes its figures to Redis on a heartbeat
 * (`<prefix>:stats:proc:<id>`, a JSON value that expires after three beats, indexed in a sorted set
 * by expiry), so any API process can answer GET /admin/stats for the whole instance: a process
 * that died drops out within three beats.
 */
export class InstanceStats {
  readonly id = crypto.randomBytes(8).toString('hex');
  private timer: NodeJS.Timeout | null = null;
  private readonly ttlMs: number;

  constructor(
    private readonly redis: Redis,
    private readonly config: Pick<Config, 'redis' | 'metrics'>,
    private readonly role: string,
    private readonly metrics: Metrics,
    private readonly logger: Logger,
  ) {
    this.ttlMs = Math.round(config.metrics.stats_interval_seconds * 3000);
  }

  private get index(): string {
    return `${this.config.redis.key_prefix}:stats:procs`;
  }

  private key(id: string): string {
    return `${this.config.redis.key_prefix}:stats:proc:${id}`;
  }

  /** This process's figures now. */
  async own(): Promise<ProcessFigures> {
    const byStatus = await sumBy(this.metrics, 'plexichat_http_requests_total', 'status');
    const statusClass = (c: string) =>
      total(Object.fromEntries(Object.entries(byStatus).filter(([s]) => s.startsWith(c))));
    const sessions = await sumBy(this.metrics, 'plexichat_gateway_sessions', 'state');
    const jobs = await sumBy(this.metrics, 'plexichat_queue_jobs_total', 'result');
    return {
      id: this.id,
      role: this.role,
      uptime_seconds: Math.round(process.uptime()),
      rss_bytes: process.memoryUsage().rss,
      http_requests: total(byStatus),
      http_4xx: statusClass('4'),
      http_5xx: statusClass('5'),
      rate_limit_hits: await sumBy(this.metrics, 'plexichat_rate_limit_hits_total', 'bucket'),
      jobs_completed: jobs.completed ?? 0,
      jobs_failed: jobs.failed ?? 0,
      gateway_sessions: sessions.live ?? 0,
      gateway_detached: sessions.detached ?? 0,
    };
  }

  /** Writes this process's figures with a fresh expiry. */
  async publish(): Promise<ProcessFigures> {
    const figures = await this.own();
    const expires = Date.now() + this.ttlMs;
    await this.redis
      .multi()
      .set(this.key(this.id), JSON.stringify(figures), 'PX', this.ttlMs)
      .zadd(this.index, expires, this.id)
      .zremrangebyscore(this.index, '-inf', Date.now())
      .exec();
    return figures;
  }

  /** Publishes now and on every beat (`metrics.stats_interval_seconds`). */
  start(): void {
    const beat = () =>
      void this.publish().catch((err: Error) =>
        this.logger.debug({ err: err.message }, 'could not publish stats'),
      );
    beat();
    this.timer = setInterval(beat, this.config.metrics.stats_interval_seconds * 1000);
    this.timer.unref();
  }

  /** Stops publishing and withdraws this process's figures (a clean exit). */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.redis.multi().del(this.key(this.id)).zrem(this.index, this.id).exec();
  }

  /** Every live process's figures (this one's fresh), and their sum. */
  async instance(): Promise<{
    process: ProcessFigures;
    processes: ProcessFigures[];
    instance: InstanceFigures;
  }> {
    const mine = await this.publish();
    const ids = await this.redis.zrangebyscore(this.index, Date.now(), '+inf');
    const raw = ids.length > 0 ? await this.redis.mget(ids.map((id) => this.key(id))) : [];
    const processes = raw.flatMap((r) => (r ? [JSON.parse(r) as ProcessFigures] : []));
    if (!processes.some((p) => p.id === mine.id)) processes.push(mine);
    const sum: InstanceFigures = {
      processes: processes.length,
      roles: {},
      rss_bytes: 0,
      http_requests: 0,
      http_4xx: 0,
      http_5xx: 0,
      rate_limit_hits: {},
      jobs_completed: 0,
      jobs_failed: 0,
      gateway_sessions: 0,
      gateway_detached: 0,
    };
    for (const p of processes) {
      sum.roles[p.role] = (sum.roles[p.role] ?? 0) + 1;
      sum.rss_bytes += p.rss_bytes;
      sum.http_requests += p.http_requests;
      sum.http_4xx += p.http_4xx;
      sum.http_5xx += p.http_5xx;
      addInto(sum.rate_limit_hits, p.rate_limit_hits);
      sum.jobs_completed += p.jobs_completed;
      sum.jobs_failed += p.jobs_failed;
      sum.gateway_sessions += p.gateway_sessions;
      sum.gateway_detached += p.gateway_detached;
    }
    processes.sort((a, b) => a.role.localeCompare(b.role) || a.id.localeCompare(b.id));
    return { process: mine, processes, instance: sum };
  }
}
