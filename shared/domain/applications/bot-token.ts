import { Op } from 'sequelize';
import {
  issueSession,
  revokeSessionRows,
  sessionsRevoked,
  type ClientInfo,
} from '../../accounts/sessions.js';
import { rooms } from '../../events/index.js';
import { runCommand } from '../../outbox/index.js';
import type { Runtime } from '../../runtime.js';
import { ownedApplication } from './applications.js';

/**
 * A new bot token, in one command with the revocation of every earlier session of the bot (REST
 * 401 from the next request, gateway connections closed right after the commit). The new token is
 * shown once.
 */
export async function regenerateBotToken(
  rt: Runtime,
  ownerId: string,
  appId: string,
  client: ClientInfo,
): Promise<{ token: string }> {
  const { bot } = await ownedApplication(rt, ownerId, appId);
  const { token, old } = await runCommand(rt, rooms.user(bot.id), async (transaction, fx) => {
    const issued = await issueSession(rt, bot, client, 'bot', transaction);
    const sessions = await rt.models.Session.findAll({
      where: { user_id: bot.id, revoked_at: null, id: { [Op.ne]: issued.session.id } },
      transaction,
    });
    await revokeSessionRows(rt, sessions, transaction, fx);
    return { token: issued.token, old: sessions };
  });
  await sessionsRevoked(rt, old, 'bot_token_regenerated', client);
  return { token };
}
