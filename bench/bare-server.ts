/**
 * The yardstick for the fan-out and history parts (bench/scale.ts): a server with no application
 * at all, on the same cores, spoken to by the same clients. `node --import tsx bench/bare-server.ts`
 * as a child with an IPC channel: a node:cluster primary with BARE_PROCESSES workers (as many as
 * Plexichat's web processes) sharing one port, each answering
 * - GET /page: a fixed JSON body of BARE_PAGE_BYTES (a history page's size), over keep-alive;
 * - the gateway's wire protocol at /gateway/ (engine.io v4 open, socket.io namespace connect, a
 *   READY dispatch), and on the parent's `{type:'send', nonce}` one MESSAGE_CREATE dispatch of
 *   BARE_FRAME_BYTES to every connection, `s` counted per connection as Plexichat does.
 * What it measures is the floor this box puts under those figures: loopback TCP writes and reads,
 * the clients' own parsing, and two cores shared by everything.
 */
import cluster from 'node:cluster';
import http from 'node:http';
import { WebSocketServer, type WebSocket } from 'ws';
import { forkListeners } from './yardstick.js';

/** Parent -> primary -> workers. */
export type ToBare = { type: 'send'; nonce: string };

const processes = Number(process.env.BARE_PROCESSES ?? 2);
const pageBytes = Number(process.env.BARE_PAGE_BYTES ?? 30_000);
const frameBytes = Number(process.env.BARE_FRAME_BYTES ?? 700);

if (cluster.isPrimary) {
  forkListeners(processes);
  process.on('message', (message: ToBare) => {
    for (const worker of Object.values(cluster.workers ?? {})) worker?.send(message);
  });
  process.on('disconnect', () => process.exit(0));
} else {
  const page = JSON.stringify('x'.repeat(Math.max(0, pageBytes - 2)));
  const server = http.createServer((req, res) => {
    if (req.url?.startsWith('/page')) res.writeHead(200, { 'content-type': 'application/json' }).end(page);
    else res.writeHead(404).end();
  });
  const sessions = new Map<WebSocket, { s: number }>();
  const wss = new WebSocketServer({ server, path: '/gateway/', perMessageDeflate: false });
  wss.on('connection', (ws) => {
    ws.send('0{"sid":"bare","upgrades":[],"pingInterval":25000,"pingTimeout":20000,"maxPayload":65536}');
    ws.on('message', (data: Buffer) => {
      const text = data.toString();
      if (!text.startsWith('40')) return;
      const session = { s: 1 };
      ws.send('40{"sid":"bare"}');
      ws.send('42["dispatch",{"t":"READY","s":1,"d":{}}]');
      sessions.set(ws, session);
    });
    ws.on('close', () => sessions.delete(ws));
  });
  process.on('message', (message: ToBare) => {
    if (message.type !== 'send') return;
    // The payload is serialized once and `s` spliced in per connection, as gateway/frames.ts does.
    const d = JSON.stringify({ id: '1', channel_id: '1', nonce: message.nonce, content: '' });
    const payload = `${d.slice(0, -2)}${'x'.repeat(Math.max(0, frameBytes - d.length - 40))}"}`;
    for (const [ws, session] of sessions) {
      session.s += 1;
      ws.send(`42["dispatch",{"t":"MESSAGE_CREATE","s":${session.s},"d":${payload}}]`);
    }
  });
  server.listen(Number(process.env.BARE_PORT ?? 0), '127.0.0.1');
}
