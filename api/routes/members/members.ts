import Joi from 'joi';
import { Op } from 'sequelize';
import { diff, recordAudit, type AuditChange } from '../../../shared/audit.js';
import { ApiError, NotFoundError, ValidationError } from '../../../shared/errors.js';
import { rooms } from '../../../shared/events/index.js';
import { invalidate } from '../../../shared/domain/invalidation.js';
import { announceDeleted, deleteRecentMessagesOf } from '../../../shared/domain/messages/delete.js';
import { Permission, ServerPolicy, basePermissions, has } from '../../../shared/permissions/index.js';
import { permissionsChanged } from '../../../shared/permission-changes.js';
import { unixSeconds } from '../../../shared/presenters/time.js';
import { presentUser } from '../../../shared/presenters/user.js';
import type { Runtime } from '../../../shared/runtime.js';
import { enforceVoicePermissions } from '../../../shared/voice-chat/enforce.js';
import { snowflakeFromTimestamp } from '../../../shared/snowflake.js';
import {
  afterMemberRemoved,
  memberObject as loadMemberObject,
  presentMembers,
  requireMemberFacts,
  requireOutranks,
  requireUser,
  roleHierarchyError,
} from '../../servers/membership.js';
import { underServerEpoch } from '../../../shared/permissions/facts-cache.js';
import { auditReason } from '../audit-reason.js';
import { defineRoute, type AnyRoute } from '../route.js';
import { memberObject, serverParams } from '../roles/schema.js';
import { managedRoleError } from '../../applications/managed-roles.js';
import {
  MAX_TIMEOUT_SECONDS,
  banBody,
  banObject,
  banParams,
  listMembersQuery,
  memberParams,
  updateMemberBody,
  type BanBody,
  type ListQuery,
  type UpdateMemberBody,
} from './schema.js';

type ServerParams = { server_id: string };
type MemberParams = { server_id: string; user_id: string };

/** `@me` is the caller. */
const resolveUserId = (userId: string, callerId: string) => (userId === '@me' ? callerId : userId);

