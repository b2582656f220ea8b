import { diff, recordAudit } from '../../shared/audit.js';
import { isThreadType, type Row } from '../../shared/db/models/index.js';
import { invalidate } from '../../shared/domain/invalidation.js';
import { ApiError, MissingPermissionError, NotFoundError } from '../../shared/errors.js';
import { rooms } from '../../shared/events/index.js';
import { queueOutgoingEvent } from '../../shared/integrations/outgoing-events.js';
import {
  Permission,
  permissionNames,
  loadMemberFacts,
  requireOutranks,
  requireOutranksRole,
  type ServerPolicy,
} from '../../shared/permissions/index.js';
import { permissionsChanged } from '../../shared/permission-changes.js';
import { presentChannel } from '../../shared/presenters/server.js';
import type { Runtime } from '../../shared/runtime.js';
import { memberIds, requireServerChannel } from './access.js';

export interface OverwriteBody {
  type: 'role' | 'member';
  /** Already validated decimal strings. */
  allow: string;
  deny: string;
}

/**
 * A caller may only change bits they hold themselves in the channel (owners and administrators
 * hold all of them): 403 naming the others.
 */
function requireHeldBits(held: bigint, changed: bigint): void {
  const missing = changed & ~held;
  if (missing !== 0n) throw new MissingPermissionError(permissionNames(missing).join(', '));
}

/**
 * The hierarchy, as for roles and kicks: apart from the owner, a caller may only set or remove the
 * overwrite of a role strictly below their highest role, or of a member they strictly outrank (or
 * their own). ADMINISTRATOR does not lift it. An overwrite whose role or member is gone is free.
 */
async function requireOverwriteTarget(
  rt: Pick<Runtime, 'models'>,
  policy: ServerPolicy,
  type: 'role' | 'member',
  targetId: string,
): Promise<void> {
  if (policy.isOwner) return;
  const serverId = policy.server.id;
  if (type === 'role') {
    const role = await rt.models.Role.findOne({
      where: { id: targetId, server_id: serverId },
    });
    if (role) requireOutranksRole(policy, role.position);
    return;
  }
  if (targetId === policy.facts.userId) return;
  const target = await loadMemberFacts(rt.models, serverId, targetId);
  if (target) requireOutranks(policy, target.facts);
}

/** Whose visibility an overwrite on `targetId` can change: everyone, a role's holders, or one member. */
async function affectedUsers(
  rt: Pick<Runtime, 'models'>,
  serverId: string,
  type: 'role' | 'member',
  targetId: string,
): Promise<string[]> {
  if (type === 'member') return [targetId];
  if (targetId === serverId) return memberIds(rt, serverId);
  const holders = await rt.models.MemberRole.findAll({
    where: { server_id: serverId, role_id: targetId },
    attributes: ['user_id'],
  });
  return holders.map((h) => h.user_id);
}

/**
 * After an overwrite changed: rooms and live voice follow permissions at once, then viewers get
 * CHANNEL_UPDATE.
 */
async function announce(
  rt: Runtime,
  channel: Row<'Channel'>,
  serverId: string,
  type: 'role' | 'member',
  targetId: string,
): Promise<void> {
  await permissionsChanged(rt, serverId, await affectedUsers(rt, serverId, type, targetId), {
    announce: true,
  });
  const payload = presentChannel(channel);
  await rt.events.dispatch([rooms.channel(channel.id)], 'CHANNEL_UPDATE', payload);
  await queueOutgoingEvent(rt, {
    type: 'CHANNEL_UPDATE',
    server_id: serverId,
    channel_id: channel.id,
    data: payload,
  });
}

/**
 * PUT /channels/{id}/permissions/{overwrite_id}: creates or replaces the overwrite of a role of the
 * server (the server id for @everyone) or of a member. Needs MANAGE_ROLES in the channel, and the
 * caller may only change bits they hold there. Audited as overwrite_update.
 */
