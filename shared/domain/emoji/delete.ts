import { recordAudit } from '../../audit.js';
import { NotFoundError } from '../../errors.js';
import { rooms } from '../../events/index.js';
import { runCommand } from '../../outbox/index.js';
import { Permission, ServerPolicy } from '../../permissions/index.js';
import type { Runtime } from '../../runtime.js';
import { deleteFilesAfterCommit } from '../../storage/row-files.js';
import { announceEmojis } from './rules.js';

/**
 * Deletes a custom emoji (MANAGE_EMOJIS). Its files go after the commit (a job with retries); reactions with the emoji
 * stay (as Discord's do) and messages that used it keep their rendered HTML. Audited as
 * emoji_delete; members get SERVER_EMOJIS_UPDATE.
 */
export async function deleteEmoji(
  rt: Runtime,
  serverId: string,
  emojiId: string,
  actorId: string,
  reason: string | null,
): Promise<void> {
  const policy = await ServerPolicy.load(rt, serverId, actorId);
  policy.require(Permission.MANAGE_EMOJIS);
  const row = await rt.models.Emoji.findOne({ where: { id: emojiId, server_id: serverId } });
  if (!row) throw new NotFoundError('emoji');
  await runCommand(rt, rooms.server(serverId), async (transaction, fx) => {
    const n = await rt.models.Emoji.destroy({ where: { id: emojiId, server_id: serverId }, transaction });
    if (n === 0) throw new NotFoundError('emoji');
    await recordAudit(
      rt,
      {
        serverId,
        actorId,
        action: 'emoji_delete',
        targetType: 'emoji',
        targetId: emojiId,
        changes: [{ key: 'name', old: row.name }],
        reason,
      },
      transaction,
    );
    await announceEmojis(rt, fx, serverId, transaction);
    await deleteFilesAfterCommit(rt, fx, [row.webp_key, row.fallback_key], transaction);
  });
}
