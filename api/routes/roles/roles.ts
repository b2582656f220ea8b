import Joi from 'joi';
import { Op, type Transaction } from 'sequelize';
import { diff, recordAudit } from '../../../shared/audit.js';
import type { Row } from '../../../shared/db/models/index.js';
import { ApiError, MissingPermissionError, NotFoundError, ValidationError } from '../../../shared/errors.js';
import { rooms } from '../../../shared/events/index.js';
import { Permission, ServerPolicy, permissionNames } from '../../../shared/permissions/index.js';
import { permissionsChanged } from '../../../shared/permission-changes.js';
import { presentRole } from '../../../shared/presenters/role.js';
import type { Runtime } from '../../../shared/runtime.js';
import { decodeSnowflake } from '../../../shared/snowflake.js';
import { invalidate } from '../../../shared/domain/invalidation.js';
import {
  memberObject as loadMemberObject,
  requireMemberFacts,
  requireOutranks,
  roleHierarchyError,
} from '../../servers/membership.js';
import { managedRoleError } from '../../../shared/domain/roles/managed.js';
import { auditReason } from '../audit-reason.js';
import { defineRoute, type AnyRoute } from '../route.js';
import {
  createRoleBody,
  memberRoleParams,
  reorderRolesBody,
  roleObject,
  roleParams,
  serverParams,
  updateRoleBody,
  type RoleFields,
  type RolePosition,
} from './schema.js';

type ServerParams = { server_id: string };
type RoleParams = { server_id: string; role_id: string };
type MemberRoleParams = { server_id: string; user_id: string; role_id: string };

/** The fields of a role that the audit log tracks. */
function auditFields(role: Row<'Role'>): Record<string, unknown> {
  const { name, permissions, position, color, hoist, mentionable } = presentRole(role);
  return { name, permissions, position, color, hoist, mentionable };
}

/** 403 naming the bits of `bits` the caller does not have (nobody grants what they lack). */
export function requireGrantable(policy: ServerPolicy, bits: bigint): void {
  const missing = bits & ~policy.permissions;
  if (missing !== 0n) throw new MissingPermissionError(permissionNames(missing).join(', '));
}

/** A role of the server, or 404 `unknown_role`. */
async function findRole(rt: Runtime, serverId: string, roleId: string, transaction?: Transaction) {
  const role = await rt.models.Role.findOne({ where: { id: roleId, server_id: serverId }, transaction });
  if (!role) throw new NotFoundError('role');
  return role;
}

/** Holds the server row so position changes of its roles never interleave. */
async function lockServer(rt: Runtime, serverId: string, transaction: Transaction): Promise<void> {
  const server = await rt.models.Server.findByPk(serverId, { transaction, lock: transaction.LOCK.UPDATE });
  if (!server) throw new NotFoundError('server');
}

/** Who holds a role (every member for @everyone). */
async function holders(rt: Runtime, serverId: string, roleId: string): Promise<string[]> {
  if (roleId === serverId) {
    return (await rt.models.Member.findAll({ where: { server_id: serverId }, attributes: ['user_id'] })).map(
      (m) => m.user_id,
    );
  }
  return (
    await rt.models.MemberRole.findAll({
      where: { server_id: serverId, role_id: roleId },
      attributes: ['user_id'],
    })
  ).map((m) => m.user_id);
}

const listRoles = (rt: Runtime, serverId: string, transaction?: Transaction) =>
  rt.models.Role.findAll({
    where: { server_id: serverId },
    order: [
      ['position', 'ASC'],
      ['id', 'ASC'],
    ],
    transaction,
  });

/**
 * GET/POST /servers/{server_id}/roles, PATCH (bulk positions), PATCH/DELETE one role, and
 * PUT/DELETE /servers/{server_id}/members/{user_id}/roles/{role_id}.
 */
