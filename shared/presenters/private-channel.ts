import type { Attributes } from '../db/models/index.js';
import { channelFields } from './server.js';
import type { PrivateChannelObject } from './types.js';
import { presentUser } from './user.js';

/**
 * A DM or notes channel as `viewerId` sees it: `recipients` are the people in it other than the
 * viewer (the other person of a DM; nobody for the viewer's own notes channel).
 */
export function presentPrivateChannel(
  channel: Attributes<'Channel'>,
  members: Attributes<'User'>[],
  viewerId: string,
): PrivateChannelObject {
  return {
    ...channelFields(channel),
    recipients: members.filter((u) => u.id !== viewerId).map(presentUser),
  };
}
