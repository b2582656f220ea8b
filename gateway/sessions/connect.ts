import crypto from 'node:crypto';
import { rooms, type DispatchEnvelope, type DispatchFrame } from '../../shared/events/index.js';
import type { Runtime } from '../../shared/runtime.js';
import type { PresenceTracker } from '../../shared/presence/tracker.js';
import { guardedListener } from '../../shared/net/guarded-listener.js';
import { leaveVoice } from '../../shared/voice-chat/join.js';
import { Intent } from '../../shared/intents.js';
import { IntentFilter } from '../intents.js';
import { loadReadyState, loadReadyUser, type ReadyState } from '../ready.js';
import type { GatewayNamespace, GatewaySocket } from '../types.js';
import { GatewaySession, type ReplayFrame, type SessionRegistry } from './registry.js';
import { compareIds, keptSince, readRange } from './event-stream.js';
import type { Position, ResumeBuffer } from './resume-buffer.js';

/** What the connection handlers share within one gateway process. */
export interface GatewayContext {
  rt: Runtime;
  nsp: GatewayNamespace;
  registry: SessionRegistry;
  buffer: ResumeBuffer;
  presence: PresenceTracker;
  /** This process's id in session records: a resume elsewhere asks it to hand the session over. */
  node: string;
  /** The event stream (shared/events): what sessions are sent, and what a resume replays. */
  streamKey: string;
}

/** The server-side event a gateway sends to take over a session another process holds. */
export const TAKEOVER_EVENT = 'plexichat:takeover';

/** How long a resume waits for the process holding the session to hand it over. */
export const TAKEOVER_TIMEOUT_MS = 3000;

/** What a client may send in its handshake to resume. */
export interface ResumeRequest {
  sessionId: string;
  seq: number;
}

/** A handshake that asked to resume but named no session this gateway could ever have issued. */
export interface MalformedResume {
  malformed: string;
}

/**
 * Reads `auth.session_id` + `auth.seq` from a handshake: null when the client did not ask to
 * resume (no `session_id`); a MalformedResume when it did with a session id or seq no session can
 * have, which API.md answers as any resume that cannot be honoured (INVALID_SESSION, then READY).
 */
export function resumeRequest(auth: unknown): ResumeRequest | MalformedResume | null {
  const a = auth as Record<string, unknown> | undefined;
  const sessionId = a?.session_id;
  const seq = a?.seq;
  if (sessionId === undefined || sessionId === null || sessionId === '') return null;
  if (typeof sessionId !== 'string' || !/^[0-9a-f]{32}$/.test(sessionId)) {
    return { malformed: 'unknown or expired session' };
  }
  if (typeof seq !== 'number' || !Number.isSafeInteger(seq) || seq < 0) {
    return { malformed: 'seq must be the sequence number of the last event received' };
  }
  return { sessionId, seq };
}

function baseRooms(socket: GatewaySocket): string[] {
  return [rooms.user(socket.data.userId), rooms.session(socket.data.authSessionId), socket.id];
}

/**
 * Gives a bot session its intent filter (users have none): DM channels come from READY's state,
 * later ones from CHANNEL_CREATE. Set before the session goes live, so nothing escapes it.
 */
function applyIntents(session: GatewaySession, intents: number | null, state: ReadyState): void {
  if (intents === null) return;
  const direct = state.payload.channels.filter((c) => c.server_id === null).map((c) => c.id);
  session.filter = new IntentFilter(session.userId, intents, direct);
}

/** READY's presences; none for a bot without SERVER_PRESENCES. */
function readyPresences(ctx: GatewayContext, socket: GatewaySocket) {
  const intents = socket.data.intents;
  if (intents !== null && (intents & Intent.SERVER_PRESENCES) === 0) return Promise.resolve([]);
  return ctx.presence.forReady(socket.data.userId);
}

/** Sends the session's opening frames directly (not kept for replay: READY is rebuilt, never replayed). */
function emitFrame(socket: GatewaySocket, frame: DispatchFrame): void {
  socket.emit('dispatch', frame);
}

