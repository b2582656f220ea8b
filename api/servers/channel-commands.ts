import { diff, recordAudit, type AuditChange } from '../../shared/audit.js';
import type { Transaction } from 'sequelize';
import { isThreadType, type Row } from '../../shared/db/models/index.js';
import { NotFoundError, ValidationError } from '../../shared/errors.js';
import { rooms } from '../../shared/events/index.js';
import { queueOutgoingEvent } from '../../shared/integrations/outgoing-events.js';
import {
  Permission,
  ServerPolicy,
  syncChannelRooms,
  viewableServerChannels,
} from '../../shared/permissions/index.js';
import { presentPrivateChannel } from '../../shared/presenters/private-channel.js';
import { presentChannel } from '../../shared/presenters/server.js';
import type { ChannelObject, PrivateChannelObject } from '../../shared/presenters/types.js';
import type { Runtime } from '../../shared/runtime.js';
import { decodeSnowflake } from '../../shared/snowflake.js';
import { emptyVoiceChannel } from '../../shared/voice-chat/join.js';
import { deleteThreadsOf, forgetThreadRooms, presentThreadChannel } from '../threads/manage.js';
import { invalidate } from '../../shared/domain/invalidation.js';
import { postSystemMessage } from '../messages/system-messages.js';
import { checkParent, loadChannel, memberIds, requireServerChannel } from './access.js';

