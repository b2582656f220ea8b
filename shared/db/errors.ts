import { AccessDeniedError, ConnectionError } from 'sequelize';
import { ApiError, ConflictError } from '../errors.js';

/** A Postgres error as pg raises it, or wrapped by Sequelize (`parent` / `original`). */
interface PgErrorLike {
  code?: unknown;
  parent?: { code?: unknown };
  original?: { code?: unknown };
}

/** The SQLSTATE of a database error, or null for anything else. */
export function sqlState(err: unknown): string | null {
  if (err === null || typeof err !== 'object') return null;
  const e = err as PgErrorLike;
  const code = e.parent?.code ?? e.original?.code ?? e.code;
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) ? code : null;
}

/**
 * Postgres errors that only a client's input can cause, as the 4xx they are: class 22 (data
 * exception: a value of the wrong syntax, out of range, too long, an invalid byte) and check
 * violations are 400 `invalid_input`; a unique or foreign-key violation (a concurrent request
 * created or deleted the row) is 409 `conflict`. Routes validate up front to name the field; this is
 * the net under them. Anything else (a bug, a dependency down) stays unmapped: null.
 */
export function clientDatabaseError(err: unknown): ApiError | null {
  const state = sqlState(err);
  if (state === null) return null;
  if (state.startsWith('22') || state === '23514') {
    return new ApiError(400, 'invalid_input', 'A value in the request is malformed or out of range');
  }
  if (state === '23505' || state === '23503') {
    return new ConflictError('conflict', 'The request conflicts with a concurrent change; try again');
  }
  return null;
}

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
