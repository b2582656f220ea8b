import type { Transaction } from 'sequelize';
import { recordAudit } from '../../audit.js';
import type { Row } from '../../db/models/index.js';
import { ApiError } from '../../errors.js';
import { rooms } from '../../events/index.js';
import { runCommand, type Effects } from '../../outbox/index.js';
import { Permission, ServerPolicy, requireMemberFacts, requireOutranks } from '../../permissions/index.js';
import { presentUser } from '../../presenters/user.js';
import type { Runtime } from '../../runtime.js';
import { removeManagedRole } from '../roles/managed.js';
import { requireUser } from './present.js';

/**
 * In the command that removed `user`'s member row from `serverId` (kick, ban, leave, a bot's
 * application deleted): the server's caches move, the server and the user's own connections hear
 * SERVER_MEMBER_REMOVE (so do its event webhooks), the user's connections leave the server's rooms,
 * and a bot's managed role there goes with it. Their voice session there ends once this commits
 * (live state in Redis, checked against the committed rows by the relay).
 */
export async function memberRemoved(
  rt: Pick<Runtime, 'models' | 'config'>,
  serverId: string,
  user: Row<'User'>,
  transaction: Transaction,
  fx: Effects,
): Promise<void> {
  fx.invalidate({ servers: [serverId] });
  const removed = { server_id: serverId, user: presentUser(rt.config, user) };
  fx.dispatch([rooms.server(serverId), rooms.user(user.id)], 'SERVER_MEMBER_REMOVE', removed);
  fx.outgoing({ type: 'SERVER_MEMBER_REMOVE', server_id: serverId, data: removed });
  const channels = await rt.models.Channel.findAll({
    where: { server_id: serverId },
    attributes: ['id'],
    transaction,
  });
  fx.leaveRooms(rooms.user(user.id), [rooms.server(serverId), ...channels.map((c) => rooms.channel(c.id))]);
  if (user.is_bot) await removeManagedRole(rt, serverId, user.id, transaction, fx);
  fx.enforceVoice(serverId, [user.id]);
}

/** Who removes whom from which server. */
export interface RemoveMemberInput {
  serverId: string;
  actorId: string;
  /** The actor themselves: they leave; anyone else: a kick. */
  userId: string;
  /** Audit log reason of a kick. */
  reason: string | null;
}

/**
 * Kicks a member (KICK_MEMBERS, and a member strictly below the actor; audited as `member_kick`)
 * or, for the actor themselves, leaves the server (400 `owner_cannot_leave` for its owner).
 */
export async function removeMember(rt: Runtime, input: RemoveMemberInput): Promise<void> {
  const { serverId, actorId, userId } = input;
  const policy = await ServerPolicy.load(rt, serverId, actorId);
  const kick = userId !== actorId;
  if (!kick && policy.isOwner) {
    throw new ApiError(400, 'owner_cannot_leave', 'The owner cannot leave; transfer or delete the server');
  }
  if (kick) {
    policy.require(Permission.KICK_MEMBERS);
    requireOutranks(policy, await requireMemberFacts(rt, serverId, userId));
  }
  const user = await requireUser(rt, userId);
  await runCommand(rt, rooms.server(serverId), async (transaction, fx) => {
    await rt.models.Member.destroy({ where: { server_id: serverId, user_id: userId }, transaction });
    if (kick) {
      await recordAudit(
        rt,
        {
          serverId,
          actorId,
          action: 'member_kick',
          targetType: 'member',
          targetId: userId,
          reason: input.reason,
        },
        transaction,
      );
    }
    await memberRemoved(rt, serverId, user, transaction, fx);
  });
}
