import type { Transaction } from 'sequelize';
import { diff, recordAudit } from '../../audit.js';
import type { Row } from '../../db/models/index.js';
import { ValidationError } from '../../errors.js';
import { rooms } from '../../events/index.js';
import type { Effects } from '../../outbox/index.js';
import type { ServerChannelObject } from '../../presenters/types.js';
import type { Runtime } from '../../runtime.js';
import { isVoiceChannelType } from '../../voice-chat/join.js';
import { presentServerChannel } from './present.js';

/** What creates a server channel (POST /servers/{id}/channels). */
export interface ChannelCreate {
  name: string;
  channel_type: 'text' | 'voice' | 'stage' | 'category';
  parent_id?: string | null;
  topic?: string | null;
  nsfw?: boolean;
  slowmode_seconds?: number;
  position?: number;
  user_limit?: number;
  bitrate?: number;
}

/** What PATCH /channels/{id} changes on a channel that is not a thread. */
export interface ChannelPatch {
  name?: string;
  topic?: string | null;
  nsfw?: boolean;
  slowmode_seconds?: number;
  parent_id?: string | null;
  position?: number;
  user_limit?: number;
  bitrate?: number;
}

/** The fields of a server channel that the audit log and CHANNEL_UPDATE compare. */
export function channelAuditFields(c: Row<'Channel'>): Record<string, unknown> {
  return {
    name: c.name,
    channel_type: c.channel_type,
    parent_id: c.parent_id,
    topic: c.topic,
    nsfw: c.nsfw,
    slowmode_seconds: c.slowmode_seconds,
    position: c.position,
    ...(isVoiceChannelType(c.channel_type) ? { user_limit: c.user_limit, bitrate: c.bitrate } : {}),
  };
}

/** user_limit and bitrate belong to voice and stage channels only (400 naming them). */
export function checkVoiceFields(type: string, body: { user_limit?: number; bitrate?: number }): void {
  if (isVoiceChannelType(type)) return;
  const errors: Record<string, string> = {};
  for (const key of ['user_limit', 'bitrate'] as const) {
    if (body[key] !== undefined) errors[key] = `"${key}" is for voice and stage channels only`;
  }
  if (Object.keys(errors).length > 0) throw new ValidationError(errors);
}

/**
 * Applies `patch` to `channel` with its `channel_update` audit entry and moves the channel's caches
 * after the commit (through `fx`); false when nothing changed.
 */
export async function applyChannelPatch(
  rt: Pick<Runtime, 'models' | 'snowflake'>,
  channel: Row<'Channel'>,
  patch: Partial<
    Pick<
      Row<'Channel'>,
      'name' | 'topic' | 'nsfw' | 'slowmode_seconds' | 'parent_id' | 'position' | 'user_limit' | 'bitrate'
    >
  >,
  who: { serverId: string; actorId: string; reason: string | null },
  transaction: Transaction,
  fx: Effects,
): Promise<boolean> {
  const before = channelAuditFields(channel);
  const changes = diff(before, { ...before, ...patch });
  if (changes.length === 0) return false;
  channel.set(patch);
  await channel.save({ transaction });
  fx.invalidate({ channels: [channel.id] });
  await recordAudit(
    rt,
    { ...who, action: 'channel_update', targetType: 'channel', targetId: channel.id, changes },
    transaction,
  );
  return true;
}

/**
 * CHANNEL_UPDATE of `channel` (as `transaction` sees it, overwrites included) to its viewers and
 * the server's event webhooks; returns the payload.
 */
export async function announceChannelUpdate(
  rt: Pick<Runtime, 'models'>,
  fx: Effects,
  serverId: string,
  channel: Row<'Channel'>,
  transaction: Transaction,
): Promise<ServerChannelObject> {
  const payload = await presentServerChannel(rt, channel, transaction);
  fx.dispatch([rooms.channel(channel.id)], 'CHANNEL_UPDATE', payload);
  fx.outgoing({ type: 'CHANNEL_UPDATE', server_id: serverId, channel_id: channel.id, data: payload });
  return payload;
}