export async function putOverwrite(
  rt: Runtime,
  channelId: string,
  targetId: string,
  actorId: string,
  body: OverwriteBody,
  reason: string | null,
): Promise<void> {
  const { channel, policy, permissions } = await requireServerChannel(
    rt,
    channelId,
    actorId,
    Permission.MANAGE_ROLES,
  );
  if (isThreadType(channel.channel_type)) {
    throw new ApiError(400, 'invalid_channel_type', "A thread has no overwrites: it inherits its parent's");
  }
  const serverId = policy.server.id;
  const { Role, Member, PermissionOverwrite } = rt.models;
  if (body.type === 'role') {
    const role = await Role.findOne({
      where: { id: targetId, server_id: serverId },
    });
    if (!role) throw new NotFoundError('role');
  } else {
    const member = await Member.findOne({
      where: { server_id: serverId, user_id: targetId },
    });
    if (!member) throw new NotFoundError('member');
  }
  await requireOverwriteTarget(rt, policy, body.type, targetId);

  const changed = await rt.sequelize.transaction(async (transaction) => {
    const existing = await PermissionOverwrite.findOne({
      where: { channel_id: channel.id, target_id: targetId },
      transaction,
      lock: transaction.LOCK.UPDATE,
    });
    const oldAllow = BigInt(existing?.allow ?? '0');
    const oldDeny = BigInt(existing?.deny ?? '0');
    const allow = BigInt(body.allow);
    const deny = BigInt(body.deny);
    requireHeldBits(permissions, (oldAllow ^ allow) | (oldDeny ^ deny));
    const before = existing ? { type: existing.type, allow: String(oldAllow), deny: String(oldDeny) } : {};
    const after = { type: body.type, allow: String(allow), deny: String(deny) };
    const changes = diff(before, after);
    if (changes.length === 0) return false;
    if (existing) {
      existing.set(after);
      await existing.save({ transaction });
    } else {
      await PermissionOverwrite.create(
        { channel_id: channel.id, target_id: targetId, ...after },
        { transaction },
      );
    }
    await invalidate(rt, { channels: [channel.id] }, transaction);
    await recordAudit(
      rt,
      {
        serverId,
        actorId,
        action: 'overwrite_update',
        targetType: 'channel',
        targetId: channel.id,
        changes: [{ key: 'overwrite_id', old: targetId, new: targetId }, ...changes],
        reason,
      },
      transaction,
    );
    return true;
  });
  if (changed) await announce(rt, channel, serverId, body.type, targetId);
}

/**
 * DELETE /channels/{id}/permissions/{overwrite_id}: removes an overwrite (404 `unknown_overwrite`
 * when there is none). Same permission rules as PUT; audited as overwrite_delete.
 */
export async function deleteOverwrite(
  rt: Runtime,
  channelId: string,
  targetId: string,
  actorId: string,
  reason: string | null,
): Promise<void> {
  const { channel, policy, permissions } = await requireServerChannel(
    rt,
    channelId,
    actorId,
    Permission.MANAGE_ROLES,
  );
  const serverId = policy.server.id;
  const removed = await rt.sequelize.transaction(async (transaction) => {
    const existing = await rt.models.PermissionOverwrite.findOne({
      where: { channel_id: channel.id, target_id: targetId },
      transaction,
      lock: transaction.LOCK.UPDATE,
    });
    if (!existing) throw new NotFoundError('overwrite');
    await requireOverwriteTarget(rt, policy, existing.type, targetId);
    requireHeldBits(permissions, BigInt(existing.allow) | BigInt(existing.deny));
    await existing.destroy({ transaction });
    await invalidate(rt, { channels: [channel.id] }, transaction);
    await recordAudit(
      rt,
      {
        serverId,
        actorId,
        action: 'overwrite_delete',
        targetType: 'channel',
        targetId: channel.id,
        changes: [
          { key: 'overwrite_id', old: targetId, new: targetId },
          { key: 'type', old: existing.type },
          { key: 'allow', old: String(existing.allow) },
          { key: 'deny', old: String(existing.deny) },
        ],
        reason,
      },
      transaction,
    );
    return existing;
  });
  await announce(rt, channel, serverId, removed.type, targetId);
}
