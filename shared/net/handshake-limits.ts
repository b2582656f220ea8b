import type { IncomingMessage } from 'node:http';
import proxyaddr from 'proxy-addr';
import type { Runtime } from '../runtime.js';
import { RateWindows } from '../rate-windows.js';
import { CidrSet, normalizeIp } from './ip.js';
import { untrustedProxyWarner } from './untrusted-proxy.js';

/** What a refused socket.io handshake carries as connect_error's `data`. */
export interface RefusalData {
  code: string;
  message: string;
  /** Seconds to wait before the next handshake (`rate_limited`). */
  retry_after?: number;
}

/** A refused handshake: clients get `connect_error` with `message` and `data` ({code, message, ...}). */
export class Refusal extends Error {
  constructor(readonly data: RefusalData) {
    super(data.message);
  }
}

/** A handshake refusal in the shape every socket.io namespace of Plexichat sends. */
export function refusal(
  code: string,
  message: string,
  extra: Omit<RefusalData, 'code' | 'message'> = {},
): Refusal {
  return new Refusal({ code, message, ...extra });
}

/**
 * How a handshake's client address is read: X-Forwarded-For believed only from
 * server.trusted_proxies, as the API does (and, as the API does, a local proxy left out of them is
 * named in the log once: its clients would all share its handshake budget).
 */
export function handshakeAddress(
  rt: Pick<Runtime, 'config' | 'logger'>,
): (request: IncomingMessage) => string {
  const trust = proxyaddr.compile(rt.config.server.trusted_proxies);
  const warn = untrustedProxyWarner(rt.logger, (peer) => trust(peer, 0));
  return (request) => {
    warn(request);
    return normalizeIp(proxyaddr(request, trust));
  };
}

/** What the limits need of a socket.io server-side socket (any namespace, any typing). */
export interface HandshakingSocket {
  once(event: 'disconnect', listener: () => void): unknown;
  conn: {
    readyState: string;
    once(event: 'close', listener: () => void): unknown;
    removeListener(event: 'close', listener: () => void): unknown;
    close(): unknown;
  };
}

/**
 * Concurrent connections per user in this process, exact (counted in memory as sockets come and
 * go), so it needs no cleaning after a crash: it dies with the process whose descriptors it counts.
 */
export class ConnectionCap {
  private readonly counts = new Map<string, number>();

  constructor(readonly max: number) {}

  /** Connections `userId` holds here now (admitted handshakes included). */
  count(userId: string): number {
    return this.counts.get(userId) ?? 0;
  }

  /**
   * Takes one of `userId`'s slots for `socket`, freed once when the socket disconnects or its
   * connection closes (which covers a client that left before its handshake completed). Null when
   * the user holds `max` already. The returned function frees the slot early (a later check
   * refused the handshake); calling it again does nothing.
   */
  take(userId: string, socket: HandshakingSocket): (() => void) | null {
    const held = this.count(userId);
    if (held >= this.max) return null;
    // A client gone during the asynchronous checks never fires `close` again: socket.io drops it.
    if (socket.conn.readyState !== 'open') return () => undefined;
    this.counts.set(userId, held + 1);
    let freed = false;
    const free = (): void => {
      if (freed) return;
      freed = true;
      // A connection may carry several handshakes in turn: its listeners must not pile up.
      socket.conn.removeListener('close', free);
      const left = this.count(userId) - 1;
      if (left > 0) this.counts.set(userId, left);
      else this.counts.delete(userId);
    };
    socket.once('disconnect', free);
    socket.conn.once('close', free);
    return free;
  }
}

/**
 * Handshakes per client address, counted in Redis (one window shared by every process of the
 * namespace) before anything else is looked up, whether they turn out good or bad. Addresses in
 * security.throttle_exempt_cidrs (the machine itself by default) are not counted.
 */
export class HandshakeRateLimit {
  private readonly windows: RateWindows;
  private readonly exempt: CidrSet;

  constructor(
    private readonly rt: Pick<Runtime, 'redis' | 'config'>,
    /** Which handshakes share the budget. */
    private readonly scope: LimitedNamespace,
  ) {
    this.windows = new RateWindows(rt.redis, rt.config.redis.key_prefix);
    this.exempt = new CidrSet(rt.config.security.throttle_exempt_cidrs);
  }

