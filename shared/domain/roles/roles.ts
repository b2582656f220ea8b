import { Op, type Transaction } from 'sequelize';
import { diff, recordAudit } from '../../audit.js';
import type { Row } from '../../db/models/index.js';
import { ApiError, MissingPermissionError, NotFoundError, ValidationError } from '../../errors.js';
import { lockServer } from '../access.js';
import { rooms } from '../../events/index.js';
import { runCommand, type Effects } from '../../outbox/index.js';
import {
  Permission,
  ServerPolicy,
  permissionNames,
  requireMemberFacts,
  requireOutranks,
  roleHierarchyError,
} from '../../permissions/index.js';
import { presentRole, type RoleObject } from '../../presenters/role.js';
import type { Runtime } from '../../runtime.js';
import { decodeSnowflake } from '../../snowflake.js';
import { memberObject } from '../members/present.js';
import { managedRoleError } from './managed.js';

/** A role's editable fields; absent ones stay (or take their defaults on create). */
export interface RoleFields {
  name?: string;
  /** A decimal bitfield. */
  permissions?: string;
  color?: number;
  hoist?: boolean;
  mentionable?: boolean;
}

/** Where one role should go (1 is just above @everyone). */
export interface RolePosition {
  id: string;
  position: number;
}

/** Who acts in which server, and why (audit log). */
interface Acting {
  serverId: string;
  actorId: string;
  reason: string | null;
}

/** The fields of a role that the audit log tracks. */
function auditFields(role: Row<'Role'>): Record<string, unknown> {
  const { name, permissions, position, color, hoist, mentionable } = presentRole(role);
  return { name, permissions, position, color, hoist, mentionable };
}

/** 403 naming the bits of `bits` the actor does not have (nobody grants what they lack). */
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

/** Who holds a role (every member for @everyone). */
async function holders(
  rt: Runtime,
  serverId: string,
  roleId: string,
  transaction: Transaction,
): Promise<string[]> {
  const attributes = ['user_id'];
  const rows =
    roleId === serverId
      ? await rt.models.Member.findAll({ where: { server_id: serverId }, attributes, transaction })
      : await rt.models.MemberRole.findAll({
          where: { server_id: serverId, role_id: roleId },
          attributes,
          transaction,
        });
  return rows.map((m) => m.user_id);
}

/** The server's roles by position (then id), @everyone first. */
export const listRoles = (rt: Pick<Runtime, 'models'>, serverId: string, transaction?: Transaction) =>
  rt.models.Role.findAll({
    where: { server_id: serverId },
    order: [
      ['position', 'ASC'],
      ['id', 'ASC'],
    ],
    transaction,
  });

/** Audits `role_update` with the tracked fields that changed since `before` (none changed: nothing). */
async function auditRoleUpdate(
  rt: Runtime,
  acting: Acting,
  role: Row<'Role'>,
  before: Record<string, unknown>,
  transaction: Transaction,
): Promise<void> {
  const changes = diff(before, auditFields(role));
  if (changes.length === 0) return;
  const { serverId, actorId, reason } = acting;
  const entry = { serverId, actorId, action: 'role_update' as const, targetType: 'role', targetId: role.id };
  await recordAudit(rt, { ...entry, changes, reason }, transaction);
}

/** ROLE_UPDATE for each role, as `transaction` now sees it. */
async function updatedEffects(fx: Effects, serverId: string, roles: Row<'Role'>[], transaction: Transaction) {
  for (const r of roles) {
    fx.dispatch([rooms.server(serverId)], 'ROLE_UPDATE', presentRole(await r.reload({ transaction })));
  }
}

/**
 * Creates a role at position 1 (the others move up one; MANAGE_ROLES, granting only permissions
 * the actor has). Audited as `role_create`; the server hears ROLE_CREATE and ROLE_UPDATE.
 */
export async function createRole(rt: Runtime, input: Acting & { fields: RoleFields }): Promise<RoleObject> {
  const { serverId, fields } = input;
  const { Role } = rt.models;
  const policy = await ServerPolicy.load(rt, serverId, input.actorId);
  policy.require(Permission.MANAGE_ROLES);
  const permissions = BigInt(fields.permissions ?? '0');
  requireGrantable(policy, permissions);
  return runCommand(rt, rooms.server(serverId), async (transaction, fx) => {
    await lockServer(rt, serverId, transaction);
    const above = { server_id: serverId, id: { [Op.ne]: serverId }, position: { [Op.gte]: 1 } };
    const others = await Role.findAll({ where: above, transaction });
    await Role.increment('position', { by: 1, where: above, transaction });
    const id = rt.snowflake.next();
    const created = await Role.create(
      {
        id,
        server_id: serverId,
        name: fields.name ?? 'new role',
        permissions: String(permissions),
        position: 1,
        color: fields.color ?? 0,
        hoist: fields.hoist ?? false,
        mentionable: fields.mentionable ?? false,
        created_at: new Date(decodeSnowflake(id).timestampMs),
      },
      { transaction },
    );
    await recordAudit(
      rt,
      {
        serverId,
        actorId: input.actorId,
        action: 'role_create',
        targetType: 'role',
        targetId: id,
        changes: diff({}, auditFields(created)),
        reason: input.reason,
      },
      transaction,
    );
    fx.invalidate({ servers: [serverId] });
    fx.dispatch([rooms.server(serverId)], 'ROLE_CREATE', presentRole(created));
    await updatedEffects(fx, serverId, others, transaction);
    return presentRole(created);
  });
}

