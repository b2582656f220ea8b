/**
 * Permission bits (Discord's, so bot authors know them: API.md "Permissions"). A permission set is
 * a bigint; on the wire it is a decimal string.
 */
export const Permission = {
  CREATE_INVITE: 1n << 0n,
  KICK_MEMBERS: 1n << 1n,
  BAN_MEMBERS: 1n << 2n,
  ADMINISTRATOR: 1n << 3n,
  MANAGE_CHANNELS: 1n << 4n,
  MANAGE_SERVER: 1n << 5n,
  ADD_REACTIONS: 1n << 6n,
  VIEW_AUDIT_LOG: 1n << 7n,
  PRIORITY_SPEAKER: 1n << 8n,
  STREAM: 1n << 9n,
  VIEW_CHANNEL: 1n << 10n,
  SEND_MESSAGES: 1n << 11n,
  MANAGE_MESSAGES: 1n << 13n,
  EMBED_LINKS: 1n << 14n,
  ATTACH_FILES: 1n << 15n,
  READ_MESSAGE_HISTORY: 1n << 16n,
  MENTION_EVERYONE: 1n << 17n,
  CONNECT: 1n << 20n,
  SPEAK: 1n << 21n,
  MUTE_MEMBERS: 1n << 22n,
  DEAFEN_MEMBERS: 1n << 23n,
  MOVE_MEMBERS: 1n << 24n,
  CHANGE_NICKNAME: 1n << 26n,
  MANAGE_NICKNAMES: 1n << 27n,
  MANAGE_ROLES: 1n << 28n,
  MANAGE_WEBHOOKS: 1n << 29n,
  MANAGE_EMOJIS: 1n << 30n,
  USE_APPLICATION_COMMANDS: 1n << 31n,
  REQUEST_TO_SPEAK: 1n << 32n,
  MANAGE_THREADS: 1n << 34n,
  CREATE_THREADS: 1n << 35n,
  SEND_MESSAGES_IN_THREADS: 1n << 38n,
  MODERATE_MEMBERS: 1n << 40n,
  PIN_MESSAGES: 1n << 51n,
} as const;

export type PermissionName = keyof typeof Permission;

/** Every defined bit. */
export const ALL_PERMISSIONS: bigint = Object.values(Permission).reduce((a, b) => a | b, 0n);

/** What `@everyone` gets in a new server: see, talk, react, read history, join voice, invite. */
export const DEFAULT_EVERYONE_PERMISSIONS: bigint =
  Permission.VIEW_CHANNEL |
  Permission.SEND_MESSAGES |
  Permission.READ_MESSAGE_HISTORY |
  Permission.ADD_REACTIONS |
  Permission.EMBED_LINKS |
  Permission.ATTACH_FILES |
  Permission.CREATE_INVITE |
  Permission.CHANGE_NICKNAME |
  Permission.CONNECT |
  Permission.SPEAK |
  Permission.STREAM |
  Permission.USE_APPLICATION_COMMANDS |
  Permission.REQUEST_TO_SPEAK |
  Permission.CREATE_THREADS |
  Permission.SEND_MESSAGES_IN_THREADS;

/** What a timed-out member keeps (API.md). */
export const TIMED_OUT_PERMISSIONS: bigint = Permission.VIEW_CHANNEL | Permission.READ_MESSAGE_HISTORY;

/** True when `set` holds every bit of `needed`. */
export function has(set: bigint, needed: bigint): boolean {
  return (set & needed) === needed;
}

/** Parses a decimal-string bitfield; throws on anything else or unknown bits. */
export function parsePermissions(value: string): bigint {
  if (!/^\d{1,20}$/.test(value)) throw new Error('permissions must be a decimal string');
  const bits = BigInt(value);
  if ((bits & ~ALL_PERMISSIONS) !== 0n) throw new Error('permissions has unknown bits');
  return bits;
}

/** The names of the bits set in `set` (for error messages and audit logs). */
export function permissionNames(set: bigint): PermissionName[] {
  return (Object.entries(Permission) as [PermissionName, bigint][])
    .filter(([, bit]) => has(set, bit))
    .map(([n]) => n);
}
