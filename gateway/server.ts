import type { Server as HttpServer } from 'node:http';
import { createAdapter } from '@socket.io/redis-adapter';
import { Server } from 'socket.io';
import { socketIoKey } from '../shared/events/index.js';
import { createRedis, waitForRedis } from '../shared/redis.js';
import type { Runtime } from '../shared/runtime.js';
import { installDispatcher } from './dispatcher.js';
import type { GatewayServer } from './types.js';

/** A running gateway attached to an HTTP server. */
export interface Gateway {
  io: GatewayServer;
  close(): Promise<void>;
}

/**
 * Starts socket.io on `config.gateway.path`, clustered with the other gateway processes through
 * @socket.io/redis-adapter. Authentication arrives with the accounts capability; until then a
 * connection is accepted but joins no room, so it receives nothing.
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
  nsp.on('connection', (socket) => {
    socket.data.seq = 0;
    rt.logger.debug({ socket: socket.id }, 'gateway connection');
  });
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
