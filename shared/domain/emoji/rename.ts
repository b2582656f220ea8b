import { recordAudit } from '../../audit.js';
import { NotFoundError } from '../../errors.js';
import { rooms } from '../../events/index.js';
import { runCommand } from '../../outbox/index.js';
import { Permission, ServerPolicy } from '../../permissions/index.js';
import { presentEmoji, type EmojiObject } from '../../presenters/emoji.js';
import type { Runtime } from '../../runtime.js';
import { announceEmojis, nameTakenOr } from './rules.js';

/** Renames a custom emoji (MANAGE_EMOJIS). Audited as emoji_update; members get SERVER_EMOJIS_UPDATE. */
export async function renameEmoji(
  rt: Runtime,
  serverId: string,
  emojiId: string,
  actorId: string,
  name: string,
  reason: string | null,
): Promise<EmojiObject> {
  const policy = await ServerPolicy.load(rt, serverId, actorId);
  policy.require(Permission.MANAGE_EMOJIS);
  const row = await rt.models.Emoji.findOne({ where: { id: emojiId, server_id: serverId } });
  if (!row) throw new NotFoundError('emoji');
  if (row.name === name) return presentEmoji(rt.config, row);
  const old = row.name;
  try {
    await runCommand(rt, rooms.server(serverId), async (transaction, fx) => {
      row.name = name;
      await row.save({ transaction });
      await recordAudit(
        rt,
        {
          serverId,
          actorId,
          action: 'emoji_update',
          targetType: 'emoji',
          targetId: emojiId,
          changes: [{ key: 'name', old, new: name }],
          reason,
        },
        transaction,
      );
      await announceEmojis(rt, fx, serverId, transaction);
    });
  } catch (err) {
    throw nameTakenOr(err);
  }
  return presentEmoji(rt.config, row);
}