/**
 * Moves the listed roles to their positions and renumbers the rest in order (MANAGE_ROLES; only
 * roles and positions strictly below the actor's highest). Each moved role is audited as
 * `role_update`; the server hears ROLE_UPDATE for each renumbered one. Returns every role.
 */
export async function reorderRoles(
  rt: Runtime,
  input: Acting & { positions: RolePosition[] },
): Promise<RoleObject[]> {
  const { serverId, positions } = input;
  const policy = await ServerPolicy.load(rt, serverId, input.actorId);
  policy.require(Permission.MANAGE_ROLES);
  if (positions.some((e) => e.id === serverId)) {
    throw new ValidationError({ id: '@everyone always stays at position 0' });
  }
  await runCommand(rt, rooms.server(serverId), async (transaction, fx) => {
    await lockServer(rt, serverId, transaction);
    const current = (await listRoles(rt, serverId, transaction)).filter((r) => r.id !== serverId);
    const byId = new Map(current.map((r) => [r.id, r]));
    for (const entry of positions) {
      const role = byId.get(entry.id);
      if (!role) throw new NotFoundError('role');
      if (!policy.outranksRole(role.position) || !policy.outranksRole(entry.position)) {
        throw roleHierarchyError();
      }
    }
    const slots: (Row<'Role'> | undefined)[] = new Array<Row<'Role'> | undefined>(current.length);
    const moved = new Set(positions.map((e) => e.id));
    for (const entry of [...positions].sort((a, b) => a.position - b.position)) {
      const index = Math.min(entry.position, current.length) - 1;
      if (slots[index]) throw new ValidationError({ position: 'two roles cannot take the same position' });
      slots[index] = byId.get(entry.id);
    }
    const rest = current.filter((r) => !moved.has(r.id));
    for (let i = 0; i < slots.length; i++) slots[i] ??= rest.shift();
    const updates: { role: Row<'Role'>; before: Record<string, unknown>; position: number }[] = [];
    slots.forEach((role, i) => {
      if (role && role.position !== i + 1) updates.push({ role, before: auditFields(role), position: i + 1 });
    });
    // Renumbering must not move anything at or above the actor either.
    for (const u of updates) {
      if (!policy.outranksRole(u.role.position) || !policy.outranksRole(u.position))
        throw roleHierarchyError();
    }
    for (const u of updates) {
      await u.role.update({ position: u.position }, { transaction });
      if (moved.has(u.role.id)) await auditRoleUpdate(rt, input, u.role, u.before, transaction);
    }
    if (updates.length > 0) fx.invalidate({ servers: [serverId] });
    for (const u of updates) fx.dispatch([rooms.server(serverId)], 'ROLE_UPDATE', presentRole(u.role));
  });
  return (await listRoles(rt, serverId)).map(presentRole);
}

/**
 * Edits a role strictly below the actor's highest (MANAGE_ROLES; adding only permissions the
 * actor has; @everyone keeps its name). Audited as `role_update`; the server hears ROLE_UPDATE and
 * the holders' rooms and voice follow a permission change.
 */
export async function updateRole(
  rt: Runtime,
  input: Acting & { roleId: string; fields: RoleFields },
): Promise<RoleObject> {
  const { serverId, fields } = input;
  const policy = await ServerPolicy.load(rt, serverId, input.actorId);
  policy.require(Permission.MANAGE_ROLES);
  const role = await findRole(rt, serverId, input.roleId);
  if (!policy.outranksRole(role.position)) throw roleHierarchyError();
  if (role.id === serverId && fields.name !== undefined && fields.name !== role.name) {
    throw new ValidationError({ name: '@everyone cannot be renamed' });
  }
  const oldBits = BigInt(role.permissions);
  if (fields.permissions !== undefined) requireGrantable(policy, BigInt(fields.permissions) & ~oldBits);
  const before = auditFields(role);
  await runCommand(rt, rooms.server(serverId), async (transaction, fx) => {
    await role.update(fields, { transaction });
    await auditRoleUpdate(rt, input, role, before, transaction);
    fx.invalidate({ servers: [serverId] });
    fx.dispatch([rooms.server(serverId)], 'ROLE_UPDATE', presentRole(role));
    if (BigInt(role.permissions) !== oldBits) {
      fx.permissionsChanged(serverId, await holders(rt, serverId, role.id, transaction), { announce: true });
    }
  });
  return presentRole(role);
}

