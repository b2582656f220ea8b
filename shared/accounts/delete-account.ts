import { Op, type Transaction } from 'sequelize';
import { recordSecurityEvent } from '../auth/security-events.js';
import type { Row } from '../db/models/index.js';
import { ApiError, NotFoundError } from '../errors.js';
import { rooms } from '../events/index.js';
import { runCommand } from '../outbox/index.js';
import { presentUser } from '../presenters/user.js';
import type { Runtime } from '../runtime.js';
import { renditionKeys } from '../storage/renditions.js';
import { deleteFilesAfterCommit } from '../storage/row-files.js';

/** The placeholder username a deleted account's messages show (at most 32 characters: ids are 19 digits). */
export function deletedUsername(userId: string): string {
  return `deleted_user_${userId}`;
}

/**
 * Whether `username` has the form of a deleted account's placeholder (`deleted_user_<id>`, or a
 * deleted application's bot, `deleted_bot_<id>`), in any case. Nobody may take such a name: it would
 * pass for a deleted account, and the account with that id could then never be deleted (the
 * placeholder's name would be in use).
 */
export function isPlaceholderUsername(username: string): boolean {
  return /^deleted_(user|bot)_[0-9]+$/i.test(username);
}

/** Who asked for a deletion: the account itself, or an instance admin (CLI: `adminId` null). */
export interface DeletionActor {
  kind: 'self' | 'admin';
  adminId?: string | null;
  ip?: string | null;
}

/**
 * 409 while the account owns servers or bot applications: they would be left without an owner.
 * The body lists them (`servers` / `applications`: `[{id, name}]`) so a client can point at each.
 */
async function assertOwnsNothing(
  rt: Pick<Runtime, 'models'>,
  userId: string,
  transaction: Transaction,
): Promise<void> {
  const servers = await rt.models.Server.findAll({
    where: { owner_id: userId },
    attributes: ['id', 'name'],
    order: [['id', 'ASC']],
    transaction,
  });
  if (servers.length > 0) {
    throw new ApiError(
      409,
      'owns_servers',
      `Transfer or delete the servers you own first: ${servers.map((s) => s.name).join(', ')}`,
      undefined,
      { servers: servers.map((s) => ({ id: s.id, name: s.name })) },
    );
  }
  const apps = await rt.models.Application.findAll({
    where: { owner_id: userId },
    attributes: ['id', 'name'],
    order: [['id', 'ASC']],
    transaction,
  });
  if (apps.length > 0) {
    throw new ApiError(
      409,
      'owns_applications',
      `Delete the applications you own first: ${apps.map((a) => a.name).join(', ')}`,
      undefined,
      { applications: apps.map((a) => ({ id: a.id, name: a.name })) },
    );
  }
}

/** Every row of personal data the account has, gone (inside the deletion's transaction). */
async function erasePersonalData(rt: Pick<Runtime, 'models'>, userId: string, transaction: Transaction) {
  const m = rt.models;
  const byUser = { where: { user_id: userId }, transaction };
  // Sessions take their push subscriptions with them (ON DELETE CASCADE).
  await m.Session.destroy(byUser);
  await m.PushSubscription.destroy(byUser);
  await m.MfaBackupCode.destroy(byUser);
  await m.OAuthGrant.destroy(byUser);
  await m.ExternalIdentity.destroy(byUser);
  await m.ServerNotificationSetting.destroy(byUser);
  await m.ChannelNotificationSetting.destroy(byUser);
  await m.Notification.destroy(byUser);
  await m.ReadState.destroy(byUser);
  await m.MemberRole.destroy(byUser);
  await m.ThreadMember.destroy(byUser);
  await m.Member.destroy(byUser);
}

/**
 * Deletes an account (DELETE /users/@me, the admin API, the CLI): 409 while it owns servers or
 * applications. In one transaction: personal data erased (sessions, 2FA, relationships, push
 * subscriptions, notification settings, OAuth grants, linked sign-ins, exports, memberships) and
 * the row turned into a placeholder (`deleted_user_<id>`, no email, avatar or password, disabled,
 * `deleted_at` set) so its messages keep an author; the old username is reserved for
 * accounts.deleted_username_grace_days. Then its connections close, every server it was in gets
 * SERVER_MEMBER_REMOVE, former friends RELATIONSHIP_REMOVE, and a security event records who did it.
 * The caller checked credentials; 404 for an unknown or already deleted account.
 */
