import type { Redis } from 'ioredis';
import type { DispatchEnvelope, DispatchName } from '../../shared/events/index.js';
import type { Logger } from '../../shared/logger.js';

/** A dispatch as kept for resume: the frame the client got (s, t, d) and the event's id (e). */
export interface StoredFrame {
  s: number;
  t: DispatchName;
  d: unknown;
  e: string;
}

/** Who a session belongs to and which gateway process holds it. */
export interface SessionMeta {
  userId: string;
  node: string;
  /** A bot session's intents, kept so that a resume (on any process) filters as before; null for users. */
  intents: number | null;
}

/**
 * Every frame a session is sent, kept in Redis (a capped list per session with a TTL) so that the
 * session can resume on any gateway process. Writes are batched: frames appended in one tick go
 * out as one pipeline, and ioredis keeps their order on its single connection.
 */
export class ResumeBuffer {
  private readonly pending = new Map<string, string[]>();
  /** Frames appended per session since its list was last trimmed (absent: its TTL is not set yet). */
  private readonly sinceTrim = new Map<string, number>();
  private scheduled = false;
  private inFlight: Promise<unknown> = Promise.resolve();
  /** Each payload is serialized once however many sessions it goes to. */
  private readonly payloads = new WeakMap<DispatchEnvelope, string>();

  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    private readonly size: number,
    private readonly windowMs: number,
    private readonly logger: Logger,
  ) {}

  private frames(sessionId: string): string {
    return `${this.prefix}:gw:frames:${sessionId}`;
  }

  private meta(sessionId: string): string {
    return `${this.prefix}:gw:session:${sessionId}`;
  }

  /** Records a new session (or one that moved to `node`), with an empty buffer when fresh. */
  async open(
    sessionId: string,
    userId: string,
    node: string,
    fresh: boolean,
    intents: number | null = null,
  ): Promise<void> {
    const fields: Record<string, string> = { user: userId, node };
    if (intents !== null) fields.intents = String(intents);
    const pipeline = this.redis.multi().hset(this.meta(sessionId), fields);
    if (fresh) pipeline.del(this.frames(sessionId));
    await pipeline
      .pexpire(this.meta(sessionId), this.windowMs)
      .pexpire(this.frames(sessionId), this.windowMs)
      .exec();
  }

  /** The session's owner, or null once it expired or ended. */
  async lookup(sessionId: string): Promise<SessionMeta | null> {
    const meta = await this.redis.hgetall(this.meta(sessionId));
    if (!meta.user || !meta.node) return null;
    const intents = meta.intents !== undefined && /^\d+$/.test(meta.intents) ? Number(meta.intents) : null;
    return { userId: meta.user, node: meta.node, intents };
  }

  /** Queues one frame for `sessionId`. */
  append(sessionId: string, seq: number, envelope: DispatchEnvelope): void {
    let d = this.payloads.get(envelope);
    if (d === undefined) {
      d = JSON.stringify(envelope.d);
      this.payloads.set(envelope, d);
    }
    const frame = `{"s":${seq},"e":${JSON.stringify(envelope.id)},"t":"${envelope.t}","d":${d}}`;
    const list = this.pending.get(sessionId);
    if (list) list.push(frame);
    else this.pending.set(sessionId, [frame]);
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => void this.flush());
    }
  }

  /** Writes everything queued so far; resolves when it (and every earlier write) is in Redis. */
  flush(): Promise<void> {
    this.scheduled = false;
    if (this.pending.size > 0) {
      // One RPUSH per session per tick. The list is trimmed once it may have grown a tenth past
      // its size (the overshoot is harmless: a resume checks the frames it needs are all there),
      // and its TTL is set on the first write; afterwards touch() keeps live sessions' keys alive.
      const pipeline = this.redis.pipeline();
      const slack = Math.max(1, Math.floor(this.size / 10));
      for (const [sessionId, frames] of this.pending) {
        const key = this.frames(sessionId);
        pipeline.rpush(key, ...frames);
        const appended = this.sinceTrim.get(sessionId);
        if (appended === undefined) {
          pipeline
            .ltrim(key, -this.size, -1)
            .pexpire(key, this.windowMs)
            .pexpire(this.meta(sessionId), this.windowMs);
          this.sinceTrim.set(sessionId, 0);
        } else if (appended + frames.length >= slack) {
          pipeline.ltrim(key, -this.size, -1);
          this.sinceTrim.set(sessionId, 0);
        } else {
          this.sinceTrim.set(sessionId, appended + frames.length);
        }
      }
      this.pending.clear();
      this.inFlight = pipeline.exec().catch((err: Error) => {
        // A lost write only shortens what can be replayed: such a resume gets INVALID_SESSION.
        this.logger.warn({ err: err.message }, 'could not write resume frames');
      });
    }
    return this.inFlight.then(() => undefined);
  }

  /** Every frame kept for the session, oldest first. */
  async read(sessionId: string): Promise<StoredFrame[]> {
    const raw = await this.redis.lrange(this.frames(sessionId), 0, -1);
    return raw.map((f) => JSON.parse(f) as StoredFrame);
  }

  /** Restarts the resume window of sessions (live ones on every heartbeat; a session when it drops). */
  async touch(sessionIds: string[]): Promise<void> {
    if (sessionIds.length === 0) return;
    const pipeline = this.redis.pipeline();
    for (const id of sessionIds) {
      pipeline.pexpire(this.meta(id), this.windowMs).pexpire(this.frames(id), this.windowMs);
    }
    await pipeline.exec();
  }

  /** Stops tracking a session that continues elsewhere (its keys stay for the new holder). */
  forget(sessionId: string): void {
    this.sinceTrim.delete(sessionId);
  }

  /** Forgets a session that ended for good. */
  async drop(sessionId: string): Promise<void> {
    this.pending.delete(sessionId);
    this.sinceTrim.delete(sessionId);
    await this.redis.del(this.meta(sessionId), this.frames(sessionId));
  }
}
