import crypto from 'node:crypto';
import { UniqueConstraintError } from 'sequelize';
import { usernameReserved } from '../../accounts/delete-account.js';
import type { Row } from '../../db/models/index.js';
import { runCommand } from '../../outbox/index.js';
import type { Runtime } from '../../runtime.js';
import { decodeSnowflake } from '../../snowflake.js';
import { oneOf, trimWhere } from '../../text.js';

/** Who signed in at the provider: the claims Plexichat uses (ID token, completed by userinfo). */
export interface ExternalProfile {
  subject: string;
  email: string | null;
  emailVerified: boolean;
  preferredUsername: string | null;
  name: string | null;
}

/** A valid username from what the provider said (preferred_username, name, email's local part). */
export function usernameFrom(profile: ExternalProfile): string {
  const candidates = [profile.preferredUsername, profile.name, profile.email?.split('@')[0]];
  for (const candidate of candidates) {
    if (!candidate) continue;
    const collapsed = candidate
      .normalize('NFKD')
      .replace(/[^A-Za-z0-9_.]+/g, '_')
      .replace(/_+/g, '_');
    const cleaned = trimWhere(collapsed, oneOf('_.')).slice(0, 32);
    if (cleaned.length >= 2 && !/^\.+$/.test(cleaned)) return cleaned;
  }
  return 'user';
}

function withSuffix(base: string): string {
  return `${base.slice(0, 27)}_${crypto.randomInt(0, 10000).toString().padStart(4, '0')}`;
}

function violates(err: unknown, constraint: string): boolean {
  return (
    err instanceof UniqueConstraintError &&
    String((err.parent as { constraint?: string } | undefined)?.constraint ?? '').includes(constraint)
  );
}

async function emailIsFree(rt: Runtime, email: string): Promise<boolean> {
  const taken = await rt.models.User.count({
    where: rt.sequelize.where(rt.sequelize.fn('lower', rt.sequelize.col('email')), email.toLowerCase()),
  });
  return taken === 0;
}

/**
 * The user behind an external identity: the one linked to (provider, subject), or a new account.
 * A new account is never linked to an existing one by email (a provider's email claim is not proof
 * of owning that Plexichat account); it gets a free username derived from the profile, no password,
 * and the provider's email only when the provider says it is verified and no account uses it.
 */
export async function findOrCreateExternalUser(
  rt: Runtime,
  provider: string,
  profile: ExternalProfile,
): Promise<{ user: Row<'User'>; created: boolean }> {
  const { ExternalIdentity, User } = rt.models;
  const linked = async () => {
    const identity = await ExternalIdentity.findOne({ where: { provider, subject: profile.subject } });
    return identity ? User.findByPk(identity.user_id) : null;
  };
  const existing = await linked();
  if (existing) return { user: existing, created: false };

  const base = usernameFrom(profile);
  let email =
    profile.email && profile.emailVerified && (await emailIsFree(rt, profile.email)) ? profile.email : null;
  for (let attempt = 0; attempt < 8; attempt += 1) {
    // A name held for a deleted account (or shaped like its placeholder) goes straight to a suffix.
    const username = attempt === 0 && !(await usernameReserved(rt, base)) ? base : withSuffix(base);
    try {
      const user = await runCommand(rt, null, async (transaction) => {
        const id = rt.snowflake.next();
        const created = await User.create(
          { id, username, email, created_at: new Date(decodeSnowflake(id).timestampMs) },
          { transaction },
        );
        const identityId = rt.snowflake.next();
        await ExternalIdentity.create(
          {
            id: identityId,
            provider,
            subject: profile.subject,
            user_id: created.id,
            email: profile.email,
            created_at: new Date(decodeSnowflake(identityId).timestampMs),
          },
          { transaction },
        );
        return created;
      });
      return { user, created: true };
    } catch (err) {
      if (violates(err, 'external_identities')) {
        // Two first sign-ins of one person raced: the other one created the account.
        const user = await linked();
        if (user) return { user, created: false };
      }
      if (violates(err, 'email')) email = null;
      else if (!violates(err, 'username')) throw err;
    }
  }
  throw new Error('could not find a free username for a new external account');
}