/**
 * Deletes a role strictly below the actor's highest (MANAGE_ROLES; never @everyone, 400
 * `cannot_delete_everyone`, nor a managed role); the roles above move down one. Audited as
 * `role_delete`; the server hears ROLE_DELETE and ROLE_UPDATE, the holders' rooms and voice follow.
 */
export async function deleteRole(rt: Runtime, input: Acting & { roleId: string }): Promise<void> {
  const { serverId } = input;
  const { Role } = rt.models;
  const policy = await ServerPolicy.load(rt, serverId, input.actorId);
  policy.require(Permission.MANAGE_ROLES);
  const role = await findRole(rt, serverId, input.roleId);
  if (role.id === serverId) throw new ApiError(400, 'cannot_delete_everyone', '@everyone cannot be deleted');
  if (role.managed_bot_id) throw managedRoleError();
  if (!policy.outranksRole(role.position)) throw roleHierarchyError();
  await runCommand(rt, rooms.server(serverId), async (transaction, fx) => {
    await lockServer(rt, serverId, transaction);
    const locked = await findRole(rt, serverId, role.id, transaction);
    const affected = await holders(rt, serverId, role.id, transaction);
    const above = { server_id: serverId, position: { [Op.gt]: locked.position } };
    const shifted = await Role.findAll({ where: above, transaction });
    await locked.destroy({ transaction });
    await Role.decrement('position', { by: 1, where: above, transaction });
    await recordAudit(
      rt,
      {
        serverId,
        actorId: input.actorId,
        action: 'role_delete',
        targetType: 'role',
        targetId: locked.id,
        changes: Object.entries(auditFields(locked)).map(([key, old]) => ({ key, old })),
        reason: input.reason,
      },
      transaction,
    );
    fx.invalidate({ servers: [serverId] });
    fx.dispatch([rooms.server(serverId)], 'ROLE_DELETE', { id: role.id, server_id: serverId });
    await updatedEffects(fx, serverId, shifted, transaction);
    fx.permissionsChanged(serverId, affected, { announce: true });
  });
}

/**
 * Gives (`add`) or takes a role from a member (MANAGE_ROLES; the role and, unless it is the actor,
 * the member strictly below the actor's highest; never @everyone, 400 `cannot_assign_everyone`,
 * nor a managed role). Idempotent. Audited as `member_role_add` / `member_role_remove`; on a change
 * the server hears SERVER_MEMBER_UPDATE and the member's rooms and voice follow.
 */
export async function setMemberRole(
  rt: Runtime,
  input: Acting & { userId: string; roleId: string; add: boolean },
): Promise<void> {
  const { serverId, add } = input;
  const policy = await ServerPolicy.load(rt, serverId, input.actorId);
  policy.require(Permission.MANAGE_ROLES);
  const target = await requireMemberFacts(rt, serverId, input.userId);
  const role = await findRole(rt, serverId, input.roleId);
  if (role.id === serverId) {
    throw new ApiError(
      400,
      'cannot_assign_everyone',
      'Every member has @everyone; it cannot be assigned or removed',
    );
  }
  if (role.managed_bot_id) throw managedRoleError();
  if (!policy.outranksRole(role.position)) throw roleHierarchyError();
  if (target.userId !== input.actorId) requireOutranks(policy, target);
  const key = { server_id: serverId, user_id: target.userId, role_id: role.id };
  await runCommand(rt, rooms.server(serverId), async (transaction, fx) => {
    const done = add
      ? (await rt.models.MemberRole.findOrCreate({ where: key, defaults: key, transaction }))[1]
      : (await rt.models.MemberRole.destroy({ where: key, transaction })) > 0;
    if (!done) return;
    const named = [{ id: role.id, name: role.name }];
    await recordAudit(
      rt,
      {
        serverId,
        actorId: input.actorId,
        action: add ? 'member_role_add' : 'member_role_remove',
        targetType: 'member',
        targetId: target.userId,
        changes: [add ? { key: 'roles', new: named } : { key: 'roles', old: named }],
        reason: input.reason,
      },
      transaction,
    );
    fx.invalidate({ servers: [serverId] });
    const member = await memberObject(rt, serverId, target.userId, transaction);
    fx.dispatch([rooms.server(serverId)], 'SERVER_MEMBER_UPDATE', member);
    fx.permissionsChanged(serverId, [target.userId], { announce: true });
  });
}
