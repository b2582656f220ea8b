import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** A throwaway HTTP server on a loopback address, counting the requests it received. */
export interface LocalServer {
  /** `http://127.0.0.1:<port>` (IPv6 hosts bracketed). */
  origin: string;
  port: number;
  /** Requests received so far (a connection that never sent one is not counted). */
  requests: http.IncomingMessage[];
  close(): Promise<void>;
}

/** Starts `handler` on `host` (any loopback alias works on Linux: 127.0.0.2 ...) and a free port. */
export async function startLocalServer(
  handler: (req: http.IncomingMessage, res: http.ServerResponse) => void,
  host = '127.0.0.1',
): Promise<LocalServer> {
  const requests: http.IncomingMessage[] = [];
  const server = http.createServer((req, res) => {
    requests.push(req);
    handler(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    port,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        // Servers that never answer keep their sockets open: cut them.
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
