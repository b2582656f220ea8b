import { recordAudit } from '../../audit.js';
import { ApiError, ValidationError } from '../../errors.js';
import { lockServer } from '../access.js';
import { rooms } from '../../events/index.js';
import { runCommand } from '../../outbox/index.js';
import { Permission, ServerPolicy } from '../../permissions/index.js';
import { presentEmoji, type EmojiObject } from '../../presenters/emoji.js';
import type { Runtime } from '../../runtime.js';
import { decodeSnowflake } from '../../snowflake.js';
import { EMOJI_NAME, MAX_EMOJIS_PER_SERVER, announceEmojis, nameTakenOr } from './rules.js';

/** An emoji's stored files. */
export interface StoredEmoji {
  animated: boolean;
  webpKey: string;
  fallbackKey: string;
}

/** A checked upload: what the audit log records of it, and how to store its renditions under an id. */
export interface EmojiUpload {
  facts: Record<string, unknown>;
  store(id: string): Promise<StoredEmoji>;
}

/**
 * Creates a custom emoji (MANAGE_EMOJIS): its files are stored, then it is recorded. The count and
 * name checks run again in the insert's transaction (the server row locked), so two uploads at
 * once cannot pass 50 or share a name; a failed insert removes the files. Audited as
 * emoji_create; the members receive SERVER_EMOJIS_UPDATE.
 */
export async function createEmoji(
  rt: Runtime,
  serverId: string,
  actorId: string,
  name: string | undefined,
  upload: EmojiUpload,
  reason: string | null,
): Promise<EmojiObject> {
  const policy = await ServerPolicy.load(rt, serverId, actorId);
  policy.require(Permission.MANAGE_EMOJIS);
  if (name === undefined || !EMOJI_NAME.test(name)) {
    throw new ValidationError({ name: 'must be 2-32 letters, digits or _' });
  }
  const tooMany = () =>
    new ApiError(400, 'too_many_emojis', `A server may have at most ${MAX_EMOJIS_PER_SERVER} emoji`);
  if ((await rt.models.Emoji.count({ where: { server_id: serverId } })) >= MAX_EMOJIS_PER_SERVER) {
    throw tooMany();
  }
  const id = rt.snowflake.next();
  const stored = await upload.store(id);
  try {
    return await runCommand(rt, rooms.server(serverId), async (transaction, fx) => {
      await lockServer(rt, serverId, transaction);
      const count = await rt.models.Emoji.count({ where: { server_id: serverId }, transaction });
      if (count >= MAX_EMOJIS_PER_SERVER) throw tooMany();
      const created = await rt.models.Emoji.create(
        {
          id,
          server_id: serverId,
          name,
          animated: stored.animated,
          creator_id: actorId,
          webp_key: stored.webpKey,
          fallback_key: stored.fallbackKey,
          created_at: new Date(decodeSnowflake(id).timestampMs),
        },
        { transaction },
      );
      await recordAudit(
        rt,
        {
          serverId,
          actorId,
          action: 'emoji_create',
          targetType: 'emoji',
          targetId: id,
          changes: [
            { key: 'name', new: name },
            { key: 'animated', new: stored.animated },
            // What was uploaded, so moderators can see who put which file up.
            { key: 'upload', new: upload.facts },
          ],
          reason,
        },
        transaction,
      );
      await announceEmojis(rt, fx, serverId, transaction);
      return presentEmoji(rt.config, created);
    });
  } catch (err) {
    await rt.storage.delete(stored.webpKey).catch(() => undefined);
    await rt.storage.delete(stored.fallbackKey).catch(() => undefined);
    throw nameTakenOr(err);
  }
}
