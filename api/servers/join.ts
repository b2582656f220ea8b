import { Op, literal, type Transaction } from 'sequelize';
import type { Row } from '../../shared/db/models/index.js';
import { NotFoundError } from '../../shared/errors.js';
import { addMember } from '../../shared/domain/members/join.js';
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

/** Whether an invite can still be used: not revoked, not expired, not used up. */
export function usableInvite(invite: Row<'Invite'>, now = new Date()): boolean {
  if (invite.revoked_at) return false;
  if (invite.expires_at && invite.expires_at.getTime() <= now.getTime()) return false;
  return invite.max_uses === 0 || invite.uses < invite.max_uses;
}

/** The SQL form of `usableInvite`, for the conditional use count update. */
export const usableInviteWhere = {
  revoked_at: null,
  [Op.and]: [
    { [Op.or]: [{ expires_at: null }, { expires_at: { [Op.gt]: literal('now()') } }] },
    { [Op.or]: [{ max_uses: 0 }, literal('uses < max_uses')] },
  ],
};

/** The invite of `code` when it can still be used, else 404 `unknown_invite`. */
export async function findUsableInvite(
  rt: Pick<Runtime, 'models'>,
  code: string,
  transaction?: Transaction,
): Promise<Row<'Invite'>> {
  const invite = await rt.models.Invite.findByPk(code, { transaction });
  if (!invite || !usableInvite(invite)) throw new NotFoundError('invite');
  return invite;
}

/**
 * Joins `userId` to the server of invite `code` inside the caller's transaction, counting one use
 * atomically (so `max_uses` is never exceeded): 404 `unknown_invite` when it is not usable, 403
 * `banned`. An existing member uses nothing (`joined` false). announceJoin follows the commit.
 * Shared by POST /invites/{code} and invite-only registration.
 */
export async function joinThroughInvite(
  rt: Pick<Runtime, 'models' | 'sequelize' | 'redis' | 'config'>,
  code: string,
  userId: string,
  transaction: Transaction,
): Promise<{ serverId: string; joined: boolean }> {
  const invite = await findUsableInvite(rt, code, transaction);
  const serverId = invite.server_id;
  if (!(await addMember(rt, serverId, userId, transaction))) return { serverId, joined: false };
  const [count] = await rt.models.Invite.update(
    { uses: literal('uses + 1') },
    { where: { code: invite.code, ...usableInviteWhere }, transaction },
  );
  if (count === 0) throw new NotFoundError('invite');
  return { serverId, joined: true };
}
