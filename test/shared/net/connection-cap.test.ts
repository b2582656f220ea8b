import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { acceptHandoffs } from '../../../shared/cluster/handoff.js';
import {
  capConnections,
  connectionCap,
  DESCRIPTOR_RESERVE,
  openFileLimit,
} from '../../../shared/net/connection-cap.js';

/**
 * The per-process connection cap (shared/net/connection-cap.ts) over real sockets on loopback: past
 * it a new connection is closed at once, whether the server accepted it or the supervisor handed
 * it over, and one closing makes room again.
 */

const LIMITS = `Limit                     Soft Limit           Hard Limit           Units
Max cpu time              unlimited            unlimited            seconds
Max open files            20000                20000                files
Max locked memory         8388608              8388608              bytes
`;

it('reads the soft open-file limit and derives the automatic cap from it', () => {
  expect(openFileLimit(() => LIMITS)).toBe(20000);
  expect(openFileLimit(() => LIMITS.replace('20000                20000', 'unlimited unlimited'))).toBeNull();
  expect(
    openFileLimit(() => {
      throw new Error('no /proc here');
    }),
  ).toBeNull();
  expect(connectionCap(0, 20000)).toBe(20000 - DESCRIPTOR_RESERVE);
  expect(connectionCap(0, 100)).toBe(64);
  expect(connectionCap(500, 20000)).toBe(500);
  expect(connectionCap(0, null)).toBeNull();
  // This machine's own limit, as the processes read it.
  expect(openFileLimit()).toBeGreaterThan(0);
});

/** An HTTP server answering 200, capped at `cap`, with the refusals it reported. */
function cappedServer(cap: number) {
  const drops: number[] = [];
  const server = http.createServer((_req, res) => res.end('ok'));
  capConnections(server, cap, () => drops.push(Date.now()));
  return { server, drops };
}

/** Opens a connection and asks once over it; resolves with the answer's status, or 'closed'. */
function ask(port: number): Promise<{ socket: net.Socket; outcome: Promise<string> }> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1', () => {
      const outcome = new Promise<string>((done) => {
        let data = '';
        socket.on('data', (chunk: Buffer) => {
          data += chunk.toString('latin1');
          if (data.includes('\r\n\r\n')) done(data.split(' ')[1] ?? '');
        });
        socket.on('close', () => done('closed'));
        socket.on('error', () => done('closed'));
      });
      socket.write('GET / HTTP/1.1\r\nHost: x\r\nConnection: keep-alive\r\n\r\n');
      resolve({ socket, outcome });
    });
  });
}

it('closes connections past the cap at once and admits again when one closes', async () => {
  const { server, drops } = cappedServer(2);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  try {
    const a = await ask(port);
    const b = await ask(port);
    expect([await a.outcome, await b.outcome]).toEqual(['200', '200']);
    const c = await ask(port);
    expect(await c.outcome).toBe('closed');
    expect(drops.length).toBeGreaterThanOrEqual(1);
    a.socket.destroy();
    await new Promise((resolve) => setTimeout(resolve, 100));
    const d = await ask(port);
    expect(await d.outcome).toBe('200');
    for (const s of [b.socket, d.socket]) s.destroy();
  } finally {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

it('refuses handed-over connections past the cap too', async () => {
  const { server, drops } = cappedServer(1);
  const stop = acceptHandoffs(server);
  // Stands in for the supervisor: takes the connection and hands it over as its IPC message would.
  const front = net.createServer((socket) => {
    socket.pause();
    process.emit('message', { type: 'plexichat:connection', head: new Uint8Array() }, socket);
  });
  await new Promise<void>((resolve) => front.listen(0, '127.0.0.1', resolve));
  const { port } = front.address() as AddressInfo;
  try {
    const a = await ask(port);
    expect(await a.outcome).toBe('200');
    const b = await ask(port);
    expect(await b.outcome).toBe('closed');
    expect(drops).toHaveLength(1);
    a.socket.destroy();
    await new Promise((resolve) => setTimeout(resolve, 100));
    const c = await ask(port);
    expect(await c.outcome).toBe('200');
    c.socket.destroy();
  } finally {
    stop();
    server.closeAllConnections();
    await new Promise((resolve) => front.close(resolve));
  }
});
