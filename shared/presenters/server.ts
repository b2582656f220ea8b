import type { Row } from '../db/models/index.js';
import { unixSeconds } from './time.js';
import type { ChannelObject, ServerObject } from './types.js';

/** The server object; member_count is counted by the caller (it is always present). */
export function presentServer(server: Row<'Server'>, memberCount: number): ServerObject {
  return {
    id: server.id,
    name: server.name,
    description: server.description,
    icon_url: server.icon_url,
    owner_id: server.owner_id,
    member_count: memberCount,
    created_at: unixSeconds(server.created_at),
  };
}

/**
 * The channel object of spec/data-types.txt (plus parent_id); with `overwrites`, also its
 * permission overwrites (those with another channel_id are ignored, so a server's whole list can
 * be passed).
 */
export function presentChannel(
  channel: Row<'Channel'>,
  overwrites?: Row<'PermissionOverwrite'>[],
): ChannelObject {
  const object: ChannelObject = {
    id: channel.id,
    server_id: channel.server_id,
    parent_id: channel.parent_id,
    name: channel.name,
    channel_type: channel.channel_type,
    topic: channel.topic,
    position: channel.position,
    nsfw: channel.nsfw,
    slowmode_seconds: channel.slowmode_seconds,
    created_at: unixSeconds(channel.created_at),
  };
  if (channel.channel_type === 'voice' || channel.channel_type === 'stage') {
    object.user_limit = channel.user_limit;
    object.bitrate = channel.bitrate;
  }
  if (overwrites) {
    object.permission_overwrites = overwrites
      .filter((o) => o.channel_id === channel.id)
      .map((o) => ({ id: o.target_id, type: o.type, allow: String(o.allow), deny: String(o.deny) }));
  }
  return object;
}
