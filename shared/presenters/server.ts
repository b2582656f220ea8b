import type { Config } from '../config/index.js';
import { absoluteUrl } from '../config/public-base.js';
import type { Attributes } from '../db/models/index.js';
import { unixSeconds } from './time.js';
import type { ChannelObject, ServerChannelObject, ServerObject } from './types.js';

/**
 * The server object; member_count is counted by the caller (it is always present). `icon_url` is
 * absolute (the row keeps an upload's as a bare path without server.public_url).
 */
export function presentServer(
  config: Pick<Config, 'server'>,
  server: Attributes<'Server'>,
  memberCount: number,
): ServerObject {
  return {
    id: server.id,
    name: server.name,
    description: server.description,
    icon_url: absoluteUrl(config, server.icon_url),
    owner_id: server.owner_id,
    member_count: memberCount,
    created_at: unixSeconds(server.created_at),
  };
}

/**
 * The fields every channel object has: the channel object of spec/data-types.txt plus parent_id,
 * and user_limit / bitrate on voice and stage channels. Threads (presentThread) and private
 * channels (presentPrivateChannel) build on it; a server channel is presented with presentChannel.
 */
export function channelFields(channel: Attributes<'Channel'>): ChannelObject {
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
  return object;
}

/**
 * A server channel that is not a thread, as every route and dispatch shows it (GET
 * /channels/{id}, GET /servers/{id}/channels, READY, CHANNEL_CREATE/UPDATE/DELETE, the PATCH and
 * POST answers): its fields and its own permission overwrites (overwritesByChannel splits a
 * server's list). Loading them: shared/domain/channels/present.ts.
 */
export function presentChannel(
  channel: Attributes<'Channel'>,
  overwrites: readonly Attributes<'PermissionOverwrite'>[],
): ServerChannelObject {
  return {
    ...channelFields(channel),
    permission_overwrites: overwrites.map((o) => ({
      id: o.target_id,
      type: o.type,
      allow: String(o.allow),
      deny: String(o.deny),
    })),
  };
}

/** Overwrites by the channel they belong to, each list in the order given. */
export function overwritesByChannel<T extends { channel_id: string }>(
  overwrites: readonly T[],
): Map<string, T[]> {
  const byChannel = new Map<string, T[]>();
  for (const o of overwrites) {
    const list = byChannel.get(o.channel_id);
    if (list) list.push(o);
    else byChannel.set(o.channel_id, [o]);
  }
  return byChannel;
}
