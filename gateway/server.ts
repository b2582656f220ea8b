import crypto from 'node:crypto';
import type { Server as HttpServer } from 'node:http';
import { createAdapter } from '@socket.io/redis-adapter';
import { Server } from 'socket.io';
import { eventStreamKey, socketIoKey } from '../shared/events/index.js';
import { guardedListener } from '../shared/net/guarded-listener.js';
import { HandshakeLimits, NAMESPACE_CONNECT_TIMEOUT_MS } from '../shared/net/handshake-limits.js';
import { claimUpgradePath, UPGRADES_CLAIMED } from '../shared/net/upgrade-paths.js';
import { createRedis, waitForRedis } from '../shared/redis.js';
import type { Runtime } from '../shared/runtime.js';
import { authenticateHandshake } from './auth.js';
import { installCommands } from './commands/index.js';
import { installDispatcher } from './dispatcher.js';
import { PresenceTracker } from '../shared/presence/tracker.js';
import {
  TAKEOVER_TIMEOUT_MS,
  resumeRequest,
  resumeSession,
  endVoiceOf,
  startSession,
  type GatewayContext,
} from './sessions/connect.js';
import { lastStreamId, StreamFollower } from './sessions/event-stream.js';
import { type GatewaySession, SessionRegistry } from './sessions/registry.js';
import { ResumeBuffer } from './sessions/resume-buffer.js';
import type { GatewayServer, GatewaySocket } from './types.js';

/** Sessions per step of a heartbeat (see the heartbeat in startGateway). */
const HEARTBEAT_CHUNK = 500;

/** A running gateway attached to an HTTP server. */
export interface Gateway {
  io: GatewayServer;
  /** This process's sessions (for metrics and tests). */
  sessions: SessionRegistry;
  close(): Promise<void>;
}

/**
 * Starts socket.io on `config.gateway.path`, clustered with the other gateway processes through
 * @socket.io/redis-adapter. Every connection authenticates with a token in the handshake, then
 * starts a session (READY) or resumes one (replay, RESUMED).
 */
export async function startGateway(rt: Runtime, httpServer: HttpServer): Promise<Gateway> {
  const pub = createRedis(rt.config, 'subscriber', rt.logger);
  const sub = pub.duplicate();
  await Promise.all([waitForRedis(pub), waitForRedis(sub)]);
  const io: GatewayServer = new Server(httpServer, {
    path: rt.config.gateway.path,
    serveClient: false,
    cors: rt.config.server.cors_origins.length > 0 ? { origin: rt.config.server.cors_origins } : undefined,
    maxHttpBufferSize: 64 * 1024,
    connectTimeout: NAMESPACE_CONNECT_TIMEOUT_MS,
    ...UPGRADES_CLAIMED,
    adapter: createAdapter(pub, sub, { key: socketIoKey(rt.config), requestsTimeout: TAKEOVER_TIMEOUT_MS }),
  });
  claimUpgradePath(httpServer, rt.config.gateway.path);
  const nsp = io.of('/');
  const g = rt.config.gateway;
  const buffer = new ResumeBuffer(
    rt.redis,
    rt.config.redis.key_prefix,
    g.resume_buffer_size,
    g.resume_window_seconds * 1000,
    rt.logger,
  );
  const registry = new SessionRegistry(buffer, (session) => {
    const socket = session.socket;
    session.socket = null;
    socket?.disconnect(true);
    void buffer.drop(session.id).catch(() => undefined);
    // Ended by the server (revoked token, ban): its voice state ends too.
    endVoiceOf(ctx, session);
  });
  const ctx: GatewayContext = {
    rt,
    nsp,
    registry,
    buffer,
    presence: new PresenceTracker(rt),
    node: crypto.randomBytes(8).toString('hex'),
    streamKey: eventStreamKey(rt.config),
  };
  const onBatch = installDispatcher(ctx);
  // Blocking reads get their own connection, which retries forever through a Redis restart.
  const follower = new StreamFollower(
    createRedis(rt.config, 'worker', rt.logger),
    ctx.streamKey,
    rt.logger,
    onBatch,
  );
  registry.lastId = await lastStreamId(rt.redis, ctx.streamKey);
  follower.start(registry.lastId);
  rt.metrics.sampled(
    'plexichat_gateway_sessions',
    'Gateway sessions held by this process, by state (live, detached awaiting resume, loading)',
    ['state'],
    () => {
      const counts: Record<string, number> = { live: 0, detached: 0, loading: 0 };
      for (const s of registry.all()) counts[s.state] = (counts[s.state] ?? 0) + 1;
      return Promise.resolve(Object.entries(counts).map(([state, value]) => ({ labels: { state }, value })));
    },
  );
  nsp.use(authenticateHandshake(rt, new HandshakeLimits(rt, 'gateway')));
  nsp.on(
    'connection',
    guardedListener(
      rt.logger,
      'a gateway connection',
      (socket: GatewaySocket) => {
        // The upgrade request has served its purpose (the handshake and its address are read): an idle
        // connection need not keep it, its raw headers and its parser state alive for hours.
        (socket.conn as unknown as { request: unknown }).request = null;
        installCommands(ctx, socket);
        const resume = resumeRequest(socket.handshake.auth);
        const opening =
          resume === null
            ? startSession(ctx, socket)
            : 'malformed' in resume
              ? startSession(ctx, socket, resume.malformed)
              : resumeSession(ctx, socket, resume);
        opening.catch((err: unknown) => {
          rt.logger.error({ err }, 'could not open a gateway session');
          socket.disconnect(true);
        });
      },
      (socket) => socket.disconnect(true),
    ),
  );

  // A heartbeat refreshes every session's resume position and keys and every connection's presence:
  // a few Redis commands per session. Sent HEARTBEAT_CHUNK sessions at a time, each step awaited,
  // so what a step allocates (ioredis commands, keys, replies) dies young instead of piling up in
  // one pipeline for all sessions, which V8 promoted to the old generation: with thousands of idle
  // connections that garbage, not the connections, set the process's RSS (README, Connections).
  let beating = false;
  const beat = async () => {
    const sessions = [...registry.all()];
    for (let i = 0; i < sessions.length; i += HEARTBEAT_CHUNK) {
      const chunk = sessions.slice(i, i + HEARTBEAT_CHUNK);
      const live: GatewaySession[] = [];
      for (const s of chunk) {
        if (s.state === 'live' || s.state === 'detached') buffer.mark(s.id, s.seq, registry.lastId);
        if (s.state === 'live') live.push(s);
      }
      await Promise.all([
        buffer.flush(),
        ctx.presence.refresh(
          live.flatMap((s) => (s.socket ? [{ userId: s.userId, connectionId: s.socket.id }] : [])),
        ),
        buffer.touch(live.map((s) => s.id)),
      ]);
    }
    await Promise.all([ctx.presence.sweep(), rt.events.heartbeat()]);
  };
  const heartbeat = setInterval(() => {
    if (beating) return;
    beating = true;
    beat()
      .catch((err: Error) => rt.logger.warn({ err: err.message }, 'gateway heartbeat failed'))
      .finally(() => {
        beating = false;
      });
  }, g.presence_heartbeat_seconds * 1000);
  heartbeat.unref();

  rt.logger.info({ path: g.path, node: ctx.node }, 'gateway started');
  return {
    io,
    sessions: registry,
    async close() {
      clearInterval(heartbeat);
      await follower.stop();
      await io.close();
      await buffer.flush();
      pub.disconnect();
      sub.disconnect();
    },
  };
}
