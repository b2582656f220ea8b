import type { DispatchEnvelope, RoomAnnouncement, RoomOp } from '../../shared/events/index.js';
import { encodeDispatch, sendEncoded } from '../frames.js';
import type { IntentFilter } from '../intents.js';
import type { GatewaySocket } from '../types.js';
import { compareIds, type StreamItem } from './event-stream.js';
import { RecentEvents } from './recent-events.js';
import type { Position, ResumeBuffer } from './resume-buffer.js';

/**
 * loading: the session's rooms are being computed; everything that arrives meanwhile is held.
 * live: a connection is attached. detached: the connection dropped; events are still numbered
 * and kept for a resume. closed: gone for good.
 */
export type SessionState = 'loading' | 'live' | 'detached' | 'closed';

type Held = { kind: 'dispatch'; envelope: DispatchEnvelope } | { kind: 'rooms'; op: RoomOp; id: string };

/** The stream entry a frame comes from (announcements' ids are `<entry>:<room>`). */
function entryOf(envelopeId: string): string {
  const i = envelopeId.indexOf(':');
  return i < 0 ? envelopeId : envelopeId.slice(0, i);
}

/** A frame a resume replays, with the stream position it stands for. */
export interface ReplayFrame {
  envelope: DispatchEnvelope;
  pos: Position;
}

/** One gateway session: what READY's session_id names. It outlives a dropped connection. */
export class GatewaySession {
  seq = 0;
  state: SessionState = 'loading';
  readonly rooms = new Set<string>();
  held: Held[] = [];
  detachTimer: NodeJS.Timeout | null = null;
  /** A bot session's intents (gateway/intents.ts); null for users, who get every event they may see. */
  filter: IntentFilter | null = null;
  /** The stream entry of the last numbered frame and that frame's index among the entry's frames. */
  lastEntry = '';
  lastK = 0;

  constructor(
    readonly id: string,
    readonly userId: string,
    public socket: GatewaySocket | null,
  ) {}
}

/**
 * This process's sessions and the rooms they are in. Dispatch and room changes arrive here from
 * every role (the event stream, in its order); each session numbers its own frames, records each
 * one's stream position for resume and sends it to its connection if it has one.
 */
export class SessionRegistry {
  /** The id of the last stream entry applied: every session here has been given all up to it. */
  lastId = '0-0';
  private readonly byId = new Map<string, GatewaySession>();
  private readonly byRoom = new Map<string, Set<GatewaySession>>();
  private readonly loading = new Set<GatewaySession>();
  /** Event ids of outbox effects already applied: a second relay of one is dropped. */
  private readonly recent = new RecentEvents();

  constructor(
    private readonly buffer: ResumeBuffer,
    /** Ends a session's connection without a resume (its rooms are already gone). */
    private readonly onKill: (session: GatewaySession) => void,
  ) {}

  get size(): number {
    return this.byId.size;
  }

  get(id: string): GatewaySession | undefined {
    return this.byId.get(id);
  }

  /** Every session this process holds, whatever its state. */
  all(): IterableIterator<GatewaySession> {
    return this.byId.values();
  }

  /** Sessions with a connection attached. */
  live(): GatewaySession[] {
    return [...this.byId.values()].filter((s) => s.state === 'live');
  }

  /** Registers a loading session in `rooms` (its user and session rooms): from now on nothing is missed. */
  add(session: GatewaySession, rooms: string[]): void {
    this.byId.set(session.id, session);
    this.loading.add(session);
    this.join(session, rooms);
  }

  /** Unregisters a session: it receives nothing more. */
  remove(session: GatewaySession): void {
    if (this.byId.get(session.id) === session) this.byId.delete(session.id);
    this.loading.delete(session);
    this.leave(session, [...session.rooms]);
    if (session.detachTimer) clearTimeout(session.detachTimer);
    session.detachTimer = null;
  }