export function roleRoutes(rt: Runtime): AnyRoute[] {
  const { Role, MemberRole } = rt.models;
  const dispatchUpdated = async (serverId: string, roles: Row<'Role'>[]) => {
    for (const role of roles)
      await rt.events.dispatch([rooms.server(serverId)], 'ROLE_UPDATE', presentRole(role));
  };

  return [
    defineRoute<ServerParams>({
      method: 'get',
      path: '/servers/{server_id}/roles',
      access: 'user',
      summary: 'The server’s roles, ordered by position (then id)',
      tags: ['Roles'],
      params: serverParams,
      responses: {
        200: {
          description: 'Every role, @everyone (position 0) first',
          schema: Joi.array().items(roleObject),
        },
        404: { description: 'Unknown server, or the caller is not a member' },
      },
      handler: async ({ params, auth }) => {
        await ServerPolicy.load(rt, params.server_id, auth.user.id);
        return (await listRoles(rt, params.server_id)).map(presentRole);
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
      handler: async ({ params, body, auth, req }) => {
        const serverId = params.server_id;
        const policy = await ServerPolicy.load(rt, serverId, auth.user.id);
        policy.require(Permission.MANAGE_ROLES);
        const permissions = BigInt(body.permissions ?? '0');
        requireGrantable(policy, permissions);
        const { role, shifted } = await rt.sequelize.transaction(async (transaction) => {
          await lockServer(rt, serverId, transaction);
          const others = await Role.findAll({
            where: { server_id: serverId, id: { [Op.ne]: serverId }, position: { [Op.gte]: 1 } },
            transaction,
          });
          await Role.increment('position', {
            by: 1,
            where: { server_id: serverId, id: { [Op.ne]: serverId }, position: { [Op.gte]: 1 } },
            transaction,
          });
          await invalidate(rt, { servers: [serverId] }, transaction);
          const id = rt.snowflake.next();
          const created = await Role.create(
            {
              id,
              server_id: serverId,
              name: body.name ?? 'new role',
              permissions: String(permissions),
              position: 1,
              color: body.color ?? 0,
              hoist: body.hoist ?? false,
              mentionable: body.mentionable ?? false,
              created_at: new Date(decodeSnowflake(id).timestampMs),
            },
            { transaction },
          );
          await recordAudit(
            rt,
            {
              serverId,
              actorId: auth.user.id,
              action: 'role_create',
              targetType: 'role',
              targetId: id,
              changes: diff({}, auditFields(created)),
              reason: auditReason(req),
            },
            transaction,
          );
          for (const r of others) await r.reload({ transaction });
          return { role: created, shifted: others };
        });
        await rt.events.dispatch([rooms.server(serverId)], 'ROLE_CREATE', presentRole(role));
        await dispatchUpdated(serverId, shifted);
        return presentRole(role);
      },
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
      handler: async ({ params, body, auth, req }) => {
        const serverId = params.server_id;
        const policy = await ServerPolicy.load(rt, serverId, auth.user.id);
        policy.require(Permission.MANAGE_ROLES);
        if (body.some((e) => e.id === serverId)) {
          throw new ValidationError({ id: '@everyone always stays at position 0' });
        }
        const changed = await rt.sequelize.transaction(async (transaction) => {
          await lockServer(rt, serverId, transaction);
          const current = (await listRoles(rt, serverId, transaction)).filter((r) => r.id !== serverId);
          const byId = new Map(current.map((r) => [r.id, r]));
          for (const entry of body) {
            const role = byId.get(entry.id);
            if (!role) throw new NotFoundError('role');
            if (!policy.outranksRole(role.position) || !policy.outranksRole(entry.position)) {
              throw roleHierarchyError();
            }
          }
          const slots: (Row<'Role'> | undefined)[] = new Array<Row<'Role'> | undefined>(current.length);
          const moved = new Set(body.map((e) => e.id));
          for (const entry of [...body].sort((a, b) => a.position - b.position)) {
            const index = Math.min(entry.position, current.length) - 1;
            if (slots[index])
              throw new ValidationError({ position: 'two roles cannot take the same position' });
            slots[index] = byId.get(entry.id);
          }
          const rest = current.filter((r) => !moved.has(r.id));
          for (let i = 0; i < slots.length; i++) slots[i] ??= rest.shift();
          const updates: { role: Row<'Role'>; before: Record<string, unknown>; position: number }[] = [];
          slots.forEach((role, i) => {
            if (role && role.position !== i + 1)
              updates.push({ role, before: auditFields(role), position: i + 1 });
          });
          // Renumbering must not move anything at or above the caller either.
          for (const u of updates) {
            if (!policy.outranksRole(u.role.position) || !policy.outranksRole(u.position))
              throw roleHierarchyError();
          }
          for (const u of updates) {
            await u.role.update({ position: u.position }, { transaction });
            if (moved.has(u.role.id)) {
              await recordAudit(
                rt,
                {
                  serverId,
                  actorId: auth.user.id,
                  action: 'role_update',
                  targetType: 'role',
                  targetId: u.role.id,
                  changes: diff(u.before, auditFields(u.role)),
                  reason: auditReason(req),
                },
                transaction,
              );
            }
          }
          if (updates.length > 0) await invalidate(rt, { servers: [serverId] }, transaction);
          return updates.map((u) => u.role);
        });
        await dispatchUpdated(serverId, changed);
        return (await listRoles(rt, serverId)).map(presentRole);
      },
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
      handler: async ({ params, body, auth, req }) => {
        const serverId = params.server_id;
        const policy = await ServerPolicy.load(rt, serverId, auth.user.id);
        policy.require(Permission.MANAGE_ROLES);
        const role = await findRole(rt, serverId, params.role_id);
        if (!policy.outranksRole(role.position)) throw roleHierarchyError();
        if (role.id === serverId && body.name !== undefined && body.name !== role.name) {
          throw new ValidationError({ name: '@everyone cannot be renamed' });
        }
        const oldBits = BigInt(role.permissions);
        if (body.permissions !== undefined) requireGrantable(policy, BigInt(body.permissions) & ~oldBits);
        const before = auditFields(role);
        await rt.sequelize.transaction(async (transaction) => {
          await role.update(body, { transaction });
          await invalidate(rt, { servers: [serverId] }, transaction);
          const changes = diff(before, auditFields(role));
          if (changes.length > 0) {
            await recordAudit(
              rt,
              {
                serverId,
                actorId: auth.user.id,
                action: 'role_update',
                targetType: 'role',
                targetId: role.id,
                changes,
                reason: auditReason(req),
              },
              transaction,
            );
          }
        });
        await rt.events.dispatch([rooms.server(serverId)], 'ROLE_UPDATE', presentRole(role));
        if (BigInt(role.permissions) !== oldBits) {
          await permissionsChanged(rt, serverId, await holders(rt, serverId, role.id), { announce: true });
        }
        return presentRole(role);
      },
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
      handler: async ({ params, auth, req }) => {
        const serverId = params.server_id;
        const policy = await ServerPolicy.load(rt, serverId, auth.user.id);
        policy.require(Permission.MANAGE_ROLES);
        const role = await findRole(rt, serverId, params.role_id);
        if (role.id === serverId)
          throw new ApiError(400, 'cannot_delete_everyone', '@everyone cannot be deleted');
        if (role.managed_bot_id) throw managedRoleError();
        if (!policy.outranksRole(role.position)) throw roleHierarchyError();
        const affected = await holders(rt, serverId, role.id);
        const shifted = await rt.sequelize.transaction(async (transaction) => {
          await lockServer(rt, serverId, transaction);
          const locked = await findRole(rt, serverId, role.id, transaction);
          const above = await Role.findAll({
            where: { server_id: serverId, position: { [Op.gt]: locked.position } },
            transaction,
          });
          await locked.destroy({ transaction });
          await Role.decrement('position', {
            by: 1,
            where: { server_id: serverId, position: { [Op.gt]: locked.position } },
            transaction,
          });
          await invalidate(rt, { servers: [serverId] }, transaction);
          await recordAudit(
            rt,
            {
              serverId,
              actorId: auth.user.id,
              action: 'role_delete',
              targetType: 'role',
              targetId: locked.id,
              changes: Object.entries(auditFields(locked)).map(([key, old]) => ({ key, old })),
              reason: auditReason(req),
            },
            transaction,
          );
          for (const r of above) await r.reload({ transaction });
          return above;
        });
        await rt.events.dispatch([rooms.server(serverId)], 'ROLE_DELETE', {
          id: role.id,
          server_id: serverId,
        });
        await dispatchUpdated(serverId, shifted);
        await permissionsChanged(rt, serverId, affected, { announce: true });
      },
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
        handler: async ({ params, auth, req }) => {
          const serverId = params.server_id;
          const policy = await ServerPolicy.load(rt, serverId, auth.user.id);
          policy.require(Permission.MANAGE_ROLES);
          const target = await requireMemberFacts(rt, serverId, params.user_id);
          const role = await findRole(rt, serverId, params.role_id);
          if (role.id === serverId) {
            throw new ApiError(
              400,
              'cannot_assign_everyone',
              'Every member has @everyone; it cannot be assigned or removed',
            );
          }
          if (role.managed_bot_id) throw managedRoleError();
          if (!policy.outranksRole(role.position)) throw roleHierarchyError();
          if (target.userId !== auth.user.id) requireOutranks(policy, target);
          const key = { server_id: serverId, user_id: target.userId, role_id: role.id };
          const changed = await rt.sequelize.transaction(async (transaction) => {
            let done: boolean;
            if (method === 'put') {
              const [, created] = await MemberRole.findOrCreate({ where: key, defaults: key, transaction });
              done = created;
            } else {
              done = (await MemberRole.destroy({ where: key, transaction })) > 0;
            }
            if (done) {
              await invalidate(rt, { servers: [serverId] }, transaction);
              await recordAudit(
                rt,
                {
                  serverId,
                  actorId: auth.user.id,
                  action: method === 'put' ? 'member_role_add' : 'member_role_remove',
                  targetType: 'member',
                  targetId: target.userId,
                  changes: [
                    method === 'put'
                      ? { key: 'roles', new: [{ id: role.id, name: role.name }] }
                      : { key: 'roles', old: [{ id: role.id, name: role.name }] },
                  ],
                  reason: auditReason(req),
                },
                transaction,
              );
            }
            return done;
          });
          if (changed) {
            await rt.events.dispatch(
              [rooms.server(serverId)],
              'SERVER_MEMBER_UPDATE',
              await loadMemberObject(rt, serverId, target.userId),
            );
            await permissionsChanged(rt, serverId, [target.userId], { announce: true });
          }
        },
      }),
    ),
  ];
}