/** The fields of a server channel that the audit log and CHANNEL_UPDATE compare. */
function auditFields(c: Row<'Channel'>): Record<string, unknown> {
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

function isVoiceChannelType(type: string): boolean {
  return type === 'voice' || type === 'stage';
}

/** user_limit and bitrate belong to voice and stage channels only. */
function checkVoiceFields(type: string, body: { user_limit?: number; bitrate?: number }): void {
  if (isVoiceChannelType(type)) return;
  const errors: Record<string, string> = {};
  for (const key of ['user_limit', 'bitrate'] as const) {
    if (body[key] !== undefined) errors[key] = `"${key}" is for voice and stage channels only`;
  }
  if (Object.keys(errors).length > 0) throw new ValidationError(errors);
}

/** The channels of a server the policy's member can view, ordered by position then id. */
/** Applies `patch` to `channel` with its `channel_update` audit entry; false when nothing changed. */
async function applyChannelPatch(
  rt: Runtime,
  channel: Row<'Channel'>,
  patch: Partial<
    Pick<
      Row<'Channel'>,
      'name' | 'topic' | 'nsfw' | 'slowmode_seconds' | 'parent_id' | 'position' | 'user_limit' | 'bitrate'
    >
  >,
  who: { serverId: string; actorId: string; reason: string | null },
  transaction: Transaction,
): Promise<boolean> {
  const before = auditFields(channel);
  const changes = diff(before, { ...before, ...patch });
  if (changes.length === 0) return false;
  channel.set(patch);
  await channel.save({ transaction });
  await invalidate(rt, { channels: [channel.id] }, transaction);
  await recordAudit(
    rt,
    { ...who, action: 'channel_update', targetType: 'channel', targetId: channel.id, changes },
    transaction,
  );
  return true;
}

export function listVisibleChannels(
  rt: Pick<Runtime, 'models'>,
  policy: ServerPolicy,
): Promise<Row<'Channel'>[]> {
  return viewableServerChannels(rt.models, policy.facts);
}

/** GET /servers/{id}/channels. */
export async function listChannels(rt: Runtime, serverId: string, userId: string): Promise<ChannelObject[]> {
  const policy = await ServerPolicy.load(rt, serverId, userId);
  const channels = await listVisibleChannels(rt, policy);
  const overwrites = await rt.models.PermissionOverwrite.findAll({
    where: { channel_id: channels.map((c) => c.id) },
  });
  return channels.map((c) => presentChannel(c, overwrites));
}

/** GET /channels/{id}: a server channel the caller can view, or a private channel they are in. */
export async function getChannel(
  rt: Runtime,
  channelId: string,
  userId: string,
): Promise<ChannelObject | PrivateChannelObject> {
  const access = await loadChannel(rt, channelId, userId);
  if (access.policy === null) return presentPrivateChannel(access.channel, access.recipients, userId);
  await access.policy.requireChannel(access.channel);
  if (isThreadType(access.channel.channel_type)) return presentThreadChannel(rt, access.channel);
  const overwrites = await rt.models.PermissionOverwrite.findAll({ where: { channel_id: channelId } });
  return presentChannel(access.channel, overwrites);
}

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

/**
 * POST /servers/{id}/channels (MANAGE_CHANNELS). Without `position` the channel goes last. Audited
 * as channel_create; the members who can see it join its room, then receive CHANNEL_CREATE.
 */
export async function createChannel(
  rt: Runtime,
  serverId: string,
  actorId: string,
  body: ChannelCreate,
  reason: string | null,
): Promise<ChannelObject> {
  const policy = await ServerPolicy.load(rt, serverId, actorId);
  policy.require(Permission.MANAGE_CHANNELS);
  checkVoiceFields(body.channel_type, body);
  await checkParent(rt, serverId, body, body.parent_id);
  const { Channel } = rt.models;
  const id = rt.snowflake.next();
  const channel = await rt.sequelize.transaction(async (transaction) => {
    const last = await Channel.max<number | null, Row<'Channel'>>('position', {
      where: { server_id: serverId },
      transaction,
    });
    const position = body.position ?? (last ?? -1) + 1;
    const created = await Channel.create(
      {
        id,
        server_id: serverId,
        parent_id: body.parent_id ?? null,
        name: body.name,
        channel_type: body.channel_type,
        topic: body.topic ?? null,
        nsfw: body.nsfw ?? false,
        slowmode_seconds: body.slowmode_seconds ?? 0,
        position,
        ...(body.user_limit !== undefined ? { user_limit: body.user_limit } : {}),
        ...(body.bitrate !== undefined ? { bitrate: body.bitrate } : {}),
        created_at: new Date(decodeSnowflake(id).timestampMs),
      },
      { transaction },
    );
    await invalidate(rt, { channels: [id] }, transaction);
    // A channel created in a category starts with the category's overwrites (synced, as in
    // Discord); changing either later does not change the other.
    if (body.parent_id) {
      const inherited = await rt.models.PermissionOverwrite.findAll({
        where: { channel_id: body.parent_id },
        transaction,
      });
      await rt.models.PermissionOverwrite.bulkCreate(
        inherited.map((o) => ({
          channel_id: id,
          target_id: o.target_id,
          type: o.type,
          allow: o.allow,
          deny: o.deny,
        })),
        { transaction },
      );
    }
    await recordAudit(
      rt,
      {
        serverId,
        actorId,
        action: 'channel_create',
        targetType: 'channel',
        targetId: id,
        changes: diff({}, auditFields(created)),
        reason,
      },
      transaction,
    );
    return created;
  });
  await syncChannelRooms(rt, serverId, await memberIds(rt, serverId));
  const overwrites = await rt.models.PermissionOverwrite.findAll({ where: { channel_id: id } });
  const payload = presentChannel(channel, overwrites);
  await rt.events.dispatch([rooms.channel(id)], 'CHANNEL_CREATE', payload);
  await queueOutgoingEvent(rt, {
    type: 'CHANNEL_CREATE',
    server_id: serverId,
    channel_id: id,
    data: payload,
    key: `CHANNEL_CREATE-${id}`,
  });
  return payload;
}

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

/**
 * PATCH /channels/{id} (MANAGE_CHANNELS in the channel). Audited as channel_update with the diff.
 * A text channel's new name is announced in it by a `channel_name_change` system message
 * (content: the new name; author: the renamer).
 */
export async function updateChannel(
  rt: Runtime,
  channelId: string,
  actorId: string,
  patch: ChannelPatch,
  reason: string | null,
): Promise<ChannelObject> {
  const { channel, policy } = await requireServerChannel(rt, channelId, actorId, Permission.MANAGE_CHANNELS);
  const serverId = policy.server.id;
  checkVoiceFields(channel.channel_type, patch);
  await checkParent(rt, serverId, channel, patch.parent_id);
  const oldName = channel.name;
  const changed = await rt.sequelize.transaction((transaction) =>
    applyChannelPatch(rt, channel, patch, { serverId, actorId, reason }, transaction),
  );
  if (!changed) return presentChannel(channel);
  const payload = presentChannel(channel);
  await rt.events.dispatch([rooms.channel(channel.id)], 'CHANNEL_UPDATE', payload);
  await queueOutgoingEvent(rt, {
    type: 'CHANNEL_UPDATE',
    server_id: serverId,
    channel_id: channel.id,
    data: payload,
  });
  if (channel.name !== oldName && channel.channel_type === 'text') {
    await postSystemMessage(rt, {
      channel_id: channel.id,
      type: 'channel_name_change',
      author_id: actorId,
      content: channel.name,
    });
  }
  return payload;
}

/**
 * DELETE /channels/{id} (MANAGE_CHANNELS in the channel). Audited as channel_delete with the
 * channel's last fields. Its viewers receive CHANNEL_DELETE and leave its room; the channels of a
 * deleted category lose their parent and are announced with CHANNEL_UPDATE; the threads of a
 * deleted text channel are deleted with it (CHANNEL_DELETE of the parent says so).
 */
export async function deleteChannel(
  rt: Runtime,
  channelId: string,
  actorId: string,
  reason: string | null,
): Promise<void> {
  const { channel, policy } = await requireServerChannel(rt, channelId, actorId, Permission.MANAGE_CHANNELS);
  const serverId = policy.server.id;
  const { Channel } = rt.models;
  const before = auditFields(channel);
  const { orphans, threadIds, overwrites } = await rt.sequelize.transaction(async (transaction) => {
    // Outgoing webhooks judge who may hear of the deletion by the overwrites the channel had.
    const overwrites = await rt.models.PermissionOverwrite.findAll({
      where: { channel_id: channel.id },
      transaction,
    });
    const threadIds = await deleteThreadsOf(rt, channel.id, transaction);
    const children = await Channel.findAll({ where: { parent_id: channel.id }, transaction });
    await recordAudit(
      rt,
      {
        serverId,
        actorId,
        action: 'channel_delete',
        targetType: 'channel',
        targetId: channel.id,
        changes: Object.entries(before).map(([key, old]): AuditChange => ({ key, old })),
        reason,
      },
      transaction,
    );
    await channel.destroy({ transaction });
    // Its overwrites go by cascade, its children's parent_id by SET NULL: no model sees those.
    await invalidate(rt, { channels: [channel.id, ...children.map((c) => c.id)] }, transaction);
    return { orphans: children, threadIds, overwrites };
  });
  const room = rooms.channel(channel.id);
  // Its viewers see everyone leave it before it goes (they lose its room next).
  if (isVoiceChannelType(channel.channel_type)) await emptyVoiceChannel(rt, channel.id);
  await rt.events.dispatch([room], 'CHANNEL_DELETE', presentChannel(channel));
  await queueOutgoingEvent(rt, {
    type: 'CHANNEL_DELETE',
    server_id: serverId,
    channel_id: channel.id,
    data: presentChannel(channel, overwrites),
    key: `CHANNEL_DELETE-${channel.id}`,
  });
  await rt.events.leaveRooms(room, [room]);
  await forgetThreadRooms(rt, threadIds);
  for (const child of orphans) {
    await child.reload();
    const payload = presentChannel(child);
    await rt.events.dispatch([rooms.channel(child.id)], 'CHANNEL_UPDATE', payload);
    await queueOutgoingEvent(rt, {
      type: 'CHANNEL_UPDATE',
      server_id: serverId,
      channel_id: child.id,
      data: payload,
    });
  }
}

export interface PositionChange {
  id: string;
  position: number;
  parent_id?: string | null;
}

/**
 * PATCH /servers/{id}/channels: bulk reorder (MANAGE_CHANNELS). Every id must be a channel of the
 * server the caller can see (400 naming `<index>.id` otherwise). Each changed channel is audited
 * as channel_update and announced with CHANNEL_UPDATE.
 */
export async function reorderChannels(
  rt: Runtime,
  serverId: string,
  actorId: string,
  items: PositionChange[],
  reason: string | null,
): Promise<void> {
  const policy = await ServerPolicy.load(rt, serverId, actorId);
  policy.require(Permission.MANAGE_CHANNELS);
  const visible = new Map((await listVisibleChannels(rt, policy)).map((c) => [c.id, c]));
  const errors: Record<string, string> = {};
  items.forEach((item, i) => {
    if (!visible.has(item.id)) errors[`${i}.id`] = `${i}.id is not a channel of this server`;
  });
  if (Object.keys(errors).length > 0) throw new ValidationError(errors);
  for (const [i, item] of items.entries()) {
    const channel = visible.get(item.id) as Row<'Channel'>;
    await checkParent(rt, serverId, channel, item.parent_id, `${i}.parent_id`);
  }

  const changed = await rt.sequelize.transaction(async (transaction) => {
    const done: Row<'Channel'>[] = [];
    for (const item of items) {
      const channel = await rt.models.Channel.findOne({
        where: { id: item.id, server_id: serverId },
        transaction,
        lock: transaction.LOCK.UPDATE,
      });
      if (!channel) throw new NotFoundError('channel');
      const patch: { position: number; parent_id?: string | null } = { position: item.position };
      if (item.parent_id !== undefined) patch.parent_id = item.parent_id;
      if (await applyChannelPatch(rt, channel, patch, { serverId, actorId, reason }, transaction))
        done.push(channel);
    }
    return done;
  });
  for (const channel of changed) {
    const payload = presentChannel(channel);
    await rt.events.dispatch([rooms.channel(channel.id)], 'CHANNEL_UPDATE', payload);
    await queueOutgoingEvent(rt, {
      type: 'CHANNEL_UPDATE',
      server_id: serverId,
      channel_id: channel.id,
      data: payload,
    });
  }
}