  join(session: GatewaySession, rooms: string[]): void {
    for (const room of rooms) {
      session.rooms.add(room);
      let members = this.byRoom.get(room);
      if (!members) this.byRoom.set(room, (members = new Set()));
      members.add(session);
    }
  }

  leave(session: GatewaySession, rooms: string[]): void {
    for (const room of rooms) {
      session.rooms.delete(room);
      const members = this.byRoom.get(room);
      if (!members) continue;
      members.delete(session);
      if (members.size === 0) this.byRoom.delete(room);
    }
  }

  /**
   * Makes a loading session live: `first` sends what opens it (READY, or a resume's replay of the
   * entries up to the one applied when it registered), then everything held since it registered
   * is applied in stream order. One synchronous step, so nothing can slip in between. Held
   * entries at or before `after` (a resume whose client got further on another process than this
   * one has read) were delivered already: their room changes apply silently, their events not at all.
   */
  activate(session: GatewaySession, first: () => void, after?: Position): void {
    this.loading.delete(session);
    session.state = 'live';
    first();
    const held = session.held;
    session.held = [];
    for (const item of held) {
      // A held room change may have ended the session (a revoked token).
      if ((session.state as SessionState) === 'closed') return;
      const id = item.kind === 'rooms' ? item.id : item.envelope.id;
      const seen = after !== undefined && compareIds(id, after.id) <= 0;
      if (item.kind === 'rooms') this.applyTo(session, item.op, item.id, seen);
      else if (!seen && this.targets(session, item.envelope)) this.send(session, item.envelope);
    }
  }

  /** Whether a stream entry is the first to carry its outbox event id (entries without one: always). */
  private fresh([id, entry]: StreamItem): boolean {
    return entry.k === 'h' || entry.eid === undefined || this.recent.admit(entry.eid, id);
  }

  /** Applies a batch of stream entries in order (a repeated outbox event: once). */
  handle(items: StreamItem[], onError: (err: unknown, id: string) => void): void {
    for (const item of items) {
      const [id, entry] = item;
      this.lastId = id;
      if (!this.fresh(item)) continue;
      try {
        if (entry.k === 'd') {
          const { k: _k, eid: _eid, ...rest } = entry;
          this.dispatch({ id, ...rest });
        } else if (entry.k === 'r') this.applyRoomOp(entry.op, id);
      } catch (err) {
        onError(err, id);
      }
    }
  }

  /** Delivers a dispatch to every session in its rooms (held for loading ones). */
  dispatch(envelope: DispatchEnvelope): void {
    for (const session of this.loading) session.held.push({ kind: 'dispatch', envelope });
    const targets = new Set<GatewaySession>();
    for (const room of envelope.rooms) {
      for (const session of this.byRoom.get(room) ?? []) targets.add(session);
    }
    for (const room of envelope.except ?? []) {
      for (const session of this.byRoom.get(room) ?? []) targets.delete(session);
    }
    for (const session of targets) {
      if (session.state === 'live' || session.state === 'detached') this.send(session, envelope);
    }
  }

  /** Applies a room change to every session in its room (held for loading ones). */
  applyRoomOp(op: RoomOp, id: string): void {
    for (const session of this.loading) session.held.push({ kind: 'rooms', op, id });
    for (const session of [...(this.byRoom.get(op.room) ?? [])]) {
      if (session.state !== 'loading') this.applyTo(session, op, id);
    }
  }

  /**
   * Sends one frame to a session with its next sequence number, recording its stream position
   * first; a bot session's intents may drop it or blank message content first (not numbered when
   * dropped). `pos` is for frames that stand for no single entry (RESUMED).
   */
  send(session: GatewaySession, event: DispatchEnvelope, pos?: Position): void {
    const envelope = session.filter ? session.filter.apply(event) : event;
    if (!envelope) return;
    this.deliver(session, envelope, pos ?? this.positionOf(session, entryOf(envelope.id)));
  }

