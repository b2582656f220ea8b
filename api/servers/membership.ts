import { Op, type Transaction } from 'sequelize';
import type { Row } from '../../shared/db/models/index.js';
import { NotFoundError } from '../../shared/errors.js';
import { rooms } from '../../shared/events/index.js';
import { queueOutgoingEvent, type OutgoingRuntime } from '../../shared/integrations/outgoing-events.js';
import { presentMember, type MemberObject } from '../../shared/presenters/role.js';
import { presentUser } from '../../shared/presenters/user.js';
import { leaveVoiceInServer } from '../../shared/voice-chat/join.js';
import type { Runtime } from '../../shared/runtime.js';
import { removeManagedRole } from '../applications/managed-roles.js';

// The hierarchy checks live in the policy layer (voice moderation and AutoMod use them too).
export {
  memberHierarchyError,
  requireMemberFacts,
  requireOutranks,
  roleHierarchyError,
} from '../../shared/permissions/index.js';

/** Member objects for member rows of one server (one query per table, not per member). */
export async function presentMembers(
  rt: Pick<Runtime, 'models'>,
  serverId: string,
  members: Row<'Member'>[],
  transaction?: Transaction,
): Promise<MemberObject[]> {
  if (members.length === 0) return [];
  const userIds = members.map((m) => m.user_id);
  const [users, memberRoles] = await Promise.all([
    rt.models.User.findAll({ where: { id: userIds }, transaction }),
    rt.models.MemberRole.findAll({
      where: { server_id: serverId, user_id: userIds, role_id: { [Op.ne]: serverId } },
      order: [['role_id', 'ASC']],
      transaction,
    }),
  ]);
  const usersById = new Map(users.map((u) => [u.id, u]));
  const rolesByUser = new Map<string, string[]>();
  for (const mr of memberRoles) {
    const list = rolesByUser.get(mr.user_id) ?? [];
    list.push(mr.role_id);
    rolesByUser.set(mr.user_id, list);
  }
  return members.flatMap((m) => {
    const user = usersById.get(m.user_id);
    return user ? [presentMember(m, user, rolesByUser.get(m.user_id) ?? [])] : [];
  });
}

/** One member object, or 404 `unknown_member`. */
export async function memberObject(
  rt: Pick<Runtime, 'models'>,
  serverId: string,
  userId: string,
): Promise<MemberObject> {
  const member = await rt.models.Member.findOne({ where: { server_id: serverId, user_id: userId } });
  const [object] = member ? await presentMembers(rt, serverId, [member]) : [];
  if (!object) throw new NotFoundError('member');
  return object;
}

/**
 * After a member left the server (kick, ban, leave): takes them out of its voice channels, tells
 * the server (and the user's own connections) and takes the user's connections out of the
 * server's rooms at once. A bot's
 * managed role there goes with it.
 */
export async function afterMemberRemoved(
  rt: Pick<Runtime, 'models' | 'events' | 'sequelize'> & OutgoingRuntime,
  serverId: string,
  user: Row<'User'>,
): Promise<void> {
  // Out of its voice channels first: a kicked or banned member must stop hearing them at once.
  await leaveVoiceInServer(rt, serverId, user.id);
  const removed = { server_id: serverId, user: presentUser(user) };
  await rt.events.dispatch([rooms.server(serverId), rooms.user(user.id)], 'SERVER_MEMBER_REMOVE', removed);
  await queueOutgoingEvent(rt, { type: 'SERVER_MEMBER_REMOVE', server_id: serverId, data: removed });
  const channels = await rt.models.Channel.findAll({ where: { server_id: serverId }, attributes: ['id'] });
  await rt.events.leaveRooms(rooms.user(user.id), [
    rooms.server(serverId),
    ...channels.map((c) => rooms.channel(c.id)),
  ]);
  if (user.is_bot) await removeManagedRole(rt, serverId, user.id);
}

/** The user row or 404 `unknown_user`. */
export async function requireUser(rt: Pick<Runtime, 'models'>, userId: string): Promise<Row<'User'>> {
  const user = await rt.models.User.findByPk(userId);
  if (!user) throw new NotFoundError('user');
  return user;
}
