import Joi from 'joi';
import {
  createRole,
  deleteRole,
  listRoles,
  reorderRoles,
  setMemberRole,
  updateRole,
  type RoleFields,
  type RolePosition,
} from '../../../shared/domain/roles/roles.js';
import { ServerPolicy } from '../../../shared/permissions/index.js';
import { presentRole } from '../../../shared/presenters/role.js';
import { wholeOrPage, type PageQuery } from '../../../shared/pagination.js';
import type { Runtime } from '../../../shared/runtime.js';
import { auditReason } from '../audit-reason.js';
import { badPageResponse, wholeListQuery } from '../common-schemas.js';
import { defineRoute, type AnyRoute } from '../route.js';
import {
  createRoleBody,
  memberRoleParams,
  reorderRolesBody,
  roleObject,
  roleParams,
  serverParams,
  updateRoleBody,
} from './schema.js';

type ServerParams = { server_id: string };
type RoleParams = { server_id: string; role_id: string };
type MemberRoleParams = { server_id: string; user_id: string; role_id: string };

/**
 * GET/POST /servers/{server_id}/roles, PATCH (bulk positions), PATCH/DELETE one role, and
 * PUT/DELETE /servers/{server_id}/members/{user_id}/roles/{role_id}.
 */
export function roleRoutes(rt: Runtime): AnyRoute[] {
  return [
    defineRoute<ServerParams, Partial<PageQuery>>({
      method: 'get',
      path: '/servers/{server_id}/roles',
      access: 'user',
      summary: 'The server’s roles, ordered by position (then id)',
      description:
        'The whole list by default: positions only mean something among all the roles. With any of ' +
        '`limit`, `before` or `after`, one page by role id instead, as API.md pages every list (newest ' +
        'first with `before` or with neither, oldest first with `after`; `limit` 1-100, default 50).',
      tags: ['Roles'],
      params: serverParams,
      query: wholeListQuery,
      responses: {
        200: {
          description: 'Every role, @everyone (position 0) first; or one page by id',
          schema: Joi.array().items(roleObject),
        },
        400: badPageResponse,
        404: { description: 'Unknown server, or the caller is not a member' },
      },
      handler: async ({ params, auth, query }) => {
        await ServerPolicy.load(rt, params.server_id, auth.user.id);
        return wholeOrPage(await listRoles(rt, params.server_id), (r) => r.id, query).map(presentRole);
      },
    }),
    defineRoute<ServerParams, Record<string, never>, RoleFields>({
      method: 'post',
      path: '/servers/{server_id}/roles',
      access: 'user',
      summary: 'Create a role (MANAGE_ROLES)',
      description:
        'The new role goes to position 1 (just above @everyone); the others move up one. The caller may ' +
        'grant only permissions they have. Audited as `role_create` (reason: `X-Audit-Log-Reason`).',
      tags: ['Roles'],
      status: 201,
      params: serverParams,
      body: createRoleBody,
      responses: {
        201: { description: 'The new role', schema: roleObject },
        403: { description: 'Missing MANAGE_ROLES, or granting a permission the caller lacks (named)' },
        404: { description: 'Unknown server, or the caller is not a member' },
      },
      handler: ({ params, body, auth, req }) =>
        createRole(rt, {
          serverId: params.server_id,
          actorId: auth.user.id,
          reason: auditReason(req),
          fields: body,
        }),
    }),
    defineRoute<ServerParams, Record<string, never>, RolePosition[]>({
      method: 'patch',
      path: '/servers/{server_id}/roles',
      access: 'user',
      summary: 'Reorder roles (MANAGE_ROLES)',
      description:
        'Body: `[{id, position}]`. Moves the listed roles to those positions (1 is just above @everyone) ' +
        'and renumbers the rest to keep their order. Only roles strictly below the caller’s highest role ' +
        'may move, and only to positions below it. Each moved role is audited as `role_update`.',
      tags: ['Roles'],
      params: serverParams,
      // The body is an array; validation and the OpenAPI document take any joi schema.
      body: reorderRolesBody as unknown as Joi.ObjectSchema<RolePosition[]>,
      responses: {
        200: { description: 'Every role, in the new order', schema: Joi.array().items(roleObject) },
        400: { description: '@everyone listed, or two roles given the same position' },
        403: { description: 'Missing MANAGE_ROLES, or a role or position at or above the caller’s highest' },
        404: { description: 'Unknown server or role' },
      },
      handler: ({ params, body, auth, req }) =>
        reorderRoles(rt, {
          serverId: params.server_id,
          actorId: auth.user.id,
          reason: auditReason(req),
          positions: body,
        }),
    }),
    defineRoute<RoleParams, Record<string, never>, RoleFields>({
      method: 'patch',
      path: '/servers/{server_id}/roles/{role_id}',
      access: 'user',
      summary: 'Edit a role (MANAGE_ROLES, only below the caller’s highest role)',
      description:
        'The caller cannot add permissions they lack (the owner and administrators have them all). ' +
        '@everyone (id = server id) may have its permissions edited but not its name. Audited as `role_update` ' +
        'with each changed field’s old and new value.',
      tags: ['Roles'],
      params: roleParams,
      body: updateRoleBody,
      responses: {
        200: { description: 'The role', schema: roleObject },
        400: { description: 'Renaming @everyone' },
        403: {
          description:
            'Missing MANAGE_ROLES or a granted permission (named), or the role is not below the caller',
        },
        404: { description: 'Unknown server or role' },
      },
      handler: ({ params, body, auth, req }) =>
        updateRole(rt, {
          serverId: params.server_id,
          actorId: auth.user.id,
          reason: auditReason(req),
          roleId: params.role_id,
          fields: body,
        }),
    }),
    defineRoute<RoleParams>({
      method: 'delete',
      path: '/servers/{server_id}/roles/{role_id}',
      access: 'user',
      summary: 'Delete a role (MANAGE_ROLES, only below the caller’s highest role)',
      description: 'Roles above it move down one. @everyone cannot be deleted. Audited as `role_delete`.',
      tags: ['Roles'],
      status: 204,
      params: roleParams,
      responses: {
        204: { description: 'Deleted' },
        400: { description: '`cannot_delete_everyone`' },
        403: {
          description:
            'Missing MANAGE_ROLES, the role is not below the caller, or `managed_role`: a bot’s role (it goes with the bot)',
        },
        404: { description: 'Unknown server or role' },
      },
      handler: ({ params, auth, req }) =>
        deleteRole(rt, {
          serverId: params.server_id,
          actorId: auth.user.id,
          reason: auditReason(req),
          roleId: params.role_id,
        }),
    }),
    ...(['put', 'delete'] as const).map((method) =>
      defineRoute<MemberRoleParams>({
        method,
        path: '/servers/{server_id}/members/{user_id}/roles/{role_id}',
        access: 'user',
        summary:
          method === 'put'
            ? 'Give a member a role (MANAGE_ROLES)'
            : 'Take a role from a member (MANAGE_ROLES)',
        description:
          'The role must be strictly below the caller’s highest role, and so must the member’s highest role ' +
          '(a member may manage their own roles below their highest). @everyone cannot be assigned or removed. ' +
          `Idempotent. Audited as \`${method === 'put' ? 'member_role_add' : 'member_role_remove'}\`.`,
        tags: ['Roles'],
        status: 204,
        params: memberRoleParams,
        responses: {
          204: { description: 'Done (also when nothing changed)' },
          400: { description: '`cannot_assign_everyone`' },
          403: {
            description:
              'Missing MANAGE_ROLES, the role or member is not below the caller, or `managed_role`: a bot’s role',
          },
          404: { description: 'Unknown server, member or role' },
        },
        handler: ({ params, auth, req }) =>
          setMemberRole(rt, {
            serverId: params.server_id,
            actorId: auth.user.id,
            reason: auditReason(req),
            userId: params.user_id,
            roleId: params.role_id,
            add: method === 'put',
          }),
      }),
    ),
  ];
}