  /** Counts a handshake from `ip`: null when it may go on, else the seconds to wait. */
  async hit(ip: string): Promise<number | null> {
    if (this.exempt.has(ip)) return null;
    const limit = this.rt.config.gateway.handshake_rate_limit;
    const [count] = await this.windows.take([[limit, `hs:${this.scope}:${ip}`]]);
    if (!count || count.consumed <= limit.points) return null;
    return Math.max(0.001, count.msBeforeNext / 1000);
  }
}

/**
 * How long a connection may stay open without joining a namespace (socket.io's `connectTimeout`,
 * 45 s by default). A client sends its namespace handshake right after the connection opens; one
 * that does not is never counted by the limits below, so this bounds how long it holds a file
 * descriptor.
 */
export const NAMESPACE_CONNECT_TIMEOUT_MS = 10_000;

/** A namespace whose handshakes are limited; each counts its handshakes and connections apart. */
export type LimitedNamespace = 'gateway' | 'voice';

/**
 * The limits on one namespace's handshakes: per address (HandshakeRateLimit, through Redis) and
 * per user on this process (ConnectionCap), with the refusals they answer, counted in the metrics
 * (plexichat_handshake_refusals_total; `rate_limited` also in plexichat_rate_limit_hits_total).
 */
export class HandshakeLimits {
  private readonly readAddress: (request: IncomingMessage) => string;
  /** Each connection's client address, read from its first handshake's request. */
  private readonly addresses = new WeakMap<object, string>();
  readonly connections: ConnectionCap;
  private readonly perAddress: HandshakeRateLimit;

  constructor(
    private readonly rt: Pick<Runtime, 'redis' | 'config' | 'metrics' | 'logger'>,
    private readonly namespace: LimitedNamespace,
  ) {
    this.readAddress = handshakeAddress(rt);
    this.connections = new ConnectionCap(rt.config.gateway.max_connections_per_user);
    this.perAddress = new HandshakeRateLimit(rt, namespace);
  }

  /**
   * The client address of a handshake. A connection may carry another handshake after its first
   * (a namespace disconnect, then a connect), by when the gateway has let go of the request it
   * opened with: the address read the first time is kept with the connection.
   */
  addressOf(socket: { conn: object; request: IncomingMessage | null }): string {
    let ip = this.addresses.get(socket.conn);
    if (ip === undefined) {
      if (!socket.request) throw new Error('a connection without its request and address');
      ip = this.readAddress(socket.request);
      this.addresses.set(socket.conn, ip);
    }
    return ip;
  }

  /** Counts a handshake from `ip` (before anything else is looked up): `rate_limited` when over. */
  async countAddress(ip: string): Promise<Refusal | null> {
    const wait = await this.perAddress.hit(ip);
    if (wait === null) return null;
    return refusal('rate_limited', 'Too many connection attempts from your address: retry later', {
      retry_after: wait,
    });
  }

  /**
   * Takes one of `userId`'s connection slots for `socket` (see ConnectionCap.take): the function
   * that frees it early, or `too_many_connections` when the user holds them all.
   */
  takeSlot(userId: string, socket: HandshakingSocket): (() => void) | Refusal {
    const free = this.connections.take(userId, socket);
    if (free) return free;
    const max = this.connections.max;
    return refusal(
      'too_many_connections',
      `Too many open connections for this account (at most ${max} per server process): close some first`,
    );
  }

  /**
   * Refuses the handshake with `err` and closes its connection once the refusal has gone out
   * (socket.io sends it on the next tick and would otherwise keep the connection, and its file
   * descriptor, until its connect timeout). socket.io-client closes it itself; this is for clients
   * that would not.
   */
  refuse(socket: HandshakingSocket, next: (err: Error) => void, err: Refusal): void {
    this.rt.metrics.handshakeRefusals.inc({ namespace: this.namespace, code: err.data.code });
    if (err.data.code === 'rate_limited') {
      this.rt.metrics.rateLimitHits.inc({ bucket: `${this.namespace}_handshake` });
    }
    next(err);
    setImmediate(() => {
      // close() sends what is queued (the refusal) first.
      if (socket.conn.readyState === 'open') socket.conn.close();
    });
  }
}
