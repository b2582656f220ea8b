import type http from 'node:http';
import type { AddressInfo } from 'node:net';
import { capServerConnections } from '../shared/net/connection-cap.js';
import type { Runtime } from '../shared/runtime.js';
import { createApp } from './app.js';
import { createExpressServer } from './express-server.js';

/** A listening API server. */
export interface ApiServer {
  server: http.Server;
  port: number;
  close(): Promise<void>;
}

/** The API's HTTP server, not yet listening (a supervised process is handed connections instead). */
export function createApiServer(rt: Runtime): http.Server {
  const server = createExpressServer(createApp(rt));
  // Slow-loris protection: a client must send its headers and body in bounded time.
  server.headersTimeout = 20_000;
  server.requestTimeout = 60_000;
  capServerConnections(rt, server);
  return server;
}

/** Starts the API on `port` (default server.port; 0 picks a free one). */
export async function startApi(rt: Runtime, port = rt.config.server.port): Promise<ApiServer> {
  const server = createApiServer(rt);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, rt.config.server.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const actual = (server.address() as AddressInfo).port;
  // A free port picked for server.port 0 (tests) becomes the configured one, so the URLs built from
  // the listening address (publicBase: webhook URLs, mail links without public_url) name it.
  if (rt.config.server.port === 0 && port === 0) rt.config.server.port = actual;
  rt.logger.info({ host: rt.config.server.host, port: actual }, 'api listening');
  return {
    server,
    port: actual,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
