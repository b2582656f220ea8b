import type { Redis } from 'ioredis';
import type { Logger } from '../../shared/logger.js';

/**
 * Where a frame came from in the event stream: the entry's id and the frame's index among those
 * the entry gave the session (a room change can announce several channels); `*` means every frame
 * of that entry (and of all before it) is accounted for.
 */
export interface Position {
  id: string;
  k: number | '*';
}

/** A recorded frame: the session's sequence number and its position in the event stream. */
export interface RecordedFrame {
  s: number;
  pos: Position;
}

/** Who a session belongs to and which gateway process holds it. */
export interface SessionMeta {
  userId: string;
  node: string;
  /** A bot session's intents, kept so that a resume (on any process) filters as before; null for users. */
  intents: number | null;
  /** The stream position READY (s = 1) stands for: everything after it is the session's to receive. */
  start: string;
}

function line(s: number, pos: Position): string {
  return `${s} ${pos.id}/${pos.k}`;
}

function parseLine(raw: string): RecordedFrame | null {
  const m = /^(\d+) (\d+-\d+)\/(\d+|\*)$/.exec(raw);
  if (!m) return null;
  return { s: Number(m[1]), pos: { id: m[2] as string, k: m[3] === '*' ? '*' : Number(m[3]) } };
}

/**
 * Appends lines to many lists in one command. KEYS are the lists; ARGV[1] is the size a list is
 * trimmed to, ARGV[2] the TTL (ms) a new list gets, then per key in order: its line count, what
 * follows the append (0 nothing, 1 a trim, 2 a trim and the TTL) and its lines, RPUSHed in slices
 * that Lua's stack takes.
 */
const APPEND_ALL = `
local size = tonumber(ARGV[1])
local a = 3
for _, key in ipairs(KEYS) do
  local last = a + 1 + tonumber(ARGV[a])
  local after = ARGV[a + 1]
  local i = a + 2
  while i <= last do
    local j = math.min(i + 999, last)
    redis.call('RPUSH', key, unpack(ARGV, i, j))
    i = j + 1
  end
  if after ~= '0' then redis.call('LTRIM', key, -size, -1) end
  if after == '2' then redis.call('PEXPIRE', key, ARGV[2]) end
  a = last + 1
end
return #KEYS`;

/** A pipeline with APPEND_ALL defined on its client (sent as EVALSHA: not the script's text each time). */
type AppendPipeline = ReturnType<Redis['pipeline']> & {
  plexichatAppendFrames(keyCount: number, ...keysAndArgs: string[]): unknown;
};

/** Sessions per append command: each one's frames go out once its command is answered. */
const CHUNK_SESSIONS = 500;

/** A session's frames queued in this tick: their record lines, and the sends that wait on them. */
interface Queued {
  lines: string[];
  emits: (() => void)[];
}

/**
 * A session's durable state in Redis, so any gateway process can resume it: its owner and start
 * (a hash), and, per frame it was sent, the frame's seq and stream position (a capped list). No
 * payloads: a resume re-reads the events from the stream. A frame is recorded before it is
 * emitted (frames of one tick are appended in one command per CHUNK_SESSIONS sessions, each
 * chunk's frames sent once its command is answered), so a client can never hold a seq whose
 * position a crash lost.
 */