/** A new session: READY (s = 1) with everything the user may see, then live events. */
export async function startSession(
  ctx: GatewayContext,
  socket: GatewaySocket,
  invalid?: string,
): Promise<void> {
  const session = new GatewaySession(crypto.randomBytes(16).toString('hex'), socket.data.userId, socket);
  socket.data.sessionId = session.id;
  ctx.registry.add(session, baseRooms(socket));
  // READY stands for everything up to here; what follows is held, then sent after it.
  const start = ctx.registry.lastId;
  bindDisconnect(ctx, session, socket);
  try {
    await ctx.buffer.open(session.id, session.userId, ctx.node, start, socket.data.intents);
    const user = await loadReadyUser(ctx.rt, session.userId);
    const [state, presences] = await Promise.all([loadReadyState(ctx.rt, user), readyPresences(ctx, socket)]);
    applyIntents(session, socket.data.intents, state);
    // Online before READY: once the client sees READY, its presence counts (a second connection
    // that closes right after the first one keeps the user online).
    await ctx.presence.opened(session.userId, socket.id);
    if (session.state === 'closed' || !socket.connected) {
      // It closed while we registered it: undo, or it would linger until the heartbeat expiry.
      await ctx.presence.closed(session.userId, socket.id);
      return;
    }
    ctx.registry.join(session, [
      ...state.rooms.servers.map(rooms.server),
      ...state.rooms.channels.map(rooms.channel),
    ]);
    ctx.registry.activate(session, () => {
      if (invalid)
        emitFrame(socket, { t: 'INVALID_SESSION', s: 0, d: { resumable: false, reason: invalid } });
      session.seq = 1;
      emitFrame(socket, { t: 'READY', s: 1, d: { session_id: session.id, ...state.payload, presences } });
    });
  } catch (err) {
    ctx.rt.logger.error({ err }, 'could not prepare READY');
    socket.disconnect(true);
  }
}

/**
 * A resume: take the session over from whichever process holds it (this one, another, or none if
 * that one died), find the stream position of the client's `seq` in the session's record, and
 * replay every event after it that the user may see now, numbered from `seq + 1`, then RESUMED,
 * then live. If the session is unknown, expired or someone else's, the seq was never sent, or the
 * stream no longer holds what followed it (or more than `resume_buffer_size` was missed):
 * INVALID_SESSION and a new session.
 */
export async function resumeSession(
  ctx: GatewayContext,
  socket: GatewaySocket,
  request: ResumeRequest,
): Promise<void> {
  const { registry, buffer, rt } = ctx;
  try {
    const meta = await buffer.lookup(request.sessionId);
    if (!meta || meta.userId !== socket.data.userId) {
      return await startSession(ctx, socket, 'unknown or expired session');
    }
    const session = new GatewaySession(request.sessionId, socket.data.userId, socket);
    socket.data.sessionId = session.id;
    if (meta.node === ctx.node) {
      // The old and new session swap in one synchronous step: no event falls between them.
      const old = registry.get(session.id);
      // A session still loading its READY was never given a seq a client could resume from.
      if (old?.state === 'loading') return await startSession(ctx, socket, 'session not found');
      if (old && (old.state === 'live' || old.state === 'detached')) retire(ctx, old);
      registry.add(session, baseRooms(socket));
    } else {
      // Registered before asking, so events the old process no longer takes are held here. A
      // holder that died answers nothing: its record in Redis is all a resume needs.
      registry.add(session, baseRooms(socket));
      await requestTakeover(ctx, session.id);
    }
    // Everything up to `upTo` is replayed from the stream; everything after it is held.
    const upTo = registry.lastId;
    bindDisconnect(ctx, session, socket);
    await buffer.flush();
    const after = await positionOf(ctx, request, meta.start);
    if (after === null) return await invalidate(ctx, session, socket, 'missed events expired');
    // The session keeps the intents it was opened with, less any its application has since taken away.
    const intents =
      socket.data.intents === null
        ? null
        : (meta.intents ?? socket.data.intents) & (socket.data.grantableIntents ?? 0);
    const user = await loadReadyUser(rt, session.userId);
    const state = await loadReadyState(rt, user);
    applyIntents(session, intents, state);
    registry.join(session, [
      ...state.rooms.servers.map(rooms.server),
      ...state.rooms.channels.map(rooms.channel),
    ]);
    const missed: ReplayFrame[] = [];
    for await (const page of readRange(rt.redis, ctx.streamKey, after.id, upTo)) {
      missed.push(...registry.collectReplay(session, page, after));
      if (missed.length > rt.config.gateway.resume_buffer_size) break;
    }
    if (missed.length > rt.config.gateway.resume_buffer_size) {
      return await invalidate(ctx, session, socket, 'missed events expired');
    }
    await buffer.open(session.id, session.userId, ctx.node, null, intents);
    // Online before RESUMED: once the client sees it, its presence counts.
    await ctx.presence.opened(session.userId, socket.id);
    if (session.state === 'closed' || !socket.connected) {
      // It closed while we registered it: undo, or it would linger until the heartbeat expiry.
      await ctx.presence.closed(session.userId, socket.id);
      return;
    }
    session.seq = request.seq;
    registry.activate(
      session,
      () => {
        registry.replay(session, missed);
        const resumed: DispatchEnvelope<'RESUMED'> = {
          id: `${upTo}:resumed`,
          rooms: [],
          t: 'RESUMED',
          d: { replayed: missed.length },
        };
        // RESUMED stands for everything up to here (the client's own position may be further on).
        registry.send(session, resumed, compareIds(after.id, upTo) > 0 ? after : { id: upTo, k: '*' });
      },
      after,
    );
  } catch (err) {
    rt.logger.error({ err }, 'could not resume a session');
    socket.disconnect(true);
  }
}

