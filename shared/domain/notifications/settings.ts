import type { Row } from '../../db/models/index.js';
import { NotFoundError } from '../../errors.js';
import { rooms } from '../../events/index.js';
import { runCommand } from '../../outbox/index.js';
import { channelAccessFor } from '../../permissions/channel-access.js';
import { unixSeconds } from '../../presenters/time.js';
import { muteInForce, type MuteRow } from '../../push/mutes.js';
import type { Runtime } from '../../runtime.js';

/** A mute as its user sees it; `active` says whether it silences pushes now. */
export interface MuteObject {
  muted: boolean;
  muted_until: number | null;
  active: boolean;
}

/** A stored mute (or none: the default) as its user sees it. */
export function presentMute(row: MuteRow | null): MuteObject {
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

/** What a mute is set to (the PUT body of both routes). */
export interface MuteInput {
  muted: boolean;
  muted_until?: number | null;
}

function toRow(input: MuteInput): { muted: boolean; muted_until: Date | null; updated_at: Date } {
  const until = input.muted && input.muted_until != null ? new Date(input.muted_until * 1000) : null;
  return { muted: input.muted, muted_until: until, updated_at: new Date() };
}

/** 404 `unknown_server` unless `userId` is a member of the server. */
export async function requireMember(
  rt: Pick<Runtime, 'models'>,
  userId: string,
  serverId: string,
): Promise<void> {
  const member = await rt.models.Member.findOne({ where: { server_id: serverId, user_id: userId } });
  if (!member) throw new NotFoundError('server');
}

/** The channel, when `userId` may see it (member with VIEW_CHANNEL, or a recipient); else 404. */
export async function requireVisibleChannel(
  rt: Pick<Runtime, 'models'>,
  userId: string,
  channelId: string,
): Promise<Row<'Channel'>> {
  const access = await channelAccessFor(rt, userId, channelId);
  if (!access) throw new NotFoundError('channel');
  return access.channel;
}

/** Replaces `userId`'s mute of a server they are in (PUT .../servers/{server_id}). */
export async function putServerSetting(
  rt: Runtime,
  userId: string,
  serverId: string,
  input: MuteInput,
): Promise<ServerSettingObject> {
  await requireMember(rt, userId, serverId);
  const [row] = await runCommand(rt, rooms.user(userId), (transaction) =>
    rt.models.ServerNotificationSetting.upsert(
      { user_id: userId, server_id: serverId, ...toRow(input) },
      { transaction },
    ),
  );
  return { server_id: serverId, ...presentMute(row) };
}

/**
 * Sets `userId`'s own mute of a channel they can see (PUT .../channels/{channel_id}), which
 * overrides its parent's and its server's.
 */
export async function putChannelSetting(
  rt: Runtime,
  userId: string,
  channelId: string,
  input: MuteInput,
): Promise<ChannelSettingObject> {
  const channel = await requireVisibleChannel(rt, userId, channelId);
  const [row] = await runCommand(rt, rooms.user(userId), (transaction) =>
    rt.models.ChannelNotificationSetting.upsert(
      { user_id: userId, channel_id: channel.id, ...toRow(input) },
      { transaction },
    ),
  );
  return { channel_id: channel.id, ...presentMute(row), inherited: false };
}

/**
 * Drops `userId`'s own mute of a channel (DELETE .../channels/{channel_id}); it follows its parent
 * or server again.
 */
export async function deleteChannelSetting(rt: Runtime, userId: string, channelId: string): Promise<void> {
  const channel = await requireVisibleChannel(rt, userId, channelId);
  await runCommand(rt, rooms.user(userId), (transaction) =>
    rt.models.ChannelNotificationSetting.destroy({
      where: { user_id: userId, channel_id: channel.id },
      transaction,
    }),
  );
}