export async function deleteAccount(rt: Runtime, userId: string, actor: DeletionActor): Promise<Row<'User'>> {
  const { User, Relationship, DataExport, UsernameReservation } = rt.models;
  const found = await User.findByPk(userId);
  if (!found || found.deleted_at) throw new NotFoundError('user');
  if (found.is_bot) {
    throw new ApiError(400, 'bot_account', 'Delete a bot through its application', { user_id: 'is a bot' });
  }
  const oldUsername = found.username;
  const { user, serverIds } = await runCommand(rt, rooms.user(userId), async (transaction, fx) => {
    // Locked, so a second deletion (or a racing server creation's owner check) waits for this one.
    const row = await User.findByPk(userId, { transaction, lock: transaction.LOCK.UPDATE });
    if (!row || row.deleted_at) throw new NotFoundError('user');
    // Inside the transaction: a server handed over meanwhile is seen, never left without an owner.
    await assertOwnsNothing(rt, userId, transaction);
    const memberships = await rt.models.Member.findAll({
      where: { user_id: userId },
      attributes: ['server_id'],
      transaction,
    });
    const relationships = await Relationship.findAll({
      where: { [Op.or]: [{ user_id: userId }, { target_id: userId }] },
      transaction,
    });
    const exports = await DataExport.findAll({ where: { user_id: userId }, transaction });
    const oldAvatar = row.avatar_url;
    await erasePersonalData(rt, userId, transaction);
    await Relationship.destroy({
      where: { [Op.or]: [{ user_id: userId }, { target_id: userId }] },
      transaction,
    });
    await DataExport.destroy({ where: { user_id: userId }, transaction });
    const now = new Date();
    await row.update(
      {
        username: deletedUsername(userId),
        email: null,
        password_hash: null,
        avatar_url: null,
        mfa_enabled: false,
        mfa_secret: null,
        mfa_pending_secret: null,
        mfa_last_time_step: null,
        is_admin: false,
        disabled_at: row.disabled_at ?? now,
        deleted_at: now,
      },
      { transaction },
    );
    const graceDays = rt.config.accounts.deleted_username_grace_days;
    if (graceDays > 0) {
      await UsernameReservation.upsert(
        {
          username_lower: oldUsername.toLowerCase(),
          user_id: userId,
          expires_at: new Date(now.getTime() + graceDays * 86_400_000),
        },
        { transaction },
      );
    }
    const serverIds = memberships.map((m) => m.server_id);
    const otherSides = new Set(relationships.map((r) => (r.user_id === userId ? r.target_id : r.user_id)));
    // Its memberships went, and its name and avatar changed, in the lists of these servers.
    fx.invalidate({ servers: serverIds, accounts: [userId] });
    fx.disconnect(rooms.user(userId));
    const removed = presentUser(rt.config, row);
    for (const serverId of serverIds) {
      const payload = { server_id: serverId, user: removed };
      fx.dispatch([rooms.server(serverId)], 'SERVER_MEMBER_REMOVE', payload);
      fx.outgoing({ type: 'SERVER_MEMBER_REMOVE', server_id: serverId, data: payload });
    }
    for (const other of otherSides) fx.dispatch([rooms.user(other)], 'RELATIONSHIP_REMOVE', { id: userId });
    // Outside the database, after the commit: live voice in its servers, the push flag, and the
    // stored files (the uploaded avatar, every rendition; exports).
    for (const serverId of serverIds) fx.enforceVoice(serverId, [userId]);
    fx.refresh('push', [userId]);
    await deleteFilesAfterCommit(
      rt,
      fx,
      [
        ...renditionKeys(oldAvatar, `avatars/${userId}/`),
        ...exports.flatMap((e) => (e.storage_key ? [e.storage_key] : [])),
      ],
      transaction,
    );
    return { user: row, serverIds };
  });
  await recordSecurityEvent(rt, 'account_deleted', {
    userId,
    ip: actor.ip ?? null,
    details: {
      by: actor.kind === 'self' ? 'self' : (actor.adminId ?? 'cli'),
      servers_left: serverIds.length,
    },
  });
  rt.logger.info({ user: userId, by: actor.kind }, 'account deleted');
  return user;
}

/**
 * Whether `username` is held for a deleted account's grace period, or is a placeholder's name
 * (isPlaceholderUsername). An expired reservation is dropped on the way, so the name is free from
 * then on without a sweeping job.
 */
export async function usernameReserved(
  rt: Pick<Runtime, 'models'>,
  username: string,
  transaction?: Transaction,
): Promise<boolean> {
  if (isPlaceholderUsername(username)) return true;
  const row = await rt.models.UsernameReservation.findByPk(username.toLowerCase(), { transaction });
  if (!row) return false;
  if (row.expires_at.getTime() > Date.now()) return true;
  await row.destroy({ transaction });
  return false;
}
