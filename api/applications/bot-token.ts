import { Op } from 'sequelize';
import { ownedApplication } from '../../shared/domain/applications/applications.js';
import type { Runtime } from '../../shared/runtime.js';
import { issueSession, revokeSessions, type ClientInfo } from '../accounts/session-commands.js';

/**
 * A new bot token: every earlier session of the bot is revoked (REST 401 from the next request,
 * gateway connections closed at once). The new token is shown once.
 */
export async function regenerateBotToken(
  rt: Runtime,
  ownerId: string,
  appId: string,
  client: ClientInfo,
): Promise<{ token: string }> {
  const { bot } = await ownedApplication(rt, ownerId, appId);
  const { token, session } = await issueSession(rt, bot, client, 'bot');
  const old = await rt.models.Session.findAll({
    where: { user_id: bot.id, revoked_at: null, id: { [Op.ne]: session.id } },
  });
  await revokeSessions(rt, old, 'bot_token_regenerated', client);
  return { token };
}
