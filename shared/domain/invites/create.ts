import crypto from 'node:crypto';
import { recordAudit } from '../../audit.js';
import type { Row } from '../../db/models/index.js';
import { ApiError, NotFoundError } from '../../errors.js';
import { Permission, ServerPolicy } from '../../permissions/index.js';
import type { Runtime } from '../../runtime.js';

const BASE62 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** 8 to 10 random base62 characters. */
export function inviteCode(): string {
  const length = crypto.randomInt(8, 11);
  let code = '';
  for (let i = 0; i < length; i++) code += BASE62[crypto.randomInt(0, BASE62.length)];
  return code;
}

/** How long an invite lasts (seconds, 0: forever) and how often it may be used (0: no limit). */
export interface InviteLimits {
  max_age: number;
  max_uses: number;
}

/**
 * Creates an invite to a text, voice or stage channel the caller sees with CREATE_INVITE there
 * (404 `unknown_channel` when they cannot see it). Audited as invite_create; it causes no event.
 */
export async function createInvite(
  rt: Runtime,
  channelId: string,
  actorId: string,
  body: InviteLimits,
  reason: string | null,
): Promise<Row<'Invite'>> {
  const channel = await rt.models.Channel.findByPk(channelId);
  if (!channel || channel.server_id === null) throw new NotFoundError('channel');
  const serverId = channel.server_id;
  const policy = await ServerPolicy.load(rt, serverId, actorId).catch((err: unknown) => {
    throw err instanceof ApiError && err.status === 404 ? new NotFoundError('channel') : err;
  });
  await policy.requireChannel(channel, Permission.CREATE_INVITE);
  if (!['text', 'voice', 'stage'].includes(channel.channel_type)) {
    throw new ApiError(400, 'invalid_channel_type', 'Invites lead to text, voice or stage channels only', {
      channel_id: 'is not a text, voice or stage channel',
    });
  }
  return rt.sequelize.transaction(async (transaction) => {
    const now = new Date();
    let created: Row<'Invite'> | null = null;
    for (let attempt = 0; created === null; attempt++) {
      const code = inviteCode();
      const [row, isNew] = await rt.models.Invite.findOrCreate({
        where: { code },
        defaults: {
          code,
          server_id: serverId,
          channel_id: channel.id,
          inviter_id: actorId,
          max_age: body.max_age,
          max_uses: body.max_uses,
          created_at: now,
          expires_at: body.max_age === 0 ? null : new Date(now.getTime() + body.max_age * 1000),
        },
        transaction,
      });
      if (isNew) created = row;
      else if (attempt >= 5) throw new Error('could not pick an unused invite code');
    }
    await recordAudit(
      rt,
      {
        serverId,
        actorId: actorId,
        action: 'invite_create',
        targetType: 'invite',
        changes: [
          { key: 'code', new: created.code },
          { key: 'channel_id', new: channel.id },
          { key: 'max_age', new: created.max_age },
          { key: 'max_uses', new: created.max_uses },
        ],
        reason: reason,
      },
      transaction,
    );
    return created;
  });
}
