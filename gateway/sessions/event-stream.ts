import type { Redis } from 'ioredis';
import type { StreamEntry } from '../../shared/events/index.js';
import type { Logger } from '../../shared/logger.js';

/** One entry of the event stream with its id (the event's offset). */
export type StreamItem = [id: string, entry: StreamEntry];

/** Compares two stream ids (`<ms>-<seq>`) numerically. */
export function compareIds(a: string, b: string): number {
  const [am = 0, as = 0] = a.split('-').map(Number);
  const [bm = 0, bs = 0] = b.split('-').map(Number);
  return am - bm || as - bs;
}

function parse(raw: [string, string[]][]): StreamItem[] {
  const items: StreamItem[] = [];
  for (const [id, fields] of raw) {
    const i = fields.indexOf('e');
    if (i < 0) continue;
    items.push([id, JSON.parse(fields[i + 1] as string) as StreamEntry]);
  }
  return items;
}

/** XINFO STREAM's scalar fields as strings; an absent stream reads as empty. */
async function info(redis: Redis, key: string): Promise<Record<string, string>> {
  try {
    const flat = (await redis.xinfo('STREAM', key)) as unknown[];
    const out: Record<string, string> = {};
    for (let i = 0; i + 1 < flat.length; i += 2) {
      const value = flat[i + 1];
      if (typeof value === 'string' || typeof value === 'number') out[String(flat[i])] = String(value);
    }
    return out;
  } catch (err) {
    if (/no such key/i.test((err as Error).message)) return {};
    throw err;
  }
}

/** The id of the stream's newest entry ever (0-0 for a new stream): where a reader starts. */
export async function lastStreamId(redis: Redis, key: string): Promise<string> {
  return (await info(redis, key))['last-generated-id'] ?? '0-0';
}

/**
 * True when every entry after `id` is still in the stream, so a replay from `id` misses nothing:
 * trimming removes only a prefix, so either nothing came after `id` or the oldest kept entry is at
 * or before it. (Gateways add a no-op entry on each heartbeat, so a session's recorded position is
 * never older than a heartbeat and stays inside the retention for its resume window.)
 */
export async function keptSince(redis: Redis, key: string, id: string): Promise<boolean> {
  const i = await info(redis, key);
  if (compareIds(id, i['last-generated-id'] ?? '0-0') >= 0) return true;
  if (Number(i.length ?? 0) === 0) return false;
  return compareIds(i['recorded-first-entry-id'] ?? '0-0', id) <= 0;
}

/** Entries from `from` to `to` (both inclusive), oldest first, read in pages of `page`. */
export async function* readRange(
  redis: Redis,
  key: string,
  from: string,
  to: string,
  page = 500,
): AsyncGenerator<StreamItem[]> {
  let start = from;
  for (;;) {
    const raw = (await redis.xrange(key, start, to, 'COUNT', page)) as [string, string[]][];
    if (raw.length > 0) yield parse(raw);
    if (raw.length < page) return;
    start = `(${raw[raw.length - 1]?.[0] ?? to}`;
  }
}

/**
 * Follows the event stream from `start` on its own (blocking) connection and hands each batch to
 * `onBatch`, in order; the next read waits for the batch to be handled. A Redis outage pauses it
 * and the read resumes where it stopped once Redis is back.
 */
export class StreamFollower {
  private stopped = false;
  private done: Promise<void> = Promise.resolve();

  constructor(
    private readonly redis: Redis,
    private readonly key: string,
    private readonly logger: Logger,
    private readonly onBatch: (items: StreamItem[]) => Promise<void> | void,
  ) {}

  /** Starts reading after `after` (an entry id). */
  start(after: string): void {
    this.done = this.loop(after);
  }

  private async loop(after: string): Promise<void> {
    let last = after;
    while (!this.stopped) {
      try {
        const res = await this.redis.xread('COUNT', 1000, 'BLOCK', 1000, 'STREAMS', this.key, last);
        const raw = res?.[0]?.[1] ?? [];
        if (raw.length === 0 || this.stopped) continue;
        last = raw[raw.length - 1]?.[0] ?? last;
        await this.onBatch(parse(raw));
      } catch (err) {
        if (this.stopped) break;
        this.logger.warn({ err: (err as Error).message }, 'event stream read failed; retrying');
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
    }
  }

  /** Stops reading and closes the follower's connection (it owns it). */
  async stop(): Promise<void> {
    this.stopped = true;
    this.redis.disconnect();
    await this.done;
  }
}
