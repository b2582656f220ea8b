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
