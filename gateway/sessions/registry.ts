import type { DispatchEnvelope, RoomAnnouncement, RoomOp } from '../../shared/events/index.js';
import type { IntentFilter } from '../intents.js';
import type { GatewaySocket } from '../types.js';
import type { ResumeBuffer } from './resume-buffer.js';

/**
 * loading: the session's rooms are being computed; everything that arrives meanwhile is held.
 * live: a connection is attached. detached: the connection dropped; events are still numbered
 * and kept for a resume. closed: gone for good.
 */
export type SessionState = 'loading' | 'live' | 'detached' | 'closed';

type Held = { kind: 'dispatch'; envelope: DispatchEnvelope } | { kind: 'rooms'; op: RoomOp };

/** One gateway session: what READY's session_id names. It outlives a dropped connection. */
export class GatewaySession {
  seq = 0;
  state: SessionState = 'loading';
  readonly rooms = new Set<string>();
  held: Held[] = [];
  detachTimer: NodeJS.Timeout | null = null;
  /** A bot session's intents (gateway/intents.ts); null for users, who get every event they may see. */
  filter: IntentFilter | null = null;

  constructor(
    readonly id: string,
    readonly userId: string,
    public socket: GatewaySocket | null,
  ) {}
}

/**
 * This process's sessions and the rooms they are in. Dispatch and room changes arrive here from
 * every role (through Redis, in publish order); each session numbers its own frames, sends them
 * to its connection if it has one and keeps them for resume.
 */
export class SessionRegistry {
  private readonly byId = new Map<string, GatewaySession>();
  private readonly byRoom = new Map<string, Set<GatewaySession>>();
  private readonly loading = new Set<GatewaySession>();

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
   * Makes a loading session live: `first` sends what opens it (READY, or a resume's replay), then
   * everything held while it loaded is applied in arrival order (events it already got through
   * the replay, by id, are skipped). One synchronous step, so nothing can slip in between.
   */
  activate(session: GatewaySession, first: () => void, skip: ReadonlySet<string> = new Set()): void {
    this.loading.delete(session);
    session.state = 'live';
    first();
    const held = session.held;
    session.held = [];
    for (const item of held) {
      // A held room change may have ended the session (a revoked token).
      if ((session.state as SessionState) === 'closed') return;
      if (item.kind === 'rooms') this.applyTo(session, item.op);
      else if (!skip.has(item.envelope.id) && this.targets(session, item.envelope)) {
        this.send(session, item.envelope);
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
  applyRoomOp(op: RoomOp): void {
    for (const session of this.loading) session.held.push({ kind: 'rooms', op });
    for (const session of [...(this.byRoom.get(op.room) ?? [])]) {
      if (session.state !== 'loading') this.applyTo(session, op);
    }
  }

  /**
   * Sends one frame to a session with its next sequence number and keeps it for resume; a bot
   * session's intents may drop it or blank message content first (not numbered when dropped).
   */
  send(session: GatewaySession, event: DispatchEnvelope): void {
    const envelope = session.filter ? session.filter.apply(event) : event;
    if (!envelope) return;
    session.seq += 1;
    session.socket?.emit('dispatch', { t: envelope.t, s: session.seq, d: envelope.d });
    this.buffer.append(session.id, session.seq, envelope);
  }

  /** Tells a session about the rooms an op actually moved it into or out of. */
  private announce(
    session: GatewaySession,
    opId: string | undefined,
    announce: Record<string, RoomAnnouncement> | undefined,
    changed: string[],
  ): void {
    if (!announce) return;
    for (const room of changed) {
      const event = announce[room];
      if (event) this.send(session, { id: `${opId ?? 'op'}:${room}`, rooms: [], t: event.t, d: event.d });
    }
  }

  private targets(session: GatewaySession, envelope: DispatchEnvelope): boolean {
    if (envelope.except?.some((room) => session.rooms.has(room))) return false;
    return envelope.rooms.some((room) => session.rooms.has(room));
  }

  private applyTo(session: GatewaySession, op: RoomOp): void {
    if (!session.rooms.has(op.room)) return;
    switch (op.op) {
      case 'join': {
        const entered = op.targets.filter((room) => !session.rooms.has(room));
        this.join(session, op.targets);
        this.announce(session, op.id, op.announce, entered);
        return;
      }
      case 'leave': {
        const left = op.targets.filter((room) => session.rooms.has(room));
        this.leave(session, op.targets);
        this.announce(session, op.id, op.announce, left);
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
