import net from 'node:net';
import { until } from './services.js';

/**
 * One TCP connection to the test server, written by hand: for what fetch cannot show (a body sent
 * in halves or never finished, several requests on the very same socket, the Connection header).
 */
export interface RawConnection {
  /** Everything the server sent since the connection opened or the last `clear()` (latin1). */
  readonly received: string;
  /** Whether the server ended or reset the connection. */
  readonly closed: boolean;
  /** Whether a write failed (EPIPE or a reset while the client was still sending). */
  readonly writeFailed: boolean;
  write(data: string | Buffer): void;
  clear(): void;
  /** Waits until what was received matches `pattern`. */
  waitFor(pattern: RegExp, what: string, timeoutMs?: number): Promise<void>;
  /** Waits until the server closed the connection. */
  waitClosed(timeoutMs?: number): Promise<void>;
  destroy(): void;
}

/**
 * Connects to the host and port of `url` (loopback only: tests never leave the machine), from
 * `localAddress` when given (another 127.x address: a proxy then sees another client).
 */
export function openRawConnection(url: string, localAddress?: string): RawConnection {
  const { hostname, port } = new URL(url);
  const socket = net.connect({
    port: Number(port),
    host: hostname,
    ...(localAddress ? { localAddress } : {}),
  });
  let received = '';
  let closed = false;
  let writeFailed = false;
  socket.setEncoding('latin1').on('data', (chunk: string) => (received += chunk));
  socket.on('close', () => (closed = true));
  socket.on('error', () => (writeFailed = true));
  return {
    get received() {
      return received;
    },
    get closed() {
      return closed;
    },
    get writeFailed() {
      return writeFailed;
    },
    write: (data) => void socket.write(data),
    clear: () => (received = ''),
    waitFor: (pattern, what, timeoutMs) => until(() => pattern.test(received), what, timeoutMs),
    waitClosed: (timeoutMs) => until(() => closed, 'the server to close the connection', timeoutMs),
    destroy: () => socket.destroy(),
  };
}

/** An HTTP/1.1 request's head for `url`: request line, Host and `headers`, then the blank line. */
export function requestHead(
  method: string,
  url: string,
  headers: Record<string, string | number> = {},
): string {
  const { host, pathname, search } = new URL(url);
  const lines = Object.entries({ Host: host, ...headers }).map(([name, value]) => `${name}: ${value}\r\n`);
  return `${method} ${pathname}${search} HTTP/1.1\r\n${lines.join('')}\r\n`;
}
