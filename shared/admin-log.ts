import { Writable } from 'node:stream';
import type { Redis } from 'ioredis';
import type { Config } from './config/index.js';

/** The Redis stream holding the recent log of every process. */
export function adminLogKey(config: Pick<Config, 'redis'>): string {
  return `${config.redis.key_prefix}:admin-log`;
}

/** Most lines held while Redis is not attached or not answering; older ones are dropped. */
const MAX_PENDING = 1000;

/**
 * Lines are shipped at most this often: under load one pipeline (one socket write) then carries
 * many lines instead of one each; an admin reading the log sees them this much later.
 */
const FLUSH_MS = 25;

/**
 * A pino destination that appends log lines to a capped Redis stream (XADD MAXLEN ~), so admins
 * can read every process's recent log through the API. Lines are batched into one pipeline every
 * FLUSH_MS; until `attach` (the logger exists before Redis) and while Redis is down they wait in
 * a bounded buffer: logging never blocks or fails because of this sink.
 */
export class AdminLogSink extends Writable {
  private redis: Redis | null = null;
  private key = '';
  private maxEntries = 0;
  private pending: string[] = [];
  private scheduled = false;

  /** Starts shipping lines to `redis`. */
  attach(redis: Redis, config: Pick<Config, 'redis' | 'log'>): void {
    this.redis = redis;
    this.key = adminLogKey(config);
    this.maxEntries = config.log.admin.max_entries;
    this.schedule();
  }

  /** Ships what is pending, then stops (the connection is closing); lines written later are dropped. */
  detach(): void {
    void this.flush();
    this.redis = null;
    this.pending = [];
  }

  override _write(
    chunk: Buffer | string,
    _encoding: BufferEncoding,
    done: (err?: Error | null) => void,
  ): void {
    if (this.pending.length >= MAX_PENDING) this.pending.shift();
    this.pending.push(String(chunk).trimEnd());
    this.schedule();
    done();
  }

  private schedule(): void {
    if (this.scheduled || !this.redis || this.pending.length === 0) return;
    this.scheduled = true;
    setTimeout(() => {
      this.scheduled = false;
      void this.flush();
    }, FLUSH_MS).unref();
  }

  /**
   * Ships what is pending now instead of at the next batch; resolves once Redis has answered (at
   * once when it is not attached or not ready). For a process about to exit (shared/process-guards.ts).
   */
  drain(): Promise<void> {
    return this.flush();
  }

  private flush(): Promise<void> {
    const redis = this.redis;
    if (!redis || redis.status !== 'ready' || this.pending.length === 0) return Promise.resolve();
    const lines = this.pending;
    this.pending = [];
    const pipeline = redis.pipeline();
    for (const line of lines) pipeline.xadd(this.key, 'MAXLEN', '~', this.maxEntries, '*', 'l', line);
    return pipeline.exec().then(
      () => undefined,
      () => undefined,
    );
  }
}
