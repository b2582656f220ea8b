import type { Attributes } from '../db/models/index.js';
import { unixSeconds } from './time.js';
import type { UserObject } from './types.js';

/**
 * What anyone may see of a user: never email, hashes or flags, except `bot: true` for bot users
 * (absent for people, as on Discord) and `deleted: true` for the placeholder of a deleted account.
 */
export function presentUser(user: Attributes<'User'>): UserObject {
  return {
    id: user.id,
    username: user.username,
    avatar_url: user.avatar_url,
    created_at: unixSeconds(user.created_at),
    ...(user.is_bot ? { bot: true as const } : {}),
    ...(user.deleted_at ? { deleted: true as const } : {}),
  };
}

/** The caller's own user object: the public fields plus their private settings. */
export interface SelfUserObject extends UserObject {
  email: string | null;
  mfa_enabled: boolean;
  bot: boolean;
  admin: boolean;
  /** Whether `email` was verified (a mailed link was followed); false without an email. */
  verified: boolean;
}

/** The user object for its owner (GET /users/@me, login, READY). */
export function presentSelf(user: Attributes<'User'>): SelfUserObject {
  return {
    ...presentUser(user),
    email: user.email,
    mfa_enabled: user.mfa_enabled,
    bot: user.is_bot,
    admin: user.is_admin,
    verified: user.email !== null && user.email_verified_at !== null,
  };
}