export class ResumeBuffer {
  private pending = new Map<string, Queued>();
  /** Frames appended per session since its list was last trimmed (absent: its TTL is not set yet). */
  private readonly sinceTrim = new Map<string, number>();
  /** The last position recorded per session (a heartbeat marker is added only when it moved). */
  private readonly lastLine = new Map<string, string>();
  private scheduled = false;
  private inFlight: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    private readonly size: number,
    private readonly windowMs: number,
    private readonly logger: Logger,
  ) {
    // Defining it again on a shared client (the all-in-one process) only replaces it with itself.
    redis.defineCommand('plexichatAppendFrames', { lua: APPEND_ALL });
  }

  private frames(sessionId: string): string {
    return `${this.prefix}:gw:frames:${sessionId}`;
  }

  private meta(sessionId: string): string {
    return `${this.prefix}:gw:session:${sessionId}`;
  }

  /**
   * Records a new session (`start` given: an empty list, READY at `start`) or one that moved to
   * `node` (its list stays).
   */
  async open(
    sessionId: string,
    userId: string,
    node: string,
    start: string | null,
    intents: number | null = null,
  ): Promise<void> {
    const fields: Record<string, string> = { user: userId, node };
    if (intents !== null) fields.intents = String(intents);
    if (start !== null) fields.start = start;
    const pipeline = this.redis.multi().hset(this.meta(sessionId), fields);
    if (start !== null) pipeline.del(this.frames(sessionId));
    await pipeline
      .pexpire(this.meta(sessionId), this.windowMs)
      .pexpire(this.frames(sessionId), this.windowMs)
      .exec();
  }

  /** The session's owner, or null once it expired or ended. */
  async lookup(sessionId: string): Promise<SessionMeta | null> {
    const meta = await this.redis.hgetall(this.meta(sessionId));
    if (!meta.user || !meta.node || !meta.start) return null;
    const intents = meta.intents !== undefined && /^\d+$/.test(meta.intents) ? Number(meta.intents) : null;
    return { userId: meta.user, node: meta.node, intents, start: meta.start };
  }

  /** Queues a frame's position for `sessionId`; `emit` sends it to the client once that is written. */
  record(sessionId: string, seq: number, pos: Position, emit?: () => void): void {
    const entry = line(seq, pos);
    this.lastLine.set(sessionId, entry);
    let queued = this.pending.get(sessionId);
    if (!queued) this.pending.set(sessionId, (queued = { lines: [], emits: [] }));
    queued.lines.push(entry);
    if (emit) queued.emits.push(emit);
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => void this.flush());
    }
  }

  /**
   * Records that at `seq` the session had been given everything up to stream entry `id`: keeps a
   * quiet session's position inside the stream's retention.
   */
  mark(sessionId: string, seq: number, id: string): void {
    const entry = line(seq, { id, k: '*' });
    if (this.lastLine.get(sessionId) !== entry) this.record(sessionId, seq, { id, k: '*' });
  }

  /** Writes everything queued so far, then emits its frames; resolves when both are done. */
  flush(): Promise<void> {
    this.scheduled = false;
    if (this.pending.size > 0) {
      const pending = [...this.pending];
      this.pending = new Map();
      for (let i = 0; i < pending.length; i += CHUNK_SESSIONS) {
        this.write(pending.slice(i, i + CHUNK_SESSIONS));
      }
    }
    return this.inFlight.then(() => undefined);
  }

  /**
   * Appends a chunk of sessions' lines in one command, then sends their frames. The list is
   * trimmed once it may have grown a tenth past its size, and its TTL is set on the first write;
   * afterwards touch() keeps live sessions' keys alive.
   */
  private write(chunk: [string, Queued][]): void {
    const pipeline = this.redis.pipeline() as AppendPipeline;
    const keys: string[] = [];
    const args: string[] = [String(this.size), String(this.windowMs)];
    const slack = Math.max(1, Math.floor(this.size / 10));
    for (const [sessionId, { lines }] of chunk) {
      keys.push(this.frames(sessionId));
      const appended = this.sinceTrim.get(sessionId);
      let after = '0';
      if (appended === undefined) {
        after = '2';
        pipeline.pexpire(this.meta(sessionId), this.windowMs);
        this.sinceTrim.set(sessionId, 0);
      } else if (appended + lines.length >= slack) {
        after = '1';
        this.sinceTrim.set(sessionId, 0);
      } else {
        this.sinceTrim.set(sessionId, appended + lines.length);
      }
      args.push(String(lines.length), after);
      for (const entry of lines) args.push(entry);
    }
    pipeline.plexichatAppendFrames(keys.length, ...keys, ...args);
    const written = pipeline.exec().then(
      (results) => {
        const failed = results?.find(([err]) => err)?.[0];
        if (failed) this.logger.warn({ err: failed.message }, 'could not record sent frames');
      },
      // The frames still go out: a seq whose position is missing only makes its resume fail
      // (INVALID_SESSION), it can never replay an event twice.
      (err: Error) => this.logger.warn({ err: err.message }, 'could not record sent frames'),
    );
    // Earlier chunks emit first: the chain keeps every session's frames in seq order.
    this.inFlight = Promise.all([this.inFlight, written]).then(() => {
      for (const [, { emits }] of chunk) for (const emit of emits) emit();
    });
  }

  /** Every recorded frame of the session, oldest first. */
  async read(sessionId: string): Promise<RecordedFrame[]> {
    const raw = await this.redis.lrange(this.frames(sessionId), 0, -1);
    return raw.flatMap((r) => parseLine(r) ?? []);
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
    this.lastLine.delete(sessionId);
  }

  /** Forgets a session that ended for good. */
  async drop(sessionId: string): Promise<void> {
    this.pending.delete(sessionId);
    this.forget(sessionId);
    await this.redis.del(this.meta(sessionId), this.frames(sessionId));
  }
}
