import { isThreadType } from '../../shared/db/models/index.js';
import { loadChannel } from '../../shared/domain/access.js';
import { ServerPolicy, viewableServerChannels } from '../../shared/permissions/index.js';
import { presentPrivateChannel } from '../../shared/presenters/private-channel.js';
import { presentServerChannel, presentServerChannels } from '../../shared/domain/channels/present.js';
import type { ChannelObject, PrivateChannelObject } from '../../shared/presenters/types.js';
import type { Runtime } from '../../shared/runtime.js';
import { presentThreadChannel } from '../threads/reads.js';

// The channel reads; the changes are domain commands (shared/domain/channels/).

/** GET /servers/{id}/channels: the channels the caller can view, ordered by position then id. */
export async function listChannels(rt: Runtime, serverId: string, userId: string): Promise<ChannelObject[]> {
  const policy = await ServerPolicy.load(rt, serverId, userId);
  const channels = await viewableServerChannels(rt.models, policy.facts);
  return presentServerChannels(rt, channels);
}

/** GET /channels/{id}: a server channel the caller can view, or a private channel they are in. */
export async function getChannel(
  rt: Runtime,
  channelId: string,
  userId: string,
): Promise<ChannelObject | PrivateChannelObject> {
  const access = await loadChannel(rt, channelId, userId);
  if (access.policy === null)
    return presentPrivateChannel(rt.config, access.channel, access.recipients, userId);
  await access.policy.requireChannel(access.channel);
  if (isThreadType(access.channel.channel_type)) return presentThreadChannel(rt, access.channel);
  return presentServerChannel(rt, access.channel);
}
