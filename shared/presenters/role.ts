import type { Config } from '../config/index.js';
import type { Row, UserView } from '../db/models/index.js';
import type { UserObject } from './types.js';
import { unixSeconds } from './time.js';
import { presentUser } from './user.js';

/** A role as clients see it; `permissions` is a decimal-string bitfield. */
export interface RoleObject {
  id: string;
  server_id: string;
  name: string;
  permissions: string;
  position: number;
  color: number;
  hoist: boolean;
  mentionable: boolean;
  /** A bot's role, given when the bot was added: only the bot holds it, and it goes with the bot. */
  managed: boolean;
  /** Managed roles only: whose role it is. */
  tags?: { bot_id: string };
}

/** A server member as clients see it. */
export interface MemberObject {
  server_id: string;
  user: UserObject;
  nick: string | null;
  roles: string[];
  joined_at: number;
  /** Unix seconds until which the member is timed out, or null. */
  communication_disabled_until: number | null;
}

/** The role object. */
export function presentRole(role: Row<'Role'>): RoleObject {
  return {
    id: role.id,
    server_id: role.server_id,
    name: role.name,
    permissions: String(role.permissions),
    position: role.position,
    color: role.color,
    hoist: role.hoist,
    mentionable: role.mentionable,
    managed: role.managed_bot_id != null,
    ...(role.managed_bot_id != null ? { tags: { bot_id: String(role.managed_bot_id) } } : {}),
  };
}

/** The member object; `roleIds` excludes @everyone (every member has it). */
export function presentMember(
  config: Pick<Config, 'server'>,
  member: Row<'Member'>,
  user: UserView,
  roleIds: string[],
): MemberObject {
  const until =
    member.timeout_until && member.timeout_until.getTime() > Date.now() ? member.timeout_until : null;
  return {
    server_id: member.server_id,
    user: presentUser(config, user),
    nick: member.nick,
    roles: roleIds,
    joined_at: unixSeconds(member.joined_at),
    communication_disabled_until: unixSeconds(until),
  };
}
