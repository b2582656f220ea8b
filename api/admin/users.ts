import { QueryTypes } from 'sequelize';
import { THREAD_CHANNEL_TYPES } from '../../shared/db/models/index.js';
import { NotFoundError } from '../../shared/errors.js';
import { pageSql } from '../../shared/pagination.js';
import { unixSeconds } from '../../shared/presenters/time.js';
import type { Runtime } from '../../shared/runtime.js';

/** An account as instance admins see it. */
export interface AdminUser {
  id: string;
  username: string;
  email: string | null;
  is_admin: boolean;
  is_bot: boolean;
  disabled_at: number | null;
  /** When the account was deleted (it is then the placeholder `deleted_user_<id>`). */
  deleted_at: number | null;
  created_at: number;
  session_count: number;
  mfa_enabled: boolean;
  email_verified: boolean;
}

/** A server as instance admins see it. */
export interface AdminServer {
  id: string;
  name: string;
  owner_id: string;
  member_count: number;
  channel_count: number;
  created_at: number;
}

interface UserRow {
  id: string;
  username: string;
  email: string | null;
  is_admin: boolean;
  is_bot: boolean;
  disabled_at: Date | null;
  deleted_at: Date | null;
  created_at: Date;
  session_count: string;
  mfa_enabled: boolean;
  email_verified_at: Date | null;
}

/** `abc_%` -> `abc\_\%%`: a LIKE pattern matching what starts with `prefix`, wildcards taken literally. */
function prefixPattern(prefix: string): string {
  return `${prefix.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

async function selectUsers(
  rt: Pick<Runtime, 'sequelize'>,
  conditions: string[],
  replacements: Record<string, unknown>,
  limit: number,
  order: 'ASC' | 'DESC' = 'DESC',
): Promise<AdminUser[]> {
  const rows = await rt.sequelize.query<UserRow>(
    `SELECT u.id, u.username, u.email, u.is_admin, u.is_bot, u.disabled_at, u.deleted_at, u.created_at,
       u.mfa_enabled, u.email_verified_at,
       (SELECT count(*) FROM sessions s WHERE s.user_id = u.id AND s.revoked_at IS NULL) AS session_count
     FROM users u
     ${conditions.length > 0 ? `WHERE ${conditions.join(' AND ')}` : ''}
     ORDER BY u.id ${order}
     LIMIT :limit`,
    { type: QueryTypes.SELECT, replacements: { ...replacements, limit } },
  );
  return rows.map((row) => ({
    id: String(row.id),
    username: row.username,
    email: row.email,
    is_admin: row.is_admin,
    is_bot: row.is_bot,
    disabled_at: unixSeconds(row.disabled_at),
    deleted_at: unixSeconds(row.deleted_at),
    created_at: unixSeconds(row.created_at),
    session_count: Number(row.session_count),
    mfa_enabled: row.mfa_enabled,
    email_verified: row.email !== null && row.email_verified_at !== null,
  }));
}

/** pageSql's `param` for a statement with named replacements (`:before`, `:after`). */
const named = (replacements: Record<string, unknown>) => (value: string, name: string) => {
  replacements[name] = value;
  return `:${name}`;
};

/** One page of accounts (newest first; oldest first with `after`), optionally those whose username or email starts with `query`. */
export function listUsers(
  rt: Pick<Runtime, 'sequelize'>,
  query: { limit: number; before?: string; after?: string; query?: string },
): Promise<AdminUser[]> {
  const replacements: Record<string, unknown> = {};
  const page = pageSql('u.id', query, named(replacements));
  const conditions = [...page.conditions];
  if (query.query) {
    conditions.push('(lower(u.username) LIKE :pattern OR lower(u.email) LIKE :pattern)');
    replacements.pattern = prefixPattern(query.query);
  }
  return selectUsers(rt, conditions, replacements, query.limit, page.order);
}

/** One account as admins see it, or 404 `unknown_user`. */
export async function getAdminUser(rt: Pick<Runtime, 'sequelize'>, userId: string): Promise<AdminUser> {
  const [user] = await selectUsers(rt, ['u.id = :id'], { id: userId }, 1);
  if (!user) throw new NotFoundError('user');
  return user;
}

interface ServerRow {
  id: string;
  name: string;
  owner_id: string;
  created_at: Date;
  member_count: string;
  channel_count: string;
}

/** One page of servers (newest first; oldest first with `after`), with member and channel (not thread) counts. */
export async function listServers(
  rt: Pick<Runtime, 'sequelize'>,
  query: { limit: number; before?: string; after?: string },
): Promise<AdminServer[]> {
  const replacements: Record<string, unknown> = {};
  const page = pageSql('s.id', query, named(replacements));
  const rows = await rt.sequelize.query<ServerRow>(
    `SELECT s.id, s.name, s.owner_id, s.created_at,
       (SELECT count(*) FROM members m WHERE m.server_id = s.id) AS member_count,
       (SELECT count(*) FROM channels c
         WHERE c.server_id = s.id AND c.channel_type NOT IN (:threadTypes)) AS channel_count
     FROM servers s
     ${page.conditions.length > 0 ? `WHERE ${page.conditions.join(' AND ')}` : ''}
     ORDER BY s.id ${page.order}
     LIMIT :limit`,
    {
      type: QueryTypes.SELECT,
      replacements: {
        ...replacements,
        limit: query.limit,
        threadTypes: [...THREAD_CHANNEL_TYPES],
      },
    },
  );
  return rows.map((row) => ({
    id: String(row.id),
    name: row.name,
    owner_id: String(row.owner_id),
    member_count: Number(row.member_count),
    channel_count: Number(row.channel_count),
    created_at: unixSeconds(row.created_at),
  }));
}
