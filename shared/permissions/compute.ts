import { ALL_PERMISSIONS, Permission, TIMED_OUT_PERMISSIONS, has } from './bits.js';

/** One permission overwrite on a channel. */
export interface Overwrite {
  /** A role id (the server id for @everyone) or a user id. */
  id: string;
  type: 'role' | 'member';
  allow: bigint;
  deny: bigint;
}

/** Everything the computation needs to know about one member of one server. */
export interface MemberFacts {
  userId: string;
  serverId: string;
  ownerId: string;
  /** Permissions of the @everyone role (whose id is the server id). */
  everyone: bigint;
  /** The member's other roles. */
  roles: { id: string; permissions: bigint }[];
  /** When the member is timed out until (null: not timed out). */
  timeoutUntil: Date | null;
}

/**
 * The member's server-wide permissions, in API.md's order: the owner has everything; base =
 * @everyone | every role; ADMINISTRATOR grants everything.
 */
export function basePermissions(m: MemberFacts): bigint {
  if (m.userId === m.ownerId) return ALL_PERMISSIONS;
  const base = m.roles.reduce((acc, r) => acc | r.permissions, m.everyone);
  return has(base, Permission.ADMINISTRATOR) ? ALL_PERMISSIONS : base;
}

function isTimedOut(m: MemberFacts, now: Date): boolean {
  return m.timeoutUntil !== null && m.timeoutUntil.getTime() > now.getTime();
}

/**
 * The member's permissions in a channel, in API.md's order. `overwrites` are the channel's own; for
 * a thread, pass its parent's (a thread inherits them). Then: @everyone's overwrite (deny, then
 * allow), all the member's role overwrites together (deny, then allow), the member's own overwrite.
 * Without VIEW_CHANNEL nothing else in the channel applies. A timed-out member keeps only
 * VIEW_CHANNEL and READ_MESSAGE_HISTORY (owners and administrators cannot be timed out).
 */
export function channelPermissions(m: MemberFacts, overwrites: Overwrite[], now = new Date()): bigint {
  const base = basePermissions(m);
  if (base === ALL_PERMISSIONS) return ALL_PERMISSIONS;
  let perms = base;
  const everyone = overwrites.find((o) => o.type === 'role' && o.id === m.serverId);
  if (everyone) perms = (perms & ~everyone.deny) | everyone.allow;
  const roleIds = new Set(m.roles.map((r) => r.id));
  let allow = 0n;
  let deny = 0n;
  for (const o of overwrites) {
    if (o.type === 'role' && o.id !== m.serverId && roleIds.has(o.id)) {
      allow |= o.allow;
      deny |= o.deny;
    }
  }
  perms = (perms & ~deny) | allow;
  const own = overwrites.find((o) => o.type === 'member' && o.id === m.userId);
  if (own) perms = (perms & ~own.deny) | own.allow;
  if (isTimedOut(m, now)) perms &= TIMED_OUT_PERMISSIONS;
  return has(perms, Permission.VIEW_CHANNEL) ? perms : 0n;
}

/** Server-wide permissions with the timeout applied (for server-level actions such as kicking). */
export function serverPermissions(m: MemberFacts, now = new Date()): bigint {
  const base = basePermissions(m);
  if (base === ALL_PERMISSIONS) return base;
  return isTimedOut(m, now) ? base & TIMED_OUT_PERMISSIONS : base;
}

/**
 * The member's rank for the hierarchy: the highest position among their roles (@everyone is 0);
 * the owner outranks everyone.
 */
export function highestPosition(m: MemberFacts, positions: Map<string, number>): number {
  if (m.userId === m.ownerId) return Number.POSITIVE_INFINITY;
  return m.roles.reduce((max, r) => Math.max(max, positions.get(r.id) ?? 0), 0);
}
