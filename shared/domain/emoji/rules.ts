import { UniqueConstraintError, type Transaction } from 'sequelize';
import { ConflictError } from '../../errors.js';
import { rooms } from '../../events/index.js';
import type { Effects } from '../../outbox/index.js';
import { presentEmoji } from '../../presenters/emoji.js';
import type { Runtime } from '../../runtime.js';

/** How many custom emoji a server may have. */
export const MAX_EMOJIS_PER_SERVER = 50;
/** What an emoji's name may be. */
export const EMOJI_NAME = /^[A-Za-z0-9_]{2,32}$/;

/** 409 for a name the server's emoji already use; other errors pass through. */
export function nameTakenOr(err: unknown): unknown {
  return err instanceof UniqueConstraintError
    ? new ConflictError('emoji_name_taken', 'This server already has an emoji of that name')
    : err;
}

/** SERVER_EMOJIS_UPDATE to the server's members with the list as `transaction` leaves it. */
export async function announceEmojis(
  rt: Pick<Runtime, 'models' | 'config'>,
  fx: Effects,
  serverId: string,
  transaction: Transaction,
): Promise<void> {
  const rows = await rt.models.Emoji.findAll({
    where: { server_id: serverId },
    order: [['id', 'ASC']],
    transaction,
  });
  fx.dispatch([rooms.server(serverId)], 'SERVER_EMOJIS_UPDATE', {
    server_id: serverId,
    emojis: rows.map((row) => presentEmoji(rt.config, row)),
  });
}
