import Joi from 'joi';
import type { Transaction } from 'sequelize';
import { createInvite } from '../../../shared/domain/invites/create.js';
import { findUsableInvite, joinByInvite, usableInviteWhere } from '../../../shared/domain/invites/join.js';
import { revokeInvite } from '../../../shared/domain/invites/revoke.js';
import type { Row } from '../../../shared/db/models/index.js';
import { NotFoundError } from '../../../shared/errors.js';
import { Permission, ServerPolicy } from '../../../shared/permissions/index.js';
import { unixSeconds } from '../../../shared/presenters/time.js';
import { presentUser } from '../../../shared/presenters/user.js';
import { absoluteUrl } from '../../../shared/config/public-base.js';
import type { Runtime } from '../../../shared/runtime.js';
import { awaitFollowUps } from '../../messages/jobs.js';
import type { ApiServices } from '../../services.js';
import { joinedServer } from '../../servers/join.js';
import { auditReason } from '../audit-reason.js';
import { definePublicRoute, defineRoute, type AnyRoute } from '../route.js';
import { serverParams } from '../roles/schema.js';
import { serverObject } from '../servers/schema.js';
import {
  channelParams,
  createInviteBody,
  inviteObject,
  inviteParams,
  invitePreviewObject,
  type CreateInviteBody,
} from './schema.js';

/** POST /channels/{channel_id}/invites, GET/POST/DELETE /invites/{code}, GET /servers/{server_id}/invites. */
export function inviteRoutes(rt: Runtime, services: ApiServices): AnyRoute[] {
  const { Invite, Server, Channel, Member, User } = rt.models;

  const preview = async (invite: Row<'Invite'>, transaction?: Transaction) => {
    const [server, channel, memberCount] = await Promise.all([
      Server.findByPk(invite.server_id, { transaction }),
      Channel.findByPk(invite.channel_id, { transaction }),
      Member.count({ where: { server_id: invite.server_id }, transaction }),
    ]);
    if (!server || !channel) throw new NotFoundError('invite');
    return {
      code: invite.code,
      server: {
        id: server.id,
        name: server.name,
        description: server.description,
        icon_url: absoluteUrl(rt.config, server.icon_url),
        member_count: memberCount,
      },
      channel: { id: channel.id, name: channel.name, channel_type: channel.channel_type },
      expires_at: unixSeconds(invite.expires_at),
      max_uses: invite.max_uses,
      uses: invite.uses,
    };
  };

  const present = async (invite: Row<'Invite'>) => {
    const inviter = invite.inviter_id ? await User.findByPk(invite.inviter_id) : null;
    return {
      ...(await preview(invite)),
      inviter: inviter ? presentUser(rt.config, inviter) : null,
      max_age: invite.max_age,
      created_at: unixSeconds(invite.created_at),
    };
  };

  const findUsable = (code: string) => findUsableInvite(rt, code);

  return [
    defineRoute<{ channel_id: string }, Record<string, never>, CreateInviteBody>({
      method: 'post',
      path: '/channels/{channel_id}/invites',
      access: 'user',
      summary: 'Create an invite to a channel’s server (CREATE_INVITE in that channel)',
      description:
        'The code is 8-10 random letters and digits. `max_age` 0 never expires; `max_uses` 0 is unlimited. ' +
        'Audited as `invite_create`.',
      tags: ['Invites'],
      status: 201,
      params: channelParams,
      body: createInviteBody,
      responses: {
        201: { description: 'The invite', schema: inviteObject },
        400: { description: '`invalid_channel_type`: only text and voice channels take invites' },
        403: { description: 'Missing CREATE_INVITE' },
        404: { description: 'Unknown channel, or one the caller cannot see' },
      },
      handler: async ({ params, body, auth, req }) =>
        present(await createInvite(rt, params.channel_id, auth.user.id, body, auditReason(req))),
    }),
    definePublicRoute<{ code: string }>({
      method: 'get',
      path: '/invites/{code}',
      summary: 'Preview an invite (no token needed)',
      tags: ['Invites'],
      params: inviteParams,
      responses: {
        200: { description: 'What the invite leads to', schema: invitePreviewObject },
        404: { description: '`unknown_invite`: unknown, expired, revoked or used up' },
      },
      handler: async ({ params }) => preview(await findUsable(params.code)),
    }),
    defineRoute<{ code: string }>({
      method: 'post',
      path: '/invites/{code}',
      access: 'user',
      userOnly: true,
      summary: 'Join a server through an invite',
      description:
        'Idempotent: an existing member gets the server back without using the invite. A use is counted ' +
        'atomically, so `max_uses` is never exceeded. The new member’s connections join the server and ' +
        'the channels they can see (SERVER_CREATE to them, SERVER_MEMBER_ADD to the server), and a `member_join` ' +
        'system message is posted in the server’s first text channel.',
      tags: ['Invites'],
      params: inviteParams,
      responses: {
        200: {
          description: 'The server joined',
          schema: serverObject,
        },
        403: { description: '`banned`: the caller is banned from the server' },
        404: { description: '`unknown_invite`: unknown, expired, revoked or used up' },
      },
      handler: async ({ params, auth }) => {
        const { serverId, noticeJobId } = await joinByInvite(rt, params.code, auth.user.id);
        // The joiner's next read of the channel shows their member_join notice.
        await awaitFollowUps(rt, services, [noticeJobId], { server: serverId });
        return joinedServer(rt, serverId, 'invite');
      },
    }),
    defineRoute<{ code: string }>({
      method: 'delete',
      path: '/invites/{code}',
      access: 'user',
      summary: 'Revoke an invite (its creator, or MANAGE_SERVER)',
      description: 'Audited as `invite_delete`.',
      tags: ['Invites'],
      status: 204,
      params: inviteParams,
      responses: {
        204: { description: 'Revoked' },
        403: { description: 'Missing MANAGE_SERVER (and not the invite’s creator)' },
        404: { description: '`unknown_invite`, or the caller is not in its server' },
      },
      handler: ({ params, auth, req }) => revokeInvite(rt, params.code, auth.user.id, auditReason(req)),
    }),
    defineRoute<{ server_id: string }>({
      method: 'get',
      path: '/servers/{server_id}/invites',
      access: 'user',
      summary: 'The server’s usable invites (MANAGE_SERVER)',
      tags: ['Invites'],
      params: serverParams,
      responses: {
        200: { description: 'Usable invites, oldest first', schema: Joi.array().items(inviteObject) },
        403: { description: 'Missing MANAGE_SERVER' },
        404: { description: 'Unknown server, or the caller is not a member' },
      },
      handler: async ({ params, auth }) => {
        const policy = await ServerPolicy.load(rt, params.server_id, auth.user.id);
        policy.require(Permission.MANAGE_SERVER);
        const invites = await Invite.findAll({
          where: { server_id: params.server_id, ...usableInviteWhere },
          order: [
            ['created_at', 'ASC'],
            ['code', 'ASC'],
          ],
        });
        const out = [];
        for (const invite of invites) out.push(await present(invite));
        return out;
      },
    }),
  ];
}
