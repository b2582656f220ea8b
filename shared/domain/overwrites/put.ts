import { diff, recordAudit } from '../../audit.js';
import { isThreadType } from '../../db/models/index.js';
import { ApiError, NotFoundError } from '../../errors.js';
import { rooms } from '../../events/index.js';
import { runCommand } from '../../outbox/index.js';
import { Permission } from '../../permissions/index.js';
import type { Runtime } from '../../runtime.js';
import { requireServerChannel } from '../access.js';
import { announceOverwrite, requireHeldBits, requireOverwriteTarget, type OverwriteBody } from './rules.js';

/**
 * Creates or replaces the overwrite of a role of the server (the server id for @everyone) or of a
 * member on a channel. Needs MANAGE_ROLES in the channel, and the caller may only change bits they
 * hold there. Audited as overwrite_update; rooms, viewers and live voice follow (announceOverwrite).
 */
export async function putOverwrite(
  rt: Runtime,
  channelId: string,
  targetId: string,
  actorId: string,
  body: OverwriteBody,
  reason: string | null,
): Promise<void> {
  const { channel, policy, permissions } = await requireServerChannel(
    rt,
    channelId,
    actorId,
    Permission.MANAGE_ROLES,
  );
  if (isThreadType(channel.channel_type)) {
    throw new ApiError(400, 'invalid_channel_type', "A thread has no overwrites: it inherits its parent's", {
      channel_id: 'is a thread',
    });
  }
  const serverId = policy.server.id;
  const { Role, Member, PermissionOverwrite } = rt.models;
  if (body.type === 'role') {
    const role = await Role.findOne({
      where: { id: targetId, server_id: serverId },
    });
    if (!role) throw new NotFoundError('role');
  } else {
    const member = await Member.findOne({
      where: { server_id: serverId, user_id: targetId },
    });
    if (!member) throw new NotFoundError('member');
  }
  await requireOverwriteTarget(rt, policy, body.type, targetId);

  await runCommand(rt, rooms.channel(channel.id), async (transaction, fx) => {
    const existing = await PermissionOverwrite.findOne({
      where: { channel_id: channel.id, target_id: targetId },
      transaction,
      lock: transaction.LOCK.UPDATE,
    });
    const oldAllow = BigInt(existing?.allow ?? '0');
    const oldDeny = BigInt(existing?.deny ?? '0');
    const allow = BigInt(body.allow);
    const deny = BigInt(body.deny);
    requireHeldBits(permissions, (oldAllow ^ allow) | (oldDeny ^ deny));
    const before = existing ? { type: existing.type, allow: String(oldAllow), deny: String(oldDeny) } : {};
    const after = { type: body.type, allow: String(allow), deny: String(deny) };
    const changes = diff(before, after);
    if (changes.length === 0) return;
    if (existing) {
      existing.set(after);
      await existing.save({ transaction });
    } else {
      await PermissionOverwrite.create(
        { channel_id: channel.id, target_id: targetId, ...after },
        { transaction },
      );
    }
    fx.invalidate({ channels: [channel.id] });
    await recordAudit(
      rt,
      {
        serverId,
        actorId,
        action: 'overwrite_update',
        targetType: 'channel',
        targetId: channel.id,
        changes: [{ key: 'overwrite_id', old: targetId, new: targetId }, ...changes],
        reason,
      },
      transaction,
    );
    await announceOverwrite(rt, fx, channel, serverId, body.type, targetId, transaction);
  });
}
