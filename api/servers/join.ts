import { NotFoundError } from '../../shared/errors.js';
import { rooms } from '../../shared/events/index.js';
import { queueOutgoingEvent } from '../../shared/integrations/outgoing-events.js';
import { syncChannelRooms } from '../../shared/permissions/index.js';
import { presentServer } from '../../shared/presenters/server.js';
import type { ServerObject } from '../../shared/presenters/types.js';
import type { Runtime } from '../../shared/runtime.js';
import { postSystemMessage, systemChannelFor } from '../messages/system-messages.js';
import { memberObject } from './membership.js';

/** The server object as a member sees it (with its member count), or 404 `notFound`. */
export async function joinedServer(
  rt: Runtime,
  serverId: string,
  notFound = 'server',
): Promise<ServerObject> {
  const server = await rt.models.Server.findByPk(serverId);
  if (!server) throw new NotFoundError(notFound);
  return presentServer(server, await rt.models.Member.count({ where: { server_id: serverId } }));
}

/**
 * After a new member's commit: their connections join the server and the channels they can see,
 * they get SERVER_CREATE, the server gets SERVER_MEMBER_ADD, and a `member_join` system message is
 * posted in the server's first text channel.
 */
export async function announceJoin(
  rt: Runtime,
  serverId: string,
  userId: string,
  server: ServerObject,
): Promise<void> {
  await rt.events.joinRooms(rooms.user(userId), [rooms.server(serverId)]);
  await syncChannelRooms(rt, serverId, [userId]);
  await rt.events.dispatch([rooms.user(userId)], 'SERVER_CREATE', server);
  const member = await memberObject(rt, serverId, userId);
  await rt.events.dispatch([rooms.server(serverId)], 'SERVER_MEMBER_ADD', member);
  await queueOutgoingEvent(rt, { type: 'SERVER_MEMBER_ADD', server_id: serverId, data: member });
  const notices = await systemChannelFor(rt, serverId);
  if (notices) {
    await postSystemMessage(rt, { channel_id: notices.id, type: 'member_join', author_id: userId });
  }
}
