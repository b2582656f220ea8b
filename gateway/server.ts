import type { Server as HttpServer } from 'node:http';
import { createAdapter } from '@socket.io/redis-adapter';
import { Server } from 'socket.io';
import { rooms, socketIoKey } from '../shared/events/index.js';
import { createRedis, waitForRedis } from '../shared/redis.js';
import type { Runtime } from '../shared/runtime.js';
import { authenticateHandshake } from './auth.js';
import { installDispatcher, sendDispatch } from './dispatcher.js';
import { loadReadyState } from './ready.js';
import type { GatewayServer, GatewaySocket } from './types.js';

/** A running gateway attached to an HTTP server. */
export interface Gateway {
  io: GatewayServer;
  close(): Promise<void>;
}

/**
 * Starts socket.io on `config.gateway.path`, clustered with the other gateway processes through
 * @socket.io/redis-adapter. Every connection authenticates with a token in the handshake.
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
    adapter: createAdapter(pub, sub, { key: socketIoKey(rt.config) }),
  });
  const nsp = io.of('/');
  installDispatcher(nsp, rt.logger);
  nsp.use(authenticateHandshake(rt));
  nsp.on('connection', (socket) => void onConnection(rt, socket));
  rt.logger.info({ path: rt.config.gateway.path }, 'gateway started');
  return {
    io,
    async close() {
      await io.close();
      pub.disconnect();
      sub.disconnect();
    },
  };
}

/**
 * A new authenticated connection: load what READY needs, then join the rooms and send READY in
 * one synchronous step, so no dispatch can slip in ahead of READY (READY is always s = 1).
 */
async function onConnection(rt: Runtime, socket: GatewaySocket): Promise<void> {
  try {
    const user = await rt.models.User.findByPk(socket.data.userId, { rejectOnEmpty: true });
    const state = await loadReadyState(rt, user);
    if (!socket.connected) return;
    void socket.join([
      rooms.user(user.id),
      rooms.session(socket.data.authSessionId),
      ...state.rooms.servers.map(rooms.server),
      ...state.rooms.channels.map(rooms.channel),
    ]);
    sendDispatch(socket, 'READY', { session_id: socket.data.sessionId, ...state.payload });
  } catch (err) {
    rt.logger.error({ err }, 'could not prepare READY');
    socket.disconnect(true);
  }
}