/**
 * The stream position the client's `seq` stands for (the latest record of it: a heartbeat may
 * have moved a quiet session's position on), or null when the seq was never recorded or what
 * followed it has been trimmed from the stream.
 */
async function positionOf(
  ctx: GatewayContext,
  request: ResumeRequest,
  start: string,
): Promise<Position | null> {
  const recorded = await ctx.buffer.read(request.sessionId);
  let pos: Position | null = request.seq === 1 ? { id: start, k: '*' } : null;
  for (const f of recorded) if (f.s === request.seq) pos = f.pos;
  if (pos === null) return null;
  return (await keptSince(ctx.rt.redis, ctx.streamKey, pos.id)) ? pos : null;
}

/** Ends a resume that cannot be honoured: INVALID_SESSION and a new session on the same connection. */
async function invalidate(
  ctx: GatewayContext,
  session: GatewaySession,
  socket: GatewaySocket,
  reason: string,
): Promise<void> {
  session.state = 'closed';
  ctx.registry.remove(session);
  void ctx.buffer.drop(session.id).catch(() => undefined);
  if (!socket.connected) return;
  await startSession(ctx, socket, reason);
}

/** Ends a session here because it continues elsewhere (or on a new connection here). */
function retire(ctx: GatewayContext, session: GatewaySession): void {
  session.state = 'closed';
  ctx.registry.remove(session);
  ctx.buffer.forget(session.id);
  const socket = session.socket;
  session.socket = null;
  socket?.disconnect(true);
}

/** Asks every other gateway process for the session; the one holding it answers with its last seq. */
async function requestTakeover(ctx: GatewayContext, sessionId: string): Promise<number | null> {
  try {
    // Bounded by the adapter's requestsTimeout (TAKEOVER_TIMEOUT_MS, set in server.ts).
    // Server-side events are untyped in our socket.io event maps (they never reach clients).
    const nsp = ctx.nsp as unknown as {
      serverSideEmitWithAck(ev: string, arg: unknown): Promise<unknown[]>;
    };
    const answers = await nsp.serverSideEmitWithAck(TAKEOVER_EVENT, { session_id: sessionId });
    for (const a of answers) {
      const seq = (a as { seq?: unknown } | null)?.seq;
      if (typeof seq === 'number') return seq;
    }
    return null;
  } catch (err) {
    ctx.rt.logger.warn({ err: (err as Error).message, sessionId }, 'session takeover got no answer');
    return null;
  }
}

/** Answers another process's takeover request for a session this one holds. */
export async function handOver(ctx: GatewayContext, sessionId: string): Promise<{ seq: number } | null> {
  const session = ctx.registry.get(sessionId);
  if (!session || (session.state !== 'live' && session.state !== 'detached')) return null;
  const seq = session.seq;
  retire(ctx, session);
  await ctx.buffer.flush();
  return { seq };
}

/** A session that ended for good takes its voice state with it (if that state is still its own). */
export function endVoiceOf(ctx: GatewayContext, session: GatewaySession): void {
  leaveVoice(ctx.rt, session.userId, { sessionId: session.id }).catch((err: Error) =>
    ctx.rt.logger.warn({ err: err.message }, 'could not end a voice state'),
  );
}

/**
 * When the connection drops, the session stays (detached) for the resume window, still collecting
 * its events; a connection ended by the server (revoked, banned) or replaced ends it for good.
 * Voice ends with the session, or at once when the client closes the connection itself.
 */
function bindDisconnect(ctx: GatewayContext, session: GatewaySession, socket: GatewaySocket): void {
  socket.once(
    'disconnect',
    guardedListener(ctx.rt.logger, 'closing a gateway connection', (reason: string) => {
      void ctx.presence
        .closed(session.userId, socket.id)
        .catch((err: Error) => ctx.rt.logger.warn({ err: err.message }, 'presence update failed'));
      if (session.socket !== socket) return;
      session.socket = null;
      if (session.state === 'closed' || session.state === 'loading') {
        session.state = 'closed';
        ctx.registry.remove(session);
        void ctx.buffer.drop(session.id).catch(() => undefined);
        endVoiceOf(ctx, session);
        return;
      }
      // socket.disconnect() on the client: it said goodbye, so it is not in voice any more.
      if (reason === 'client namespace disconnect') endVoiceOf(ctx, session);
      session.state = 'detached';
      ctx.registry.leave(session, [socket.id]);
      // The resume window starts now (live sessions' keys are kept alive by the heartbeat).
      void ctx.buffer.touch([session.id]).catch(() => undefined);
      session.detachTimer = setTimeout(() => {
        session.state = 'closed';
        ctx.registry.remove(session);
        void ctx.buffer.drop(session.id).catch(() => undefined);
        endVoiceOf(ctx, session);
      }, ctx.rt.config.gateway.resume_window_seconds * 1000);
      session.detachTimer.unref();
    }),
  );
}
