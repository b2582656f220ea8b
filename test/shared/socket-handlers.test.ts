import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Server, type Socket as ServerSocket } from 'socket.io';
import { io, type Socket } from 'socket.io-client';
import { answerCommand, INTERNAL_ERROR_ACK, type CommandAck } from '../../shared/command-ack.js';
import { guardedListener } from '../../shared/net/guarded-listener.js';
import { captureLog } from '../helpers/log-capture.js';

// What the gateway's and voice's socket.io handlers are built on (gateway/commands, voice/signaling,
// gateway/server.ts and voice/node.ts): a bug in a handler answers that one client, never leaves a
// rejection unhandled nor throws out of socket.io, where it would end the process.

let httpServer: http.Server;
let server: Server;
let origin: string;
const clients: Socket[] = [];
const bugs: unknown[] = [];
const log = captureLog<{ msg: string; err?: { message: string } }>({ level: 'error' });
let throwOnConnection = false;

/** The handlers a client can reach, each failing its own way (or not at all). */
const COMMANDS: Record<string, (payload: unknown) => Promise<CommandAck>> = {
  echo: (payload) => Promise.resolve({ ok: true, payload }),
  throws_at_once: () => {
    throw new Error('thrown before any promise');
  },
  rejects: () => Promise.reject(new Error('rejected')),
  // An ack that cannot be encoded (JSON has no BigInt): sending it throws inside socket.io.
  unsendable: () => Promise.resolve({ ok: true, big: 1n }),
};

beforeAll(async () => {
  httpServer = http.createServer();
  server = new Server(httpServer);
  server.on(
    'connection',
    guardedListener(
      log.logger,
      'a test connection',
      (socket: ServerSocket) => {
        if (throwOnConnection) throw new Error('connection handler bug');
        socket.onAny((name: string, ...args: unknown[]) => {
          const command = COMMANDS[name];
          answerCommand(
            args,
            (payload) =>
              command ? command(payload) : Promise.resolve({ ok: false, code: 'x', message: 'x' }),
            (err) => bugs.push(err),
          );
        });
      },
      (socket) => socket.disconnect(true),
    ),
  );
  await new Promise<void>((resolve) => httpServer.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(httpServer.address() as AddressInfo).port}`;
});

afterAll(async () => {
  for (const c of clients) c.disconnect();
  await server.close();
});

function connect(): Socket {
  const socket = io(origin, { transports: ['websocket'], reconnection: false, forceNew: true });
  clients.push(socket);
  return socket;
}

async function connected(): Promise<Socket> {
  const socket = connect();
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('connect_error', reject);
  });
  return socket;
}

describe('answerCommand', () => {
  it('answers every failure of a handler internal_error, reports it, and the connection serves on', async () => {
    const client = await connected();
    const ask = (name: string, payload?: unknown) =>
      client.timeout(5000).emitWithAck(name, payload) as Promise<CommandAck>;
    expect(await ask('throws_at_once', {})).toEqual(INTERNAL_ERROR_ACK);
    expect(await ask('rejects', {})).toEqual(INTERNAL_ERROR_ACK);
    expect(await ask('unsendable', {})).toEqual(INTERNAL_ERROR_ACK);
    expect(bugs.map((e) => (e as Error).message)).toEqual([
      'thrown before any promise',
      'rejected',
      'Do not know how to serialize a BigInt',
    ]);
    expect(client.connected).toBe(true);
    expect(await ask('echo', { a: 1 })).toEqual({ ok: true, payload: { a: 1 } });
  });

  it('takes the payload before the ack, and none when the ack is all that was sent', async () => {
    const client = await connected();
    expect(await client.timeout(5000).emitWithAck('echo')).toEqual({ ok: true });
    expect(await client.timeout(5000).emitWithAck('echo', 'only', 'first')).toEqual({
      ok: true,
      payload: 'only',
    });
  });
});

describe('guardedListener', () => {
  it('closes the one connection whose handler threw, logs it, and takes the next one', async () => {
    throwOnConnection = true;
    const victim = connect();
    const reason = await new Promise<string>((resolve) => victim.once('disconnect', resolve));
    expect(reason).toBe('io server disconnect');
    expect(log.lines).toContainEqual(
      expect.objectContaining({
        msg: 'a test connection failed',
        err: expect.objectContaining({ message: 'connection handler bug' }),
      }),
    );
    throwOnConnection = false;
    const next = await connected();
    expect(await next.timeout(5000).emitWithAck('echo', 1)).toEqual({ ok: true, payload: 1 });
  });
});
