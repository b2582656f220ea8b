import { Op, type ModelAttributeColumnOptions, type WhereOptions } from 'sequelize';
import { SECRET_USER_FIELDS, type Attributes, type Models, type UserView } from '../db/models/index.js';
import { prepared, runPrepared, type PreparedStatement } from '../db/prepared.js';
import type { Runtime } from '../runtime.js';
import { readSessionCopy, storeSessionCopy } from './session-cache.js';
import { hashToken } from './tokens.js';

/** last_used_at is refreshed at most this often, so authenticated reads do not all write. */
const TOUCH_INTERVAL_MS = 60_000;

/**
 * The account of an authenticated caller: its user row without the secrets (SECRET_USER_FIELDS),
 * which are read where they are checked, and whether it has a password.
 */
export type AccountUser = UserView & { has_password: boolean };

/** The caller's view of a user row: the secrets left out (a copy of it may be kept in Redis). */
export function accountUser(row: Attributes<'User'>): AccountUser {
  const user: Record<string, unknown> = { ...row, has_password: row.password_hash !== null };
  for (const field of SECRET_USER_FIELDS) delete user[field];
  return user as AccountUser;
}

/** A token's live session and its user. */
export interface LiveSession {
  user: AccountUser;
  session: Attributes<'Session'>;
  kind: 'user' | 'bot';
}

/** Sessions last used before this went idle for too long (security.session_idle_days; null: never). */
function idleCutoff(config: Pick<Runtime['config'], 'security'>): Date | null {
  const idleDays = config.security.session_idle_days;
  return idleDays > 0 ? new Date(Date.now() - idleDays * 86_400_000) : null;
}

/** Whether a session went unused for longer than security.session_idle_days (and so stopped working). */
export function sessionIdledOut(
  config: Pick<Runtime['config'], 'security'>,
  session: Pick<Attributes<'Session'>, 'kind' | 'last_used_at'>,
): boolean {
  // Bot tokens do not idle out: a bot may sit on one gateway connection for months.
  const cutoff = session.kind === 'user' ? idleCutoff(config) : null;
  return cutoff !== null && session.last_used_at.getTime() < cutoff.getTime();
}

/**
 * The where-clause of a person's sessions that still work: not revoked, and not idled out as
 * sessionIdledOut judges a user session (what GET /users/@me/sessions lists and may revoke).
 */
export function workingUserSessions(
  config: Pick<Runtime['config'], 'security'>,
): WhereOptions<Attributes<'Session'>> {
  const cutoff = idleCutoff(config);
  return cutoff ? { revoked_at: null, last_used_at: { [Op.gte]: cutoff } } : { revoked_at: null };
}

/** A model's columns by attribute name. */
type Columns = { getAttributes(): Record<string, ModelAttributeColumnOptions> };

/** Each column of `model` as `<alias>."<column>" AS "<alias>_<column>"`, for a join without clashes. */
function selectList(model: Columns, alias: string): string {
  return Object.values(model.getAttributes())
    .map((a) => `${alias}."${a.field}" AS "${alias}_${a.field}"`)
    .join(', ');
}

/** The values of `model`'s attributes in a joined row (selectList's names). */
function valuesOf(model: Columns, alias: string, row: Record<string, unknown>) {
  return Object.fromEntries(
    Object.entries(model.getAttributes()).map(([name, a]) => [name, row[`${alias}_${a.field}`]]),
  );
}

let lookup: PreparedStatement<Record<string, unknown>> | null = null;

/** Marks a session used (at most every TOUCH_INTERVAL_MS: authenticated reads do not all write). */
const TOUCH = prepared('auth_touch_session', 'UPDATE sessions SET last_used_at = $2 WHERE id = $1');

/**
 * The token lookup of every authenticated request and gateway handshake: the unrevoked session of
 * a token hash and its user in one prepared statement (columns as the models define them).
 */
function liveSessionStatement(models: Models): PreparedStatement<Record<string, unknown>> {
  lookup ??= prepared(
    'auth_live_session',
    `SELECT ${selectList(models.Session, 's')}, ${selectList(models.User, 'u')}
       FROM sessions s JOIN users u ON u.id = s.user_id
      WHERE s.token_hash = $1 AND s.revoked_at IS NULL`,
  );
  return lookup;
}

/** The unrevoked session of a token hash and its user, from Postgres (null: no such session). */
async function loadLiveSession(
  rt: Pick<Runtime, 'models' | 'sequelize'>,
  hash: Buffer,
): Promise<LiveSession | null> {
  const { Session, User } = rt.models;
  const [row] = await runPrepared(rt.sequelize, liveSessionStatement(rt.models), [hash]);
  if (!row) return null;
  // Rows come parsed as the models read them (runPrepared): plain attributes, no model instances
  // (building two per request showed in profiles; callers only read them).
  const session = valuesOf(Session, 's', row) as Attributes<'Session'>;
  const user = accountUser(valuesOf(User, 'u', row) as Attributes<'User'>);
  return { user, session, kind: session.kind };
}

/**
 * Finds the live session of a token: not revoked, not idle past security.session_idle_days, its
 * user not disabled. Used by the API (passport) and the gateway handshake alike, so a revoked token
 * fails in both at once. From the copy in Redis when it is current (shared/auth/session-cache.ts),
 * else one prepared statement, no ORM query: it runs on every request.
 */
export async function findLiveSession(
  rt: Pick<Runtime, 'models' | 'config' | 'sequelize' | 'redis'>,
  token: string,
): Promise<LiveSession | null> {
  const hash = hashToken(token);
  const cached = await readSessionCopy(rt, hash);
  let live = cached?.copy ?? null;
  if (!live) {
    live = await loadLiveSession(rt, hash);
    if (live && cached) storeSessionCopy(rt, hash, cached.epoch, live);
  }
  if (!live || sessionIdledOut(rt.config, live.session) || live.user.disabled_at) return null;
  if (Date.now() - live.session.last_used_at.getTime() > TOUCH_INTERVAL_MS) {
    live.session.last_used_at = new Date();
    await runPrepared(rt.sequelize, TOUCH, [live.session.id, live.session.last_used_at], 'write');
    // The copy carries the new time, or every request would touch until it expires. Under the
    // epoch it was read under: a write since then has already retired it.
    if (cached?.epoch) storeSessionCopy(rt, hash, cached.epoch, live);
  }
  return live;
}
