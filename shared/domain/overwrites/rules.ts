import type { Transaction } from 'sequelize';
import type { Row } from '../../db/models/index.js';
import { MissingPermissionError } from '../../errors.js';
import type { Effects } from '../../outbox/index.js';
import {
  loadMemberFacts,
  permissionNames,
  requireOutranks,
  requireOutranksRole,
  type ServerPolicy,
} from '../../permissions/index.js';
import type { Runtime } from '../../runtime.js';
import { memberIds } from '../access.js';
import { announceChannelUpdate } from '../channels/rules.js';

/** What sets an overwrite (PUT /channels/{id}/permissions/{overwrite_id}). */
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
export function requireHeldBits(held: bigint, changed: bigint): void {
  const missing = changed & ~held;
  if (missing !== 0n) throw new MissingPermissionError(permissionNames(missing).join(', '));
}

/**
 * The hierarchy, as for roles and kicks: apart from the owner, a caller may only set or remove the
 * overwrite of a role strictly below their highest role, or of a member they strictly outrank (or
 * their own). ADMINISTRATOR does not lift it. An overwrite whose role or member is gone is free.
 */
export async function requireOverwriteTarget(
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
  transaction: Transaction,
): Promise<string[]> {
  if (type === 'member') return [targetId];
  if (targetId === serverId) return memberIds(rt, serverId, transaction);
  const holders = await rt.models.MemberRole.findAll({
    where: { server_id: serverId, role_id: targetId },
    attributes: ['user_id'],
    transaction,
  });
  return holders.map((h) => h.user_id);
}

/**
 * In the transaction that changed an overwrite: the rooms and live voice of those it concerns
 * follow their permissions (recomputed from the committed rows when relayed, with CHANNEL_CREATE /
 * CHANNEL_DELETE to those who gain or lose sight), then the channel's viewers get CHANNEL_UPDATE.
 */
export async function announceOverwrite(
  rt: Pick<Runtime, 'models'>,
  fx: Effects,
  channel: Row<'Channel'>,
  serverId: string,
  type: 'role' | 'member',
  targetId: string,
  transaction: Transaction,
): Promise<void> {
  const users = await affectedUsers(rt, serverId, type, targetId, transaction);
  fx.permissionsChanged(serverId, users, { announce: true });
  await announceChannelUpdate(rt, fx, serverId, channel, transaction);
}
