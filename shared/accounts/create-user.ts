import { UniqueConstraintError, type Transaction } from 'sequelize';
import { hashPassword } from '../auth/password.js';
import type { Row } from '../db/models/index.js';
import { ConflictError } from '../errors.js';
import type { Runtime } from '../runtime.js';
import { decodeSnowflake } from '../snowflake.js';
import { usernameReserved } from './delete-account.js';

/**
 * Creates a user with a password; 409 when the username (or email) is taken, case-insensitively,
 * or the username is still reserved after its account was deleted.
 * Shared by the API (registration) and the administration CLI (the first admin).
 */
export async function createUser(
  rt: Pick<Runtime, 'models' | 'snowflake' | 'config'>,
  fields: { username: string; password: string; email?: string | null; isAdmin?: boolean },
  transaction?: Transaction,
): Promise<Row<'User'>> {
  if (await usernameReserved(rt, fields.username)) throw usernameTaken();
  const id = rt.snowflake.next();
  const password_hash = await hashPassword(fields.password, rt.config.security.scrypt_cost);
  try {
    return await rt.models.User.create(
      {
        id,
        username: fields.username,
        email: fields.email ?? null,
        password_hash,
        is_admin: fields.isAdmin ?? false,
        created_at: new Date(decodeSnowflake(id).timestampMs),
      },
      { transaction },
    );
  } catch (err) {
    throw uniqueConflict(err) ?? err;
  }
}

/** Maps a unique violation on users to the 409 naming the field; null for anything else. */
export function uniqueConflict(err: unknown): ConflictError | null {
  if (!(err instanceof UniqueConstraintError)) return null;
  const constraint = String((err.parent as { constraint?: string } | undefined)?.constraint ?? '');
  if (constraint.includes('email')) return new ConflictError('email_taken', 'That email is already in use');
  return usernameTaken();
}

/** 409 `username_taken`: in use, or held for a deleted account's grace period. */
export function usernameTaken(): ConflictError {
  return new ConflictError('username_taken', 'That username is taken');
}
