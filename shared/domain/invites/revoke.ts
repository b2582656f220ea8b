import { recordAudit } from '../../audit.js';
import { ApiError, MissingPermissionError, NotFoundError } from '../../errors.js';
import { Permission, ServerPolicy, has } from '../../permissions/index.js';
import type { Runtime } from '../../runtime.js';

/**
 * Revokes an invite: its creator, or MANAGE_SERVER (404 `unknown_invite` when it is revoked already
 * or the caller is not in its server). Audited as invite_delete; it causes no event.
 */
export async function revokeInvite(
  rt: Runtime,
  code: string,
  actorId: string,
  reason: string | null,
): Promise<void> {
  const invite = await rt.models.Invite.findByPk(code);
  if (!invite || invite.revoked_at) throw new NotFoundError('invite');
  const policy = await ServerPolicy.load(rt, invite.server_id, actorId).catch((err: unknown) => {
    throw err instanceof ApiError && err.status === 404 ? new NotFoundError('invite') : err;
  });
  if (invite.inviter_id !== actorId && !has(policy.permissions, Permission.MANAGE_SERVER)) {
    throw new MissingPermissionError('MANAGE_SERVER');
  }
  await rt.sequelize.transaction(async (transaction) => {
    await invite.update({ revoked_at: new Date() }, { transaction });
    await recordAudit(
      rt,
      {
        serverId: invite.server_id,
        actorId: actorId,
        action: 'invite_delete',
        targetType: 'invite',
        changes: [
          { key: 'code', old: invite.code },
          { key: 'channel_id', old: invite.channel_id },
          { key: 'uses', old: invite.uses },
        ],
        reason: reason,
      },
      transaction,
    );
  });
}
