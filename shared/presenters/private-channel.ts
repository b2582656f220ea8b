import type { Config } from '../config/index.js';
import type { Attributes } from '../db/models/index.js';
import { channelFields } from './server.js';
import type { PrivateChannelObject } from './types.js';
import { presentUser } from './user.js';

/**
 * A DM or notes channel as `viewerId` sees it: `recipients` are the people in it other than the
 * viewer (the other person of a DM; nobody for the viewer's own notes channel).
 */
export function presentPrivateChannel(
  config: Pick<Config, 'server'>,
  channel: Attributes<'Channel'>,
  members: Attributes<'User'>[],
  viewerId: string,
): PrivateChannelObject {
  return {
    ...channelFields(channel),
    recipients: members.filter((u) => u.id !== viewerId).map((u) => presentUser(config, u)),
  };
}

/**
 * Private channels loaded in batches (READY, GET /users/@me/channels), each presented with its
 * recipients: `recipients` are the channel_recipients rows of all of them, `users` holds every user
 * those rows name.
 */
export function presentPrivateChannels(
  config: Pick<Config, 'server'>,
  channels: Attributes<'Channel'>[],
  recipients: Pick<Attributes<'ChannelRecipient'>, 'channel_id' | 'user_id'>[],
  users: ReadonlyMap<string, Attributes<'User'>>,
  viewerId: string,
): PrivateChannelObject[] {
  const membersOf = new Map<string, Attributes<'User'>[]>();
  for (const r of recipients) {
    const user = users.get(r.user_id);
    if (!user) continue;
    const members = membersOf.get(r.channel_id);
    if (members) members.push(user);
    else membersOf.set(r.channel_id, [user]);
  }
  return channels.map((c) => presentPrivateChannel(config, c, membersOf.get(c.id) ?? [], viewerId));
}
