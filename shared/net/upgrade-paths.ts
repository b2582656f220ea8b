import type { Server as HttpServer } from 'node:http';

/** The answer to a WebSocket upgrade on a path no socket.io server here serves. */
const NOT_FOUND = 'HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n';

const claims = new WeakMap<HttpServer, string[]>();

/**
 * The socket.io options that leave upgrades on other paths alone, for a server that claims its own
 * path here (claimUpgradePath). engine.io's default (`destroyUpgrade`) ends an upgrade that is not
 * on its path after a second, if nothing answered it by then: with the gateway and voice signaling
 * on one HTTP server (the all-in-one process, the tests), every upgrade started that ref'd timer in
 * the server it was not for, which held a finished process (a test worker) open for that second.
 */
export const UPGRADES_CLAIMED = { destroyUpgrade: false } as const;

/**
 * Registers `path` (a socket.io server's, created with UPGRADES_CLAIMED) as served on `server`.
 * The first claim installs the one listener that refuses, at once, an upgrade on no claimed path
 * (matched as engine.io matches its own: the path with a trailing slash, as a prefix of the URL).
 */
export function claimUpgradePath(server: HttpServer, path: string): void {
  let paths = claims.get(server);
  if (!paths) {
    const claimed: string[] = [];
    paths = claimed;
    claims.set(server, claimed);
    server.on('upgrade', (req, socket) => {
      const url = req.url ?? '';
      if (claimed.some((p) => url.startsWith(p))) return;
      socket.on('error', () => socket.destroy());
      socket.end(NOT_FOUND);
    });
  }
  paths.push(`${path.replace(/\/$/, '')}/`);
}
