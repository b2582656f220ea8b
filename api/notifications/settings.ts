import {
  presentMute,
  requireMember,
  requireVisibleChannel,
  type ChannelSettingObject,
  type ServerSettingObject,
} from '../../shared/domain/notifications/settings.js';
import { decisiveMutes } from '../../shared/push/mutes.js';
import type { Runtime } from '../../shared/runtime.js';

/** GET .../servers/{server_id}: the stored mute, or the default (not muted). */
export async function getServerSetting(
  rt: Runtime,
  userId: string,
  serverId: string,
): Promise<ServerSettingObject> {
  await requireMember(rt, userId, serverId);
  const row = await rt.models.ServerNotificationSetting.findOne({
    where: { user_id: userId, server_id: serverId },
  });
  return { server_id: serverId, ...presentMute(row) };
}

/**
 * GET .../channels/{channel_id}: the channel's own mute, else the one it follows (its parent's
 * for a thread, else its server's) marked `inherited`, else the default.
 */
export async function getChannelSetting(
  rt: Runtime,
  userId: string,
  channelId: string,
): Promise<ChannelSettingObject> {
  const channel = await requireVisibleChannel(rt, userId, channelId);
  const decisive = (await decisiveMutes(rt, channel, [userId])).get(userId) ?? null;
  return {
    channel_id: channel.id,
    ...presentMute(decisive),
    inherited: decisive?.scope !== 'channel',
  };
}

/** GET /users/@me/notification-settings: every setting the caller stored (for a client's start-up). */
export async function listSettings(
  rt: Runtime,
  userId: string,
): Promise<{ servers: ServerSettingObject[]; channels: ChannelSettingObject[] }> {
  const [servers, channels] = await Promise.all([
    rt.models.ServerNotificationSetting.findAll({
      where: { user_id: userId },
      order: [['server_id', 'ASC']],
    }),
    rt.models.ChannelNotificationSetting.findAll({
      where: { user_id: userId },
      order: [['channel_id', 'ASC']],
    }),
  ]);
  return {
    servers: servers.map((s) => ({ server_id: s.server_id, ...presentMute(s) })),
    channels: channels.map((c) => ({ channel_id: c.channel_id, ...presentMute(c), inherited: false })),
  };
}
