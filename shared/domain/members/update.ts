import { diff, recordAudit, type AuditChange } from '../../audit.js';
import { ApiError, NotFoundError, ValidationError } from '../../errors.js';
import { rooms } from '../../events/index.js';
import { runCommand } from '../../outbox/index.js';
import {
  Permission,
  ServerPolicy,
  basePermissions,
  has,
  requireMemberFacts,
  requireOutranks,
  roleHierarchyError,
} from '../../permissions/index.js';
import type { MemberObject } from '../../presenters/role.js';
import { unixSeconds } from '../../presenters/time.js';
import type { Runtime } from '../../runtime.js';
import { managedRoleError } from '../roles/managed.js';
import { memberObject } from './present.js';

/** The longest timeout: 28 days. */
export const MAX_TIMEOUT_SECONDS = 28 * 24 * 3600;

/** What a member edit may change; absent fields stay. */
export interface MemberChanges {
  /** Empty or null clears it. */
  nick?: string | null;
  /** The complete list of role ids (the @everyone role is ignored). */
  roles?: string[];
  /** Unix seconds, at most 28 days ahead; null ends a timeout. */
  communication_disabled_until?: number | null;
}

/** Who edits which member, how, and why (audit log). */
export interface UpdateMemberInput {
  serverId: string;
  actorId: string;
  userId: string;
  changes: MemberChanges;
  reason: string | null;
}

/**
 * Changes a member's nick (one's own: CHANGE_NICKNAME, else MANAGE_NICKNAMES), roles (MANAGE_ROLES,
 * each role strictly below the actor's highest, never a managed role) or timeout (MODERATE_MEMBERS,
 * never an administrator). Except for one's own nick and roles, the member must be strictly below
 * the actor. Audited as `member_update` and `member_timeout`; the server hears SERVER_MEMBER_UPDATE,
 * and the member's rooms and voice session follow their new permissions. Returns the member.
 */
export async function updateMember(rt: Runtime, input: UpdateMemberInput): Promise<MemberObject> {
  const { serverId, userId, actorId, changes: body } = input;
  const { Member, MemberRole, Role } = rt.models;
  const self = userId === actorId;
  const policy = await ServerPolicy.load(rt, serverId, actorId);
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
  return runCommand(rt, rooms.server(serverId), async (transaction, fx) => {
    const audited: AuditChange[] = [];
    if (nickChanges) audited.push(...diff({ nick: member.nick }, { nick: newNick }));
    if (rolesChange) {
      const newRoles = [...currentRoles.filter((id) => !removed.includes(id)), ...added].sort();
      audited.push({ key: 'roles', old: currentRoles, new: newRoles });
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
    const audit = { serverId, actorId, targetType: 'member', targetId: userId, reason: input.reason };
    if (audited.length > 0) {
      await recordAudit(rt, { ...audit, action: 'member_update', changes: audited }, transaction);
    }
    if (timeout !== undefined && newTimeout !== oldTimeout) {
      const timed = [{ key: 'communication_disabled_until', old: oldTimeout, new: newTimeout }];
      await recordAudit(rt, { ...audit, action: 'member_timeout', changes: timed }, transaction);
    }
    const updated = await memberObject(rt, serverId, userId, transaction);
    fx.invalidate({ servers: [serverId] });
    fx.dispatch([rooms.server(serverId)], 'SERVER_MEMBER_UPDATE', updated);
    // Rooms and voice sessions are live state, recomputed from the committed permissions.
    if (rolesChange) fx.permissionsChanged(serverId, [userId], { announce: true });
    // A timeout leaves VIEW_CHANNEL (rooms stay) but takes CONNECT and SPEAK: live voice follows.
    else if (newTimeout !== oldTimeout) fx.enforceVoice(serverId, [userId]);
    return updated;
  });
}