/** GET/PATCH/DELETE members (DELETE kicks, or leaves for `@me`), and PUT/DELETE/GET bans. */
export function memberRoutes(rt: Runtime): AnyRoute[] {
  const { Member, MemberRole, Role, Ban } = rt.models;

  return [
    defineRoute<ServerParams, ListQuery>({
      method: 'get',
      path: '/servers/{server_id}/members',
      access: 'user',
      summary: 'The server’s members, by user id ascending',
      tags: ['Members'],
      params: serverParams,
      query: listMembersQuery,
      responses: {
        200: { description: 'One page of members', schema: Joi.array().items(memberObject) },
        404: { description: 'Unknown server, or the caller is not a member' },
      },
      handler: async ({ params, query, auth }) => {
        await ServerPolicy.load(rt, params.server_id, auth.user.id);
        // Pages are cached under the server's epoch (member and role writes, and members' profile edits, move it).
        const page = await underServerEpoch(
          rt,
          params.server_id,
          `members:${query.after ?? ''}:${query.limit}`,
          async () => {
            const members = await Member.findAll({
              where: {
                server_id: params.server_id,
                ...(query.after !== undefined ? { user_id: { [Op.gt]: query.after } } : {}),
              },
              order: [['user_id', 'ASC']],
              limit: query.limit,
            });
            return presentMembers(rt, params.server_id, members);
          },
        );
        // A timeout that ran out since the page was cached is over.
        const now = Date.now() / 1000;
        return page.map((m) =>
          m.communication_disabled_until !== null && m.communication_disabled_until <= now
            ? { ...m, communication_disabled_until: null }
            : m,
        );
      },
    }),
    defineRoute<MemberParams>({
      method: 'get',
      path: '/servers/{server_id}/members/{user_id}',
      access: 'user',
      summary: 'One member (`@me` for the caller)',
      tags: ['Members'],
      params: memberParams,
      responses: {
        200: { description: 'The member', schema: memberObject },
        404: { description: 'Unknown server or member, or the caller is not a member' },
      },
      handler: async ({ params, auth }) => {
        await ServerPolicy.load(rt, params.server_id, auth.user.id);
        return loadMemberObject(rt, params.server_id, resolveUserId(params.user_id, auth.user.id));
      },
    }),
    defineRoute<MemberParams, Record<string, never>, UpdateMemberBody>({
      method: 'patch',
      path: '/servers/{server_id}/members/{user_id}',
      access: 'user',
      summary: 'Change a member’s nick, roles or timeout',
      description: [
        '`nick`: one’s own needs CHANGE_NICKNAME, someone else’s MANAGE_NICKNAMES.',
        '`roles` (the complete list): MANAGE_ROLES, and every added or removed role strictly below the caller’s highest;',
        'a bot’s managed role can be neither added nor removed (403 `managed_role`).',
        '`communication_disabled_until` (unix seconds, at most 28 days ahead; null ends it): MODERATE_MEMBERS;',
        'a timed-out member keeps only VIEW_CHANNEL and READ_MESSAGE_HISTORY.',
        'Except for one’s own nick and roles, the member’s highest role must be strictly below the caller’s;',
        'the owner is never edited by others. Audited as `member_update` (nick, roles) and `member_timeout`.',
      ].join(' '),
      tags: ['Members'],
      params: memberParams,
      body: updateMemberBody,
      responses: {
        200: { description: 'The member', schema: memberObject },
        400: { description: 'A timeout in the past or more than 28 days ahead' },
        403: { description: 'A missing permission (named), or the member or a role is not below the caller' },
        404: { description: 'Unknown server, member or role' },
      },
      handler: async ({ params, body, auth, req }) => {
        const serverId = params.server_id;
        const userId = resolveUserId(params.user_id, auth.user.id);
        const self = userId === auth.user.id;
        const policy = await ServerPolicy.load(rt, serverId, auth.user.id);
        const target = await requireMemberFacts(rt, serverId, userId);
        const member = await Member.findOne({ where: { server_id: serverId, user_id: userId } });
        if (!member) throw new NotFoundError('member');

        const newNick = body.nick === undefined ? undefined : body.nick || null;
        const nickChanges = newNick !== undefined && newNick !== member.nick;
        if (nickChanges) {
          if (self) policy.require(Permission.CHANGE_NICKNAME);
          else {
            policy.require(Permission.MANAGE_NICKNAMES);
            requireOutranks(policy, target);
          }
        }

        const currentRoles = target.roles.map((r) => r.id).sort();
        let added: string[] = [];
        let removed: string[] = [];
        if (body.roles !== undefined) {
          const wanted = new Set(body.roles.filter((id) => id !== serverId));
          added = [...wanted].filter((id) => !currentRoles.includes(id));
          removed = currentRoles.filter((id) => !wanted.has(id));
          if (added.length + removed.length > 0) {
            policy.require(Permission.MANAGE_ROLES);
            if (!self) requireOutranks(policy, target);
            const roles = await Role.findAll({ where: { server_id: serverId, id: [...added, ...removed] } });
            if (roles.length !== added.length + removed.length) throw new NotFoundError('role');
            if (roles.some((r) => r.managed_bot_id)) throw managedRoleError();
            if (roles.some((r) => !policy.outranksRole(r.position))) throw roleHierarchyError();
          }
        }

        let timeout: Date | null | undefined;
        if (body.communication_disabled_until !== undefined) {
          const until = body.communication_disabled_until;
          policy.require(Permission.MODERATE_MEMBERS);
          requireOutranks(policy, target);
          if (until !== null) {
            const now = Date.now();
            if (until * 1000 <= now || until * 1000 > now + (MAX_TIMEOUT_SECONDS + 60) * 1000) {
              throw new ValidationError({
                communication_disabled_until:
                  'communication_disabled_until must be in the future and at most 28 days ahead',
              });
            }
            if (has(basePermissions(target), Permission.ADMINISTRATOR)) {
              throw new ApiError(403, 'cannot_timeout_administrator', 'Administrators cannot be timed out');
            }
          }
          timeout = until === null ? null : new Date(until * 1000);
        }

        const rolesChange = added.length + removed.length > 0;
        const oldTimeout = unixSeconds(
          member.timeout_until && member.timeout_until.getTime() > Date.now() ? member.timeout_until : null,
        );
        const newTimeout = timeout === undefined ? oldTimeout : unixSeconds(timeout);
        await rt.sequelize.transaction(async (transaction) => {
          const reason = auditReason(req);
          const changes: AuditChange[] = [];
          if (nickChanges) changes.push(...diff({ nick: member.nick }, { nick: newNick }));
          if (rolesChange) {
            const newRoles = [...currentRoles.filter((id) => !removed.includes(id)), ...added].sort();
            changes.push({ key: 'roles', old: currentRoles, new: newRoles });
            if (removed.length > 0) {
              await MemberRole.destroy({
                where: { server_id: serverId, user_id: userId, role_id: removed },
                transaction,
              });
            }
            if (added.length > 0) {
              await MemberRole.bulkCreate(
                added.map((role_id) => ({ server_id: serverId, user_id: userId, role_id })),
                { transaction, ignoreDuplicates: true },
              );
            }
          }
          await member.update(
            {
              ...(nickChanges ? { nick: newNick } : {}),
              ...(timeout !== undefined ? { timeout_until: timeout } : {}),
            },
            { transaction },
          );
          await invalidate(rt, { servers: [serverId] }, transaction);
          if (changes.length > 0) {
            await recordAudit(
              rt,
              {
                serverId,
                actorId: auth.user.id,
                action: 'member_update',
                targetType: 'member',
                targetId: userId,
                changes,
                reason,
              },
              transaction,
            );
          }
          if (timeout !== undefined && newTimeout !== oldTimeout) {
            await recordAudit(
              rt,
              {
                serverId,
                actorId: auth.user.id,
                action: 'member_timeout',
                targetType: 'member',
                targetId: userId,
                changes: [{ key: 'communication_disabled_until', old: oldTimeout, new: newTimeout }],
                reason,
              },
              transaction,
            );
          }
        });
        const object = await loadMemberObject(rt, serverId, userId);
        await rt.events.dispatch([rooms.server(serverId)], 'SERVER_MEMBER_UPDATE', object);
        if (rolesChange) await permissionsChanged(rt, serverId, [userId], { announce: true });
        // A timeout leaves VIEW_CHANNEL (rooms stay) but takes CONNECT and SPEAK: live voice follows.
        else if (newTimeout !== oldTimeout) await enforceVoicePermissions(rt, serverId, [userId]);
        return object;
      },
    }),
    defineRoute<MemberParams>({
      method: 'delete',
      path: '/servers/{server_id}/members/{user_id}',
      access: 'user',
      summary: 'Kick a member (KICK_MEMBERS), or leave the server (`@me`)',
      description:
        'Kicking needs KICK_MEMBERS and a member whose highest role is strictly below the caller’s; the owner ' +
        'cannot be kicked and cannot leave (transfer or delete the server instead). Kicks are audited as `member_kick`.',
      tags: ['Members'],
      status: 204,
      params: memberParams,
      responses: {
        204: { description: 'Removed' },
        400: { description: '`owner_cannot_leave`' },
        403: { description: 'Missing KICK_MEMBERS, or the member is not below the caller' },
        404: { description: 'Unknown server or member, or the caller is not a member' },
      },
      handler: async ({ params, auth, req }) => {
        const serverId = params.server_id;
        const userId = resolveUserId(params.user_id, auth.user.id);
        const policy = await ServerPolicy.load(rt, serverId, auth.user.id);
        if (userId === auth.user.id) {
          if (policy.isOwner) {
            throw new ApiError(
              400,
              'owner_cannot_leave',
              'The owner cannot leave; transfer or delete the server',
            );
          }
          await Member.destroy({ where: { server_id: serverId, user_id: userId } });
          await invalidate(rt, { servers: [serverId] });
          await afterMemberRemoved(rt, serverId, auth.user);
          return;
        }
        policy.require(Permission.KICK_MEMBERS);
        const target = await requireMemberFacts(rt, serverId, userId);
        requireOutranks(policy, target);
        const user = await requireUser(rt, userId);
        await rt.sequelize.transaction(async (transaction) => {
          await Member.destroy({ where: { server_id: serverId, user_id: userId }, transaction });
          await invalidate(rt, { servers: [serverId] }, transaction);
          await recordAudit(
            rt,
            {
              serverId,
              actorId: auth.user.id,
              action: 'member_kick',
              targetType: 'member',
              targetId: userId,
              reason: auditReason(req),
            },
            transaction,
          );
        });
        await afterMemberRemoved(rt, serverId, user);
      },
    }),
    defineRoute<ServerParams, ListQuery>({
      method: 'get',
      path: '/servers/{server_id}/bans',
      access: 'user',
      summary: 'The server’s bans, by user id ascending (BAN_MEMBERS)',
      tags: ['Bans'],
      params: serverParams,
      query: listMembersQuery,
      responses: {
        200: { description: 'One page of bans', schema: Joi.array().items(banObject) },
        403: { description: 'Missing BAN_MEMBERS' },
        404: { description: 'Unknown server, or the caller is not a member' },
      },
      handler: async ({ params, query, auth }) => {
        const policy = await ServerPolicy.load(rt, params.server_id, auth.user.id);
        policy.require(Permission.BAN_MEMBERS);
        const bans = await Ban.findAll({
          where: {
            server_id: params.server_id,
            ...(query.after !== undefined ? { user_id: { [Op.gt]: query.after } } : {}),
          },
          order: [['user_id', 'ASC']],
          limit: query.limit,
        });
        const users = await rt.models.User.findAll({ where: { id: bans.map((b) => b.user_id) } });
        const byId = new Map(users.map((u) => [u.id, u]));
        return bans.flatMap((ban) => {
          const user = byId.get(ban.user_id);
          return user
            ? [
                {
                  user: presentUser(user),
                  reason: ban.reason ?? null,
                  created_at: unixSeconds(ban.created_at),
                },
              ]
            : [];
        });
      },
    }),
    defineRoute<MemberParams, Record<string, never>, BanBody>({
      method: 'put',
      path: '/servers/{server_id}/bans/{user_id}',
      access: 'user',
      summary: 'Ban a user (BAN_MEMBERS)',
      description:
        'Removes their membership, and with `delete_message_seconds` deletes their messages in this server from ' +
        'that many seconds back (up to 7 days), as a moderator’s bulk delete does: their unread mentions and thread ' +
        'counts follow, and each channel gets MESSAGE_DELETE_BULK (up to 100 ids each). A member must be strictly below the caller; the owner cannot be ' +
        'banned. Banned users cannot join by invite. Banning someone already banned changes nothing. Audited as ' +
        '`member_ban`; the ban’s reason is `reason`, or else the `X-Audit-Log-Reason` header.',
      tags: ['Bans'],
      status: 204,
      params: banParams,
      body: banBody,
      responses: {
        204: { description: 'Banned' },
        400: { description: '`cannot_target_self`' },
        403: { description: 'Missing BAN_MEMBERS, or the member is not below the caller' },
        404: { description: 'Unknown server or user' },
      },
      handler: async ({ params, body, auth, req }) => {
        const serverId = params.server_id;
        const userId = params.user_id;
        const policy = await ServerPolicy.load(rt, serverId, auth.user.id);
        policy.require(Permission.BAN_MEMBERS);
        if (userId === auth.user.id) throw new ApiError(400, 'cannot_target_self', 'You cannot ban yourself');
        const user = await requireUser(rt, userId);
        const isMember = (await Member.count({ where: { server_id: serverId, user_id: userId } })) > 0;
        if (isMember) requireOutranks(policy, await requireMemberFacts(rt, serverId, userId));
        const headerReason = auditReason(req);
        const reason = body.reason || headerReason;
        const result = await rt.sequelize.transaction(async (transaction) => {
          const [, created] = await Ban.findOrCreate({
            where: { server_id: serverId, user_id: userId },
            defaults: { server_id: serverId, user_id: userId, reason, banned_by: auth.user.id },
            transaction,
          });
          const removed =
            (await Member.destroy({ where: { server_id: serverId, user_id: userId }, transaction })) > 0;
          if (removed) await invalidate(rt, { servers: [serverId] }, transaction);
          // The same delete as a moderator's (counters, read states, thread counts), with the ban.
          const deleted =
            body.delete_message_seconds > 0
              ? await deleteRecentMessagesOf(
                  rt,
                  serverId,
                  userId,
                  snowflakeFromTimestamp(Date.now() - body.delete_message_seconds * 1000),
                  transaction,
                )
              : [];
          if (created) {
            await recordAudit(
              rt,
              {
                serverId,
                actorId: auth.user.id,
                action: 'member_ban',
                targetType: 'user',
                targetId: userId,
                changes:
                  body.delete_message_seconds > 0
                    ? [{ key: 'delete_message_seconds', new: body.delete_message_seconds }]
                    : [],
                reason: headerReason ?? (body.reason || null),
              },
              transaction,
            );
          }
          return { created, removed, deleted };
        });
        if (result.removed) await afterMemberRemoved(rt, serverId, user);
        if (result.created) {
          await rt.events.dispatch([rooms.server(serverId)], 'SERVER_BAN_ADD', {
            server_id: serverId,
            user: presentUser(user),
          });
        }
        for (const inChannel of result.deleted) await announceDeleted(rt, inChannel, 'bulk');
      },
    }),
    defineRoute<MemberParams>({
      method: 'delete',
      path: '/servers/{server_id}/bans/{user_id}',
      access: 'user',
      summary: 'Lift a ban (BAN_MEMBERS)',
      description: 'Audited as `member_unban`.',
      tags: ['Bans'],
      status: 204,
      params: banParams,
      responses: {
        204: { description: 'Unbanned' },
        403: { description: 'Missing BAN_MEMBERS' },
        404: { description: '`unknown_ban`, or unknown server' },
      },
      handler: async ({ params, auth, req }) => {
        const serverId = params.server_id;
        const policy = await ServerPolicy.load(rt, serverId, auth.user.id);
        policy.require(Permission.BAN_MEMBERS);
        const user = await rt.sequelize.transaction(async (transaction) => {
          const count = await Ban.destroy({
            where: { server_id: serverId, user_id: params.user_id },
            transaction,
          });
          if (count === 0) throw new NotFoundError('ban');
          await recordAudit(
            rt,
            {
              serverId,
              actorId: auth.user.id,
              action: 'member_unban',
              targetType: 'user',
              targetId: params.user_id,
              reason: auditReason(req),
            },
            transaction,
          );
          return requireUser(rt, params.user_id);
        });
        await rt.events.dispatch([rooms.server(serverId)], 'SERVER_BAN_REMOVE', {
          server_id: serverId,
          user: presentUser(user),
        });
      },
    }),
  ];
}
