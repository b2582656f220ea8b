import { Op, type Transaction } from 'sequelize';
import type { Row } from '../../db/models/index.js';
import { NotFoundError } from '../../errors.js';
import { presentMember, type MemberObject } from '../../presenters/role.js';
import type { Runtime } from '../../runtime.js';

/** Member objects for member rows of one server (one query per table, not per member). */
export async function presentMembers(
  rt: Pick<Runtime, 'models' | 'config'>,
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
    return user ? [presentMember(rt.config, m, user, rolesByUser.get(m.user_id) ?? [])] : [];
  });
}

/** One member object (as `transaction` sees it, if given), or 404 `unknown_member`. */
export async function memberObject(
  rt: Pick<Runtime, 'models' | 'config'>,
  serverId: string,
  userId: string,
  transaction?: Transaction,
): Promise<MemberObject> {
  const member = await rt.models.Member.findOne({
    where: { server_id: serverId, user_id: userId },
    transaction,
  });
  const [object] = member ? await presentMembers(rt, serverId, [member], transaction) : [];
  if (!object) throw new NotFoundError('member');
  return object;
}

/** The user row (locked in `transaction`, if given) or 404 `unknown_user`. */
export async function requireUser(
  rt: Pick<Runtime, 'models' | 'config'>,
  userId: string,
  transaction?: Transaction,
): Promise<Row<'User'>> {
  const user = await rt.models.User.findByPk(
    userId,
    transaction ? { transaction, lock: transaction.LOCK.UPDATE } : {},
  );
  if (!user) throw new NotFoundError('user');
  return user;
}
