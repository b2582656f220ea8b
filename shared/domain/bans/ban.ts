import { recordAudit } from '../../audit.js';
import { ApiError, NotFoundError } from '../../errors.js';
import { rooms } from '../../events/index.js';
import { holdOrder, runCommand } from '../../outbox/index.js';
import { Permission, ServerPolicy, requireMemberFacts, requireOutranks } from '../../permissions/index.js';
import { presentUser } from '../../presenters/user.js';
import type { Row } from '../../db/models/index.js';
import type { Runtime } from '../../runtime.js';
import { snowflakeFromTimestamp } from '../../snowflake.js';
import { memberRemoved } from '../members/remove.js';
import { requireUser } from '../members/present.js';
import { announceDeleted, channelsWithRecentMessagesOf, deleteRecentMessagesOf } from '../messages/delete.js';

/** Who bans whom from which server, and what goes with it. */
export interface BanInput {
  serverId: string;
  actorId: string;
  userId: string;
  /** Their messages in the server from this many seconds back are deleted (0: none). */
  deleteMessageSeconds: number;
  /** The reason stored with the ban (else `auditReason`). */
  reason?: string | null;
  /** The audit log's reason (`X-Audit-Log-Reason`), else `reason`. */
  auditReason: string | null;
}

/**
 * Bans a user (BAN_MEMBERS; a member must be strictly below the actor, never oneself: 400
 * `cannot_target_self`): their membership goes (memberRemoved), and with `deleteMessageSeconds`
 * their recent messages go through the one delete rule (mentions and thread counts follow), each
 * channel hearing MESSAGE_DELETE_BULK. Banning someone already banned adds nothing. Audited as
 * `member_ban`; the server hears SERVER_BAN_ADD.
 */
export async function banUser(rt: Runtime, input: BanInput): Promise<void> {
  const { serverId, userId, actorId } = input;
  const { Member } = rt.models;
  const policy = await ServerPolicy.load(rt, serverId, actorId);
  policy.require(Permission.BAN_MEMBERS);
  if (userId === actorId) {
    throw new ApiError(400, 'cannot_target_self', 'You cannot ban yourself', { user_id: 'is your own id' });
  }
  const user = await requireUser(rt, userId);
  const isMember = (await Member.count({ where: { server_id: serverId, user_id: userId } })) > 0;
  if (isMember) requireOutranks(policy, await requireMemberFacts(rt, serverId, userId));
  const reason = input.reason || input.auditReason;
  const sinceId =
    input.deleteMessageSeconds > 0
      ? snowflakeFromTimestamp(Date.now() - input.deleteMessageSeconds * 1000)
      : null;
  // The channels it deletes in are held as well as the server, as any other delete of messages
  // holds its channel: a create stored meanwhile relays before the deletes (a client never gets
  // MESSAGE_CREATE after the MESSAGE_DELETE_BULK of its message), and a workers process that kept
  // a channel's newest id while holding it (HoldOptions.facts) lets the key go, so it reads the
  // figure again after the deletion instead of keeping a deleted id.
  const channels = sinceId ? await channelsWithRecentMessagesOf(rt, serverId, userId, sinceId) : [];
  const hold = (await holdOrder(rt, [rooms.server(serverId), ...channels.map((c) => rooms.channel(c))]))!;
  try {
    await hold.run(() => ban(rt, input, { reason, sinceId, channels, user }));
  } finally {
    await hold.release();
  }
}

/** The ban's command, under the hold of its server and `channels`. */
async function ban(
  rt: Runtime,
  input: BanInput,
  about: { reason: string | null; sinceId: string | null; channels: string[]; user: Row<'User'> },
): Promise<void> {
  const { serverId, userId, actorId } = input;
  const { Ban, Member } = rt.models;
  const { reason, sinceId, channels, user } = about;
  await runCommand(rt, rooms.server(serverId), async (transaction, fx) => {
    const [, created] = await Ban.findOrCreate({
      where: { server_id: serverId, user_id: userId },
      defaults: { server_id: serverId, user_id: userId, reason, banned_by: actorId },
      transaction,
    });
    const wasMember =
      (await Member.destroy({ where: { server_id: serverId, user_id: userId }, transaction })) > 0;
    const deleted = sinceId
      ? await deleteRecentMessagesOf(rt, serverId, userId, sinceId, channels, transaction)
      : [];
    if (created) {
      await recordAudit(
        rt,
        {
          serverId,
          actorId,
          action: 'member_ban',
          targetType: 'user',
          targetId: userId,
          changes:
            input.deleteMessageSeconds > 0
              ? [{ key: 'delete_message_seconds', new: input.deleteMessageSeconds }]
              : [],
          reason: input.auditReason ?? (input.reason || null),
        },
        transaction,
      );
    }
    if (wasMember) await memberRemoved(rt, serverId, user, transaction, fx);
    if (created) {
      fx.dispatch([rooms.server(serverId)], 'SERVER_BAN_ADD', {
        server_id: serverId,
        user: presentUser(rt.config, user),
      });
    }
    for (const inChannel of deleted) announceDeleted(fx, inChannel, 'bulk');
  });
}

/** Lifts a ban (BAN_MEMBERS; 404 `unknown_ban`). Audited as `member_unban`; the server hears SERVER_BAN_REMOVE. */
export async function unbanUser(
  rt: Runtime,
  input: { serverId: string; actorId: string; userId: string; reason: string | null },
): Promise<void> {
  const { serverId, userId, actorId } = input;
  const policy = await ServerPolicy.load(rt, serverId, actorId);
  policy.require(Permission.BAN_MEMBERS);
  await runCommand(rt, rooms.server(serverId), async (transaction, fx) => {
    const count = await rt.models.Ban.destroy({
      where: { server_id: serverId, user_id: userId },
      transaction,
    });
    if (count === 0) throw new NotFoundError('ban');
    await recordAudit(
      rt,
      {
        serverId,
        actorId,
        action: 'member_unban',
        targetType: 'user',
        targetId: userId,
        reason: input.reason,
      },
      transaction,
    );
    const user = await requireUser(rt, userId);
    fx.dispatch([rooms.server(serverId)], 'SERVER_BAN_REMOVE', {
      server_id: serverId,
      user: presentUser(rt.config, user),
    });
  });
}