  private positionOf(session: GatewaySession, entry: string): Position {
    if (session.lastEntry === entry) session.lastK += 1;
    else {
      session.lastEntry = entry;
      session.lastK = 0;
    }
    return { id: entry, k: session.lastK };
  }

  private deliver(session: GatewaySession, envelope: DispatchEnvelope, pos: Position): void {
    session.seq += 1;
    const socket = session.socket;
    const packet = socket ? encodeDispatch(envelope.t, session.seq, envelope.d) : '';
    this.buffer.record(session.id, session.seq, pos, socket ? () => sendEncoded(socket, packet) : undefined);
  }

  /**
   * What a resuming session missed: the frames that stream entries from `after` on give it, judged
   * by what it may see now (its rooms were just computed from the database, which already reflects
   * every room change up to these entries, so room changes only announce: a channel joined and
   * visible now, or left and invisible now). Frames of `after`'s own entry up to its index were
   * delivered already. Bot intents are applied here; a repeated outbox event counts once.
   */
  collectReplay(session: GatewaySession, items: StreamItem[], after: Position): ReplayFrame[] {
    const out: ReplayFrame[] = [];
    for (const item of items) {
      const [id, entry] = item;
      if (!this.fresh(item)) continue;
      const produced: DispatchEnvelope[] = [];
      if (entry.k === 'd') {
        const { k: _k, eid: _eid, ...rest } = entry;
        const envelope = { id, ...rest };
        if (this.targets(session, envelope)) produced.push(envelope);
      } else if (
        entry.k === 'r' &&
        entry.op.op !== 'disconnect' &&
        entry.op.announce &&
        session.rooms.has(entry.op.room)
      ) {
        const joined = entry.op.op === 'join';
        for (const room of entry.op.targets) {
          const event = entry.op.announce[room];
          if (event && session.rooms.has(room) === joined) {
            produced.push({ id: `${id}:${room}`, rooms: [], t: event.t, d: event.d });
          }
        }
      }
      let k = 0;
      for (const event of produced) {
        const envelope = session.filter ? session.filter.apply(event) : event;
        if (!envelope) continue;
        const seen = id === after.id && (after.k === '*' || k <= after.k);
        if (!seen) out.push({ envelope, pos: { id, k } });
        k += 1;
      }
    }
    return out;
  }

  /** Numbers and sends a resume's replayed frames (already filtered), recording their positions. */
  replay(session: GatewaySession, frames: ReplayFrame[]): void {
    for (const { envelope, pos } of frames) {
      session.lastEntry = pos.id;
      session.lastK = pos.k === '*' ? 0 : pos.k;
      this.deliver(session, envelope, pos);
    }
  }

  /** Tells a session about the rooms an op actually moved it into or out of. */
  private announce(
    session: GatewaySession,
    opId: string,
    announce: Record<string, RoomAnnouncement> | undefined,
    changed: string[],
  ): void {
    if (!announce) return;
    for (const room of changed) {
      const event = announce[room];
      if (event) this.send(session, { id: `${opId}:${room}`, rooms: [], t: event.t, d: event.d });
    }
  }

  private targets(session: GatewaySession, envelope: DispatchEnvelope): boolean {
    if (envelope.except?.some((room) => session.rooms.has(room))) return false;
    return envelope.rooms.some((room) => session.rooms.has(room));
  }

  private applyTo(session: GatewaySession, op: RoomOp, id: string, silent = false): void {
    if (!session.rooms.has(op.room)) return;
    switch (op.op) {
      case 'join': {
        const entered = op.targets.filter((room) => !session.rooms.has(room));
        this.join(session, op.targets);
        if (!silent) this.announce(session, id, op.announce, entered);
        return;
      }
      case 'leave': {
        const left = op.targets.filter((room) => session.rooms.has(room));
        this.leave(session, op.targets);
        if (!silent) this.announce(session, id, op.announce, left);
        return;
      }
      case 'disconnect':
        session.state = 'closed';
        this.remove(session);
        this.onKill(session);
        return;
    }
  }
}
