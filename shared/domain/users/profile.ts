import { sendVerificationMail } from '../../accounts/account-tokens.js';
import { usernameReserved } from '../../accounts/delete-account.js';
import { uniqueConflict, usernameTaken } from '../../accounts/create-user.js';
import { revokeAllSessionRows, revokeOtherSessionRows, sessionsRevoked } from '../../accounts/sessions.js';
import { hashPassword } from '../../auth/password.js';
import { recordSecurityEvent } from '../../auth/security-events.js';
import type { Row } from '../../db/models/index.js';
import { rooms } from '../../events/index.js';
import { mailEnabled } from '../../mail/index.js';
import { runCommand } from '../../outbox/index.js';
import { presentSelf } from '../../presenters/user.js';
import type { Runtime } from '../../runtime.js';
import { requireUser } from '../members/present.js';

/** What a profile edit sets; absent fields stay. The caller has checked `current_password`. */
export interface ProfileEdit {
  username?: string;
  email?: string | null;
  password?: string;
  avatar_url?: string | null;
}

/** Who edits: the session that stays signed in when the password changes (null: none stays). */
export interface EditingClient {
  sessionId: string | null;
  ip: string;
}

/** The user after the edit, and whether the email changed (a verification mail was then sent). */
export interface ProfileEdited {
  user: Row<'User'>;
  emailChanged: boolean;
}

/** The fields a user's connections see in their own user object. */
const SEEN = ['username', 'email', 'email_verified_at', 'avatar_url'] as const;

/**
 * Edits `userId`'s own profile (PATCH /users/@me, PUT /users/@me/password): 409 `username_taken`
 * when the new name is in use or held for a deleted account, 409 `email_taken`. A new email is
 * unverified until its own link is followed (a verification mail goes out when the instance sends
 * mail); a new password is hashed and dated, and every other session ends with it, in the same
 * transaction (recorded as `password_changed`). Member lists move when the name or avatar does,
 * and the user's connections hear USER_UPDATE when what they see changed. The caller has checked
 * `current_password`.
 */
export async function editProfile(
  rt: Runtime,
  userId: string,
  edit: ProfileEdit,
  client: EditingClient,
): Promise<ProfileEdited> {
  // Hashed before the transaction: scrypt is slow and the row is locked while it runs.
  const passwordHash =
    edit.password === undefined
      ? undefined
      : await hashPassword(edit.password, rt.config.security.scrypt_cost);
  const { user, emailChanged, revoked } = await runCommand(
    rt,
    rooms.user(userId),
    async (transaction, fx) => {
      const user = await requireUser(rt, userId, transaction);
      if (edit.username !== undefined && edit.username.toLowerCase() !== user.username.toLowerCase()) {
        if (await usernameReserved(rt, edit.username)) throw usernameTaken();
      }
      if (edit.username !== undefined) user.username = edit.username;
      const emailChanged = edit.email !== undefined && edit.email !== user.email;
      if (edit.email !== undefined) user.email = edit.email;
      if (emailChanged) user.email_verified_at = null;
      if (edit.avatar_url !== undefined) user.avatar_url = edit.avatar_url;
      if (passwordHash !== undefined) {
        user.password_hash = passwordHash;
        user.password_changed_at = new Date();
      }
      // Member lists show the name and avatar: they move only when one of those does.
      const listed = user.changed('username') || user.changed('avatar_url');
      const seen = SEEN.some((field) => user.changed(field));
      try {
        await user.save({ transaction });
      } catch (err) {
        throw uniqueConflict(err) ?? err;
      }
      fx.invalidate({ users: listed ? [userId] : [], accounts: [userId] });
      if (seen) fx.dispatch([rooms.user(userId)], 'USER_UPDATE', presentSelf(rt.config, user));
      let revoked = null;
      if (passwordHash !== undefined) {
        revoked =
          client.sessionId === null
            ? await revokeAllSessionRows(rt, userId, transaction, fx)
            : await revokeOtherSessionRows(rt, userId, client.sessionId, transaction, fx);
      }
      return { user, emailChanged, revoked };
    },
  );
  if (revoked) {
    await recordSecurityEvent(rt, 'password_changed', { userId, ip: client.ip });
    await sessionsRevoked(rt, revoked.sessions, 'password_changed', client);
  }
  if (emailChanged && user.email && mailEnabled(rt.config)) await sendVerificationMail(rt, user);
  return { user, emailChanged };
}
