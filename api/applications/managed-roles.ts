import { Op, type Transaction } from 'sequelize';
import type { Row } from '../../shared/db/models/index.js';
import { ApiError, NotFoundError } from '../../shared/errors.js';
import { rooms } from '../../shared/events/index.js';
import { presentRole } from '../../shared/presenters/role.js';
import type { Runtime } from '../../shared/runtime.js';
import { decodeSnowflake } from '../../shared/snowflake.js';
import { invalidate } from '../../shared/domain/invalidation.js';

/** 403: a managed role belongs to its bot; nobody assigns, removes or deletes it by hand. */
export function managedRoleError(): ApiError {
  return new ApiError(
    403,
    'managed_role',
    'A bot’s managed role cannot be assigned, removed or deleted by hand: it goes when the bot leaves',
  );
}

/** Holds the server row so position changes of its roles never interleave (as the roles routes do). */
async function lockServer(rt: Pick<Runtime, 'models'>, serverId: string, transaction: Transaction) {
  const server = await rt.models.Server.findByPk(serverId, { transaction, lock: transaction.LOCK.UPDATE });
  if (!server) throw new NotFoundError('server');
}

/**
 * Creates the bot's managed role in the caller's transaction (named after its application, with
 * `permissions`) at position 1 like any new role, and gives it to the bot, which must already be a
 * member. Returns the role and the roles that moved up (for ROLE_UPDATE after the commit).
 */
export async function createManagedRole(
  rt: Pick<Runtime, 'models' | 'snowflake' | 'redis' | 'config'>,
  input: { serverId: string; botUserId: string; name: string; permissions: bigint },
  transaction: Transaction,
): Promise<{ role: Row<'Role'>; shifted: Row<'Role'>[] }> {
  const { Role, MemberRole } = rt.models;
  const { serverId } = input;
  await lockServer(rt, serverId, transaction);
  const above = { server_id: serverId, id: { [Op.ne]: serverId }, position: { [Op.gte]: 1 } };
  const shifted = await Role.findAll({ where: above, transaction });
  await Role.increment('position', { by: 1, where: above, transaction });
  const id = rt.snowflake.next();
  const role = await Role.create(
    {
      id,
      server_id: serverId,
      name: input.name.slice(0, 100),
      permissions: String(input.permissions),
      position: 1,
      managed_bot_id: input.botUserId,
      created_at: new Date(decodeSnowflake(id).timestampMs),
    },
    { transaction },
  );
  await MemberRole.create({ server_id: serverId, user_id: input.botUserId, role_id: id }, { transaction });
  await invalidate(rt, { servers: [serverId] }, transaction);
  for (const r of shifted) await r.reload({ transaction });
  return { role, shifted };
}

/** Tells the server about a new managed role and the roles it pushed up. */
export async function announceManagedRole(
  rt: Pick<Runtime, 'events'>,
  created: { role: Row<'Role'>; shifted: Row<'Role'>[] },
): Promise<void> {
  const room = rooms.server(created.role.server_id);
  await rt.events.dispatch([room], 'ROLE_CREATE', presentRole(created.role));
  for (const r of created.shifted) await rt.events.dispatch([room], 'ROLE_UPDATE', presentRole(r));
}

/**
 * After a bot left a server (kicked, banned, left, or its application deleted): its managed role
 * there goes too, the roles above move down one, and the server hears ROLE_DELETE / ROLE_UPDATE.
 * Nobody else holds a managed role, so no one's channel rooms change.
 */
export async function removeManagedRole(
  rt: Pick<Runtime, 'models' | 'sequelize' | 'events' | 'redis' | 'config'>,
  serverId: string,
  botUserId: string,
): Promise<void> {
  const { Role } = rt.models;
  const removed = await rt.sequelize.transaction(async (transaction) => {
    const server = await rt.models.Server.findByPk(serverId, { transaction, lock: transaction.LOCK.UPDATE });
    if (!server) return null;
    const role = await Role.findOne({
      where: { server_id: serverId, managed_bot_id: botUserId },
      transaction,
    });
    if (!role) return null;
    const above = { server_id: serverId, position: { [Op.gt]: role.position } };
    const shifted = await Role.findAll({ where: above, transaction });
    await role.destroy({ transaction });
    await Role.decrement('position', { by: 1, where: above, transaction });
    await invalidate(rt, { servers: [serverId] }, transaction);
    for (const r of shifted) await r.reload({ transaction });
    return { role, shifted };
  });
  if (!removed) return;
  const room = rooms.server(serverId);
  await rt.events.dispatch([room], 'ROLE_DELETE', { id: removed.role.id, server_id: serverId });
  for (const r of removed.shifted) await rt.events.dispatch([room], 'ROLE_UPDATE', presentRole(r));
}
