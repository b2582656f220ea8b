import { Op } from 'sequelize';
import type { Row } from '../../db/models/index.js';
import { Permission, has, type ServerPolicy } from '../../permissions/index.js';
import { channelViewers } from '../../permissions/viewers.js';
import type { Runtime } from '../../runtime.js';

/** Any of these makes a member a moderator who triages the server's reports. */
export const MODERATOR_PERMISSIONS =
  Permission.KICK_MEMBERS | Permission.BAN_MEMBERS | Permission.MANAGE_MESSAGES | Permission.MODERATE_MEMBERS;

/** Whether the caller's server-wide permissions make them a moderator (the owner and admins are). */
export function isModerator(policy: ServerPolicy): boolean {
  return (policy.permissions & MODERATOR_PERMISSIONS) !== 0n;
}

/**
 * Who should hear about a server's report: members holding a moderator permission through a role
 * (or the owner), narrowed for a message report to those who can see its channel. Timeouts are not
 * looked at here: the routes check live permissions, this only decides who gets the event.
 */
export async function serverModerators(
  rt: Pick<Runtime, 'models'>,
  serverId: string,
  channel: Row<'Channel'> | null,
): Promise<string[]> {
  const { Role, Member, MemberRole, Server } = rt.models;
  const [server, roles] = await Promise.all([
    Server.findByPk(serverId),
    Role.findAll({ where: { server_id: serverId }, attributes: ['id', 'permissions'] }),
  ]);
  if (!server) return [];
  const modRoles = roles
    .filter((r) => {
      const perms = BigInt(r.permissions);
      return has(perms, Permission.ADMINISTRATOR) || (perms & MODERATOR_PERMISSIONS) !== 0n;
    })
    .map((r) => r.id);
  let ids: string[];
  if (modRoles.includes(serverId)) {
    // @everyone holds a moderator permission: every member moderates.
    ids = (await Member.findAll({ where: { server_id: serverId }, attributes: ['user_id'] })).map(
      (m) => m.user_id,
    );
  } else {
    const holders = await MemberRole.findAll({
      where: { server_id: serverId, role_id: { [Op.in]: modRoles } },
      attributes: ['user_id'],
    });
    ids = [...new Set([server.owner_id, ...holders.map((h) => h.user_id)])];
  }
  if (!channel) return ids;
  return [...(await channelViewers(rt, channel, ids))];
}

/** Instance admins (they see every report). */
export async function instanceAdmins(rt: Pick<Runtime, 'models'>): Promise<string[]> {
  const admins = await rt.models.User.findAll({
    where: { is_admin: true, disabled_at: null },
    attributes: ['id'],
  });
  return admins.map((a) => a.id);
}
