import type { Config } from '../config/index.js';
import { absoluteUrl } from '../config/public-base.js';
import type { UserView } from '../db/models/index.js';
import { unixSeconds } from './time.js';
import type { UserObject } from './types.js';

/**
 * What anyone may see of a user: never email, hashes or flags, except `bot: true` for bot users
 * (absent for people, as on Discord) and `deleted: true` for the placeholder of a deleted account.
 * `avatar_url` is absolute (the row keeps an upload's as a bare path without server.public_url).
 */
export function presentUser(config: Pick<Config, 'server'>, user: UserView): UserObject {
  return { ...storedUserObject(user), avatar_url: absoluteUrl(config, user.avatar_url) };
}

/**
 * The user object with `avatar_url` as the row keeps it: for what is stored again (a report's
 * snapshot), resolved when handed out.
 */
export function storedUserObject(user: UserView): UserObject {
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
export function presentSelf(config: Pick<Config, 'server'>, user: UserView): SelfUserObject {
  return {
    ...presentUser(config, user),
    email: user.email,
    mfa_enabled: user.mfa_enabled,
    bot: user.is_bot,
    admin: user.is_admin,
    verified: user.email !== null && user.email_verified_at !== null,
  };
}
