import { fork, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import type { Logger } from '../logger.js';
import { isUnderPath } from '../voice-chat/signal-paths.js';
import { isClusterMessage } from './handoff.js';

/** What a supervised process runs: the API with a gateway, the BullMQ workers, or voice. */
export type SupervisedRole = 'web' | 'workers' | 'voice';

/** Environment variable that tells the entry script which role to run as a supervised process. */
export const SUPERVISED_ROLE_ENV = 'PLEXICHAT_SUPERVISED_ROLE';

export interface SupervisorOptions {
  /** Script every process runs (the same entry; SUPERVISED_ROLE_ENV selects the role). */
  entry: string;
  host: string;
  port: number;
  /** Copies per role; a role with 0 copies is not run. */
  copies: Record<SupervisedRole, number>;
  /**
   * Environment of every process, on top of this one's, given the port listened on (the one
   * asked for, or the one picked for port 0: the processes build URLs with it).
   */
  env: (port: number) => Record<string, string>;
  /** Requests under these paths go to the voice process (its signaling), when one runs. */
  voicePaths: string[];
  logger: Logger;
  /** First restart delay of a process that died; doubles while it keeps dying, up to 30 s. */
  restartDelayMs?: number;
  /** How long a stopping process may take before SIGKILL. */
  stopTimeoutMs?: number;
}

/** One supervised process slot: restarted in place when its process dies. */
interface Slot {
  role: SupervisedRole;
  index: number;
  child: ChildProcess | null;
  ready: boolean;
  startedAt: number;
  failures: number;
}

/** Longest request line (method, target, version) the supervisor reads to route a connection. */
const MAX_HEAD_BYTES = 16 * 1024;
/** A connection that does not send its request line in this time is closed. */
const HEAD_TIMEOUT_MS = 20_000;
/**
 * How long a request naming a session the supervisor has not heard of waits for it: the process
 * reports a new session over IPC while its handshake answer travels to the client, which can send
 * its next request (a long-polling POST) before the report arrives.
 */
const UNKNOWN_SID_WAIT_MS = 250;
const UNAVAILABLE_BODY = '{"code":"unavailable","message":"Plexichat is starting or restarting; try again."}';
const UNAVAILABLE =
  'HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\nRetry-After: 1\r\n' +
  `Connection: close\r\nContent-Length: ${Buffer.byteLength(UNAVAILABLE_BODY)}\r\n\r\n${UNAVAILABLE_BODY}`;

/**
 * `npm start` on every core: runs the roles as processes, restarts one that dies, stops them all on
 * SIGTERM, and shares one port among the web processes. New connections go round robin to the web
 * processes; a socket.io request naming a session (`sid=`) goes to the process holding it, because
 * long-polling needs every request of a session on the same process; voice signaling goes to the
 * voice process. The socket itself is handed over, so traffic is never copied through here.
 */
export class Supervisor {
  private readonly slots: Slot[] = [];
  private readonly sessions = new Map<string, Slot>();
  /** Requests waiting for the report of the session they name (see UNKNOWN_SID_WAIT_MS). */
  private readonly awaited = new Map<string, (() => void)[]>();
  private server: net.Server | null = null;
  private port = 0;
  private stopping = false;
  private next = 0;

  constructor(private readonly options: SupervisorOptions) {
    for (const role of ['web', 'workers', 'voice'] as const) {
      for (let index = 0; index < options.copies[role]; index++) {
        this.slots.push({ role, index, child: null, ready: false, startedAt: 0, failures: 0 });
      }
    }
  }

  /**
   * Starts every process, waits until each serves and listens; resolves with the port. A fixed
   * port opens only then, so a client waiting for it finds the instance ready. Port 0 is bound
   * first instead, so that the processes know the port picked (the URLs they hand out name it);
   * a connection before a web process is ready is then answered 503.
   */
  async start(): Promise<number> {
    const server = net.createServer((socket) => this.route(socket));
    this.server = server;
    const listen = () =>
      new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(this.options.port, this.options.host, () => {
          server.off('error', reject);
          resolve();
        });
      });
    const spawnAll = () => Promise.all(this.slots.map((slot) => this.spawn(slot, true)));
    if (this.options.port === 0) {
      await listen();
      this.port = (server.address() as net.AddressInfo).port;
      await spawnAll();
    } else {
      this.port = this.options.port;
      await spawnAll();
      await listen();
    }
    return this.port;
  }

  /** Stops listening, then every process (SIGTERM, SIGKILL after the timeout). */
  async stop(): Promise<void> {
    this.stopping = true;
    const server = this.server;
    // Not awaited first: close() also waits for the sockets handed to the processes, which end
    // only when the processes do.
    const closed = server ? new Promise<void>((resolve) => server.close(() => resolve())) : Promise.resolve();
    const timeout = this.options.stopTimeoutMs ?? 20_000;
    await Promise.all(
      this.slots.map(async (slot) => {
        const child = slot.child;
        if (!child || child.exitCode !== null || child.signalCode !== null) return;
        const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), timeout);
        await exited;
        clearTimeout(timer);
      }),
    );
    await closed;
  }

  private spawn(slot: Slot, initial: boolean): Promise<void> {
    const { logger } = this.options;
    const child = fork(this.options.entry, [], {
      env: {
        ...process.env,
        ...this.options.env(this.port),
        [SUPERVISED_ROLE_ENV]: slot.role,
      },
      // Buffers (the bytes read before a handoff) cross IPC as they are.
      serialization: 'advanced',
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    slot.child = child;
    slot.ready = false;
    slot.startedAt = Date.now();
    let served = false;
    return new Promise<void>((resolve, reject) => {
      child.on('message', (message: unknown) => {
        if (!isClusterMessage(message)) return;
        if (message.type === 'plexichat:ready') {
          served = true;
          slot.ready = true;
          logger.info({ role: slot.role, index: slot.index, pid: child.pid }, 'process ready');
          resolve();
        } else if (message.type === 'plexichat:sid') {
          if (message.op === 'add') {
            this.sessions.set(message.sid, slot);
            for (const wake of this.awaited.get(message.sid) ?? []) wake();
            this.awaited.delete(message.sid);
          } else if (this.sessions.get(message.sid) === slot) this.sessions.delete(message.sid);
        }
      });
      child.once('exit', (code, signal) => {
        slot.ready = false;
        for (const [sid, owner] of this.sessions) if (owner === slot) this.sessions.delete(sid);
        if (this.stopping) return;
        if (initial && !served) {
          // A process that cannot start at all (bad config, database unusable) fails the start.
          reject(new Error(`the ${slot.role} process exited during start (code ${code ?? signal})`));
          return;
        }
        this.restart(slot, code, signal);
      });
    });
  }

  private restart(slot: Slot, code: number | null, signal: NodeJS.Signals | null): void {
    // A process that ran for a while gets a fresh delay; one that keeps dying backs off.
    slot.failures = Date.now() - slot.startedAt > 30_000 ? 1 : slot.failures + 1;
    const delay = Math.min(30_000, (this.options.restartDelayMs ?? 500) * 2 ** (slot.failures - 1));
    this.options.logger.error(
      { role: slot.role, index: slot.index, code, signal, restart_in_ms: delay },
      'process died; restarting',
    );
    setTimeout(() => {
      if (this.stopping) return;
      this.spawn(slot, false).catch(() => undefined);
    }, delay).unref();
  }

  /** Reads the request line of a new connection, then hands the socket to the process for it. */
  private route(socket: net.Socket): void {
    let head: Buffer = Buffer.alloc(0);
    socket.setTimeout(HEAD_TIMEOUT_MS, () => socket.destroy());
    socket.on('error', () => socket.destroy());
    const onData = (chunk: Buffer): void => {
      head = head.length ? Buffer.concat([head, chunk]) : chunk;
      const eol = head.indexOf('\r\n');
      if (eol === -1 && head.length < MAX_HEAD_BYTES) return;
      // Stop reading before anything else arrives: the bytes left in the kernel belong to the
      // process that gets the socket. pause() alone would still buffer up to the high-water mark.
      // `_handle` is Node's internal stream handle; readStop is what pause() uses internally.
      (socket as unknown as { _handle?: { readStop(): number } })._handle?.readStop();
      socket.off('data', onData);
      socket.pause();
      socket.setTimeout(0);
      const line = eol === -1 ? '' : head.subarray(0, eol).toString('latin1');
      const sid = sessionOf(line);
      if (sid && !this.sessions.has(sid))
        void this.reported(sid).then(() => this.handOver(socket, head, line));
      else this.handOver(socket, head, line);
    };
    socket.on('data', onData);
  }

  /** Hands the connection to the process for its request line (503 when none can take it). */
  private handOver(socket: net.Socket, head: Buffer, line: string): void {
    const target = this.pick(line);
    if (!target?.child?.connected) {
      socket.end(UNAVAILABLE);
      return;
    }
    target.child.send({ type: 'plexichat:connection', head }, socket, { keepOpen: false }, (err) => {
      if (err) socket.destroy();
    });
  }

  /** Resolves when `sid` is reported, or after UNKNOWN_SID_WAIT_MS (an ended session: routed as new). */
  private reported(sid: string): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        const left = (this.awaited.get(sid) ?? []).filter((w) => w !== wake);
        if (left.length > 0) this.awaited.set(sid, left);
        else this.awaited.delete(sid);
        resolve();
      }, UNKNOWN_SID_WAIT_MS);
      const wake = (): void => {
        clearTimeout(timer);
        resolve();
      };
      this.awaited.set(sid, [...(this.awaited.get(sid) ?? []), wake]);
    });
  }

  /** The process for a request line `METHOD target HTTP/x`. */
  private pick(requestLine: string): Slot | null {
    const target = requestLine.split(' ', 3)[1] ?? '';
    if (this.options.voicePaths.some((path) => isUnderPath(target, path))) {
      const voice = this.slots.find((s) => s.role === 'voice' && s.ready);
      if (voice) return voice;
    }
    const sid = sessionOf(requestLine);
    const owner = sid ? this.sessions.get(sid) : undefined;
    if (owner?.ready) return owner;
    const web = this.slots.filter((s) => s.role === 'web' && s.ready);
    if (!web.length) return null;
    this.next = (this.next + 1) % web.length;
    return web[this.next] ?? null;
  }
}

/** The socket.io session (`sid=`) a request line `METHOD target HTTP/x` names, if any. */
function sessionOf(requestLine: string): string | null {
  const target = requestLine.split(' ', 3)[1] ?? '';
  const query = target.indexOf('?');
  return query === -1 ? null : new URLSearchParams(target.slice(query + 1)).get('sid');
}
