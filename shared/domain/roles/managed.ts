import { Op, type Transaction } from 'sequelize';
import type { Row } from '../../db/models/index.js';
import { ApiError } from '../../errors.js';
import { lockServer } from '../access.js';
import { rooms } from '../../events/index.js';
import type { Effects } from '../../outbox/index.js';
import { presentRole } from '../../presenters/role.js';
import type { Runtime } from '../../runtime.js';
import { decodeSnowflake } from '../../snowflake.js';
import { truncateText } from '../../text.js';

/** 403: a managed role belongs to its bot; nobody assigns, removes or deletes it by hand. */
export function managedRoleError(): ApiError {
  return new ApiError(
    403,
    'managed_role',
    'A bot’s managed role cannot be assigned, removed or deleted by hand: it goes when the bot leaves',
  );
}

/**
 * Creates the bot's managed role in the caller's command (named after its application, with
 * `permissions`) at position 1 like any new role, and gives it to the bot, which must already be a
 * member. The server hears ROLE_CREATE and ROLE_UPDATE for the roles that moved up.
 */
export async function createManagedRole(
  rt: Pick<Runtime, 'models' | 'snowflake'>,
  input: { serverId: string; botUserId: string; name: string; permissions: bigint },
  transaction: Transaction,
  fx: Effects,
): Promise<Row<'Role'>> {
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
      name: truncateText(input.name, 100),
      permissions: String(input.permissions),
      position: 1,
      managed_bot_id: input.botUserId,
      created_at: new Date(decodeSnowflake(id).timestampMs),
    },
    { transaction },
  );
  await MemberRole.create({ server_id: serverId, user_id: input.botUserId, role_id: id }, { transaction });
  fx.invalidate({ servers: [serverId] });
  const room = rooms.server(serverId);
  fx.dispatch([room], 'ROLE_CREATE', presentRole(role));
  for (const r of shifted) fx.dispatch([room], 'ROLE_UPDATE', presentRole(await r.reload({ transaction })));
  return role;
}

/**
 * In the command by which a bot left a server (kicked, banned, left, or its application deleted):
 * its managed role there goes too, the roles above move down one, and the server hears
 * ROLE_DELETE / ROLE_UPDATE. Nobody else holds a managed role, so no one's channel rooms change.
 */
export async function removeManagedRole(
  rt: Pick<Runtime, 'models'>,
  serverId: string,
  botUserId: string,
  transaction: Transaction,
  fx: Effects,
): Promise<void> {
  const { Role } = rt.models;
  const server = await rt.models.Server.findByPk(serverId, { transaction, lock: transaction.LOCK.UPDATE });
  if (!server) return;
  const role = await Role.findOne({ where: { server_id: serverId, managed_bot_id: botUserId }, transaction });
  if (!role) return;
  const above = { server_id: serverId, position: { [Op.gt]: role.position } };
  const shifted = await Role.findAll({ where: above, transaction });
  await role.destroy({ transaction });
  await Role.decrement('position', { by: 1, where: above, transaction });
  fx.invalidate({ servers: [serverId] });
  const room = rooms.server(serverId);
  fx.dispatch([room], 'ROLE_DELETE', { id: role.id, server_id: serverId });
  for (const r of shifted) fx.dispatch([room], 'ROLE_UPDATE', presentRole(await r.reload({ transaction })));
}
