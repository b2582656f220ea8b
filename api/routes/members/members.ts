import Joi from 'joi';
import { banUser, unbanUser } from '../../../shared/domain/bans/ban.js';
import { removeMember } from '../../../shared/domain/members/remove.js';
import { updateMember } from '../../../shared/domain/members/update.js';
import { pageBy } from '../../../shared/pagination.js';
import { Permission, ServerPolicy } from '../../../shared/permissions/index.js';
import { unixSeconds } from '../../../shared/presenters/time.js';
import { presentUser } from '../../../shared/presenters/user.js';
import { publicBase } from '../../../shared/config/public-base.js';
import type { Runtime } from '../../../shared/runtime.js';
import { memberObject as loadMemberObject, presentMembers } from '../../servers/membership.js';
import { underServerEpoch } from '../../../shared/permissions/facts-cache.js';
import { auditReason } from '../audit-reason.js';
import { defineRoute, type AnyRoute } from '../route.js';
import { memberObject, serverParams } from '../roles/schema.js';
import {
  banBody,
  banObject,
  banParams,
  listMembersQuery,
  memberParams,
  requestedTimeout,
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
  const { Member, Ban } = rt.models;

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
        // Pages are cached under the server's epoch (member and role writes, and members' profile edits, move it),
        // and under the origin their avatar URLs were made absolute with (shared Redis, another config).
        const page = await underServerEpoch(
          rt,
          params.server_id,
          `members:${publicBase(rt.config)}:${query.after ?? ''}:${query.limit}`,
          async () => {
            const page = pageBy('user_id', query, 'ASC');
            const members = await Member.findAll({
              where: { server_id: params.server_id, ...page.where },
              order: page.order,
              limit: page.limit,
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
        '`communication_disabled_until` (unix seconds or an ISO 8601 date, at most 28 days ahead; null ends it;',
        'also spelled `timeout_until`, or `timeout` in seconds from now): MODERATE_MEMBERS;',
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
      handler: ({ params, body, auth, req }) =>
        updateMember(rt, {
          serverId: params.server_id,
          actorId: auth.user.id,
          userId: resolveUserId(params.user_id, auth.user.id),
          changes: {
            nick: body.nick,
            roles: body.roles,
            communication_disabled_until: requestedTimeout(body),
          },
          reason: auditReason(req),
        }),
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
      handler: ({ params, auth, req }) =>
        removeMember(rt, {
          serverId: params.server_id,
          actorId: auth.user.id,
          userId: resolveUserId(params.user_id, auth.user.id),
          reason: auditReason(req),
        }),
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
        const page = pageBy('user_id', query, 'ASC');
        const bans = await Ban.findAll({
          where: { server_id: params.server_id, ...page.where },
          order: page.order,
          limit: page.limit,
        });
        const users = await rt.models.User.findAll({ where: { id: bans.map((b) => b.user_id) } });
        const byId = new Map(users.map((u) => [u.id, u]));
        return bans.flatMap((ban) => {
          const user = byId.get(ban.user_id);
          return user
            ? [
                {
                  user: presentUser(rt.config, user),
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
      handler: ({ params, body, auth, req }) =>
        banUser(rt, {
          serverId: params.server_id,
          actorId: auth.user.id,
          userId: params.user_id,
          deleteMessageSeconds: body.delete_message_seconds ?? (body.delete_message_days ?? 0) * 86_400,
          reason: body.reason,
          auditReason: auditReason(req),
        }),
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
      handler: ({ params, auth, req }) =>
        unbanUser(rt, {
          serverId: params.server_id,
          actorId: auth.user.id,
          userId: params.user_id,
          reason: auditReason(req),
        }),
    }),
  ];
}
