import type { Row } from '../../shared/db/models/index.js';
import { NotFoundError } from '../../shared/errors.js';
import { channelAccessFor } from '../../shared/permissions/channel-access.js';
import { unixSeconds } from '../../shared/presenters/time.js';
import { decisiveMutes, muteInForce, type MuteRow } from '../../shared/push/mutes.js';
import type { Runtime } from '../../shared/runtime.js';

/** A mute as its user sees it; `active` says whether it silences pushes now. */
export interface MuteObject {
  muted: boolean;
  muted_until: number | null;
  active: boolean;
}

function presentMute(row: MuteRow | null): MuteObject {
  if (!row) return { muted: false, muted_until: null, active: false };
  return {
    muted: row.muted,
    muted_until: row.muted_until === null ? null : unixSeconds(new Date(row.muted_until)),
    active: muteInForce(row),
  };
}

/** A server's mute as its user sees it. */
export type ServerSettingObject = { server_id: string } & MuteObject;
/** A channel's mute; `inherited` when the channel has no setting of its own. */
export type ChannelSettingObject = { channel_id: string; inherited: boolean } & MuteObject;

/** PUT body of both routes. */
export interface MuteInput {
  muted: boolean;
  muted_until?: number | null;
}

function toRow(input: MuteInput): { muted: boolean; muted_until: Date | null; updated_at: Date } {
  const until = input.muted && input.muted_until != null ? new Date(input.muted_until * 1000) : null;
  return { muted: input.muted, muted_until: until, updated_at: new Date() };
}

async function requireMember(rt: Runtime, userId: string, serverId: string): Promise<void> {
  const member = await rt.models.Member.findOne({ where: { server_id: serverId, user_id: userId } });
  if (!member) throw new NotFoundError('server');
}

/** The channel, when the caller may see it (member with VIEW_CHANNEL, or a recipient); else 404. */
async function requireChannel(rt: Runtime, userId: string, channelId: string): Promise<Row<'Channel'>> {
  const access = await channelAccessFor(rt, userId, channelId);
  if (!access) throw new NotFoundError('channel');
  return access.channel;
}

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

/** PUT .../servers/{server_id}: replaces the caller's mute of a server they are in. */
export async function putServerSetting(
  rt: Runtime,
  userId: string,
  serverId: string,
  input: MuteInput,
): Promise<ServerSettingObject> {
  await requireMember(rt, userId, serverId);
  const [row] = await rt.models.ServerNotificationSetting.upsert({
    user_id: userId,
    server_id: serverId,
    ...toRow(input),
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
  const channel = await requireChannel(rt, userId, channelId);
  const decisive = (await decisiveMutes(rt, channel, [userId])).get(userId) ?? null;
  return {
    channel_id: channel.id,
    ...presentMute(decisive),
    inherited: decisive?.scope !== 'channel',
  };
}

/** PUT .../channels/{channel_id}: the channel's own mute, which overrides its parent's and its server's. */
export async function putChannelSetting(
  rt: Runtime,
  userId: string,
  channelId: string,
  input: MuteInput,
): Promise<ChannelSettingObject> {
  const channel = await requireChannel(rt, userId, channelId);
  const [row] = await rt.models.ChannelNotificationSetting.upsert({
    user_id: userId,
    channel_id: channel.id,
    ...toRow(input),
  });
  return { channel_id: channel.id, ...presentMute(row), inherited: false };
}

/** DELETE .../channels/{channel_id}: drops the channel's own mute; it follows its parent/server again. */
export async function deleteChannelSetting(rt: Runtime, userId: string, channelId: string): Promise<void> {
  const channel = await requireChannel(rt, userId, channelId);
  await rt.models.ChannelNotificationSetting.destroy({ where: { user_id: userId, channel_id: channel.id } });
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
