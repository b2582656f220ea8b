import type { Transaction } from 'sequelize';
import type { Attributes, Row } from '../db/models/index.js';
import { rooms } from '../events/index.js';
import type { Runtime } from '../runtime.js';
import { Permission, has } from './bits.js';
import { channelPermissions, type MemberFacts } from './compute.js';
import { loadAll, permissionSourceId, privateThreadGate, toOverwrites } from './policy.js';

/**
 * Which of `candidates` may view `channel` (all members of its server when `candidates` is
 * 'everyone'): recipients for a DM or notes channel; for a server channel, members with
 * VIEW_CHANNEL there (a thread: in its parent; a private thread: its members and those who may
 * manage threads). One query per table, however many users: the messages worker asks this for
 * every mention, @everyone included. In `transaction`: as a command sees it before its commit.
 */
export async function channelViewers(
  rt: Pick<Runtime, 'models'>,
  channel: Attributes<'Channel'>,
  candidates: string[] | 'everyone',
  transaction?: Transaction,
): Promise<Set<string>> {
  const { models } = rt;
  if (candidates !== 'everyone' && candidates.length === 0) return new Set();
  const byUser = candidates === 'everyone' ? {} : { user_id: candidates };
  if (channel.server_id === null) {
    const rows = await models.ChannelRecipient.findAll({
      where: { channel_id: channel.id, ...byUser },
      transaction,
    });
    return new Set(rows.map((r) => r.user_id));
  }
  const serverId = channel.server_id;
  const source = permissionSourceId(channel);
  if (source === null) return new Set();
  const [server, roles, members, memberRoles, overwriteRows] = await loadAll(transaction, [
    () => models.Server.findByPk(serverId, { transaction }),
    () =>
      models.Role.findAll({ where: { server_id: serverId }, attributes: ['id', 'permissions'], transaction }),
    () => models.Member.findAll({ where: { server_id: serverId, ...byUser }, transaction }),
    () => models.MemberRole.findAll({ where: { server_id: serverId, ...byUser }, transaction }),
    () => models.PermissionOverwrite.findAll({ where: { channel_id: source }, transaction }),
  ]);
  if (!server) return new Set();
  const rolePermissions = new Map(roles.map((r) => [r.id, BigInt(r.permissions)]));
  const rolesOf = new Map<string, string[]>();
  for (const mr of memberRoles) rolesOf.set(mr.user_id, [...(rolesOf.get(mr.user_id) ?? []), mr.role_id]);
  const overwrites = toOverwrites(overwriteRows);
  const threadMembers = new Set(
    channel.channel_type === 'private_thread'
      ? (
          await models.ThreadMember.findAll({
            where: { thread_id: channel.id, ...byUser },
            attributes: ['user_id'],
            transaction,
          })
        ).map((m) => m.user_id)
      : [],
  );
  const viewers = new Set<string>();
  for (const member of members) {
    const facts: MemberFacts = {
      userId: member.user_id,
      serverId,
      ownerId: server.owner_id,
      everyone: rolePermissions.get(serverId) ?? 0n,
      roles: (rolesOf.get(member.user_id) ?? []).flatMap((id) => {
        const permissions = rolePermissions.get(id);
        return permissions !== undefined && id !== serverId ? [{ id, permissions }] : [];
      }),
      timeoutUntil: member.timeout_until,
    };
    const permissions = privateThreadGate(
      channel,
      channelPermissions(facts, overwrites),
      threadMembers.has(member.user_id),
    );
    if (has(permissions, Permission.VIEW_CHANNEL)) viewers.add(member.user_id);
  }
  return viewers;
}

/**
 * The room of those who see a thread: its parent's for a public thread (its viewers are the
 * parent's), its own for a private one (its members and moderators, who alone are in it).
 */
export function threadAudienceRoom(
  thread: Pick<Row<'Channel'>, 'id' | 'channel_type' | 'parent_id'>,
): string {
  return rooms.channel(
    thread.channel_type === 'private_thread' || !thread.parent_id ? thread.id : thread.parent_id,
  );
}
