import { recordAudit } from '../../audit.js';
import { NotFoundError } from '../../errors.js';
import { rooms } from '../../events/index.js';
import { runCommand } from '../../outbox/index.js';
import { Permission } from '../../permissions/index.js';
import type { Runtime } from '../../runtime.js';
import { requireServerChannel } from '../access.js';
import { announceOverwrite, requireHeldBits, requireOverwriteTarget } from './rules.js';

/**
 * Removes a channel's overwrite (404 `unknown_overwrite` when there is none). Same permission rules
 * as putOverwrite; audited as overwrite_delete; rooms, viewers and live voice follow.
 */
export async function deleteOverwrite(
  rt: Runtime,
  channelId: string,
  targetId: string,
  actorId: string,
  reason: string | null,
): Promise<void> {
  const { channel, policy, permissions } = await requireServerChannel(
    rt,
    channelId,
    actorId,
    Permission.MANAGE_ROLES,
  );
  const serverId = policy.server.id;
  await runCommand(rt, rooms.channel(channel.id), async (transaction, fx) => {
    const existing = await rt.models.PermissionOverwrite.findOne({
      where: { channel_id: channel.id, target_id: targetId },
      transaction,
      lock: transaction.LOCK.UPDATE,
    });
    if (!existing) throw new NotFoundError('overwrite');
    await requireOverwriteTarget(rt, policy, existing.type, targetId);
    requireHeldBits(permissions, BigInt(existing.allow) | BigInt(existing.deny));
    await existing.destroy({ transaction });
    fx.invalidate({ channels: [channel.id] });
    await recordAudit(
      rt,
      {
        serverId,
        actorId,
        action: 'overwrite_delete',
        targetType: 'channel',
        targetId: channel.id,
        changes: [
          { key: 'overwrite_id', old: targetId, new: targetId },
          { key: 'type', old: existing.type },
          { key: 'allow', old: String(existing.allow) },
          { key: 'deny', old: String(existing.deny) },
        ],
        reason,
      },
      transaction,
    );
    await announceOverwrite(rt, fx, channel, serverId, existing.type, targetId, transaction);
  });
}
