import { AccessDeniedError, ConnectionError } from 'sequelize';

/**
 * Postgres SQLSTATEs that mean "the server is going away or not accepting connections yet":
 * admin_shutdown, crash_shutdown, cannot_connect_now. Class 08 (connection exceptions) is matched
 * by prefix.
 */
const UNAVAILABLE_SQLSTATES = new Set(['57P01', '57P02', '57P03']);
/** Socket errors of a server that is down or restarting. */
const UNAVAILABLE_ERRNOS = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH']);
/** pg reports a connection that dropped under a query without a code, only with these messages. */
const DROPPED = /^Connection terminated|not queryable|Connection ended unexpectedly/;

/**
 * Whether `err` (a Sequelize error, or what it wraps) says the database cannot be reached right now,
 * as opposed to a bad query: the API answers those 503 with Retry-After instead of 500.
 */
export function isDatabaseUnavailable(err: unknown): boolean {
  // Sequelize wraps pg's error in `parent`/`original`; pg wraps socket errors in `cause`.
  for (let e: unknown = err, depth = 0; e && typeof e === 'object' && depth < 5; depth++) {
    // A wrong password is a configuration mistake, not an outage: it stays a logged 500.
    if (e instanceof AccessDeniedError) return false;
    if (e instanceof ConnectionError) return true;
    const { code, message } = e as { code?: unknown; message?: unknown };
    if (typeof code === 'string') {
      if (UNAVAILABLE_SQLSTATES.has(code) || /^08[0-9A-Z]{3}$/.test(code) || UNAVAILABLE_ERRNOS.has(code))
        return true;
    }
    if (typeof message === 'string' && DROPPED.test(message)) return true;
    const next = e as { parent?: unknown; original?: unknown; cause?: unknown };
    e = next.parent ?? next.original ?? next.cause;
  }
  return false;
}
