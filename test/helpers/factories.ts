import crypto from 'node:crypto';
import type { Runtime } from '../../shared/runtime.js';
import { invalidate } from '../../shared/domain/invalidation.js';
import { DEFAULT_EVERYONE_PERMISSIONS } from '../../shared/permissions/index.js';
import { decodeSnowflake } from '../../shared/snowflake.js';

/** created_at agrees with the id's timestamp, as in the API. */
function createdAt(id: string): Date {
  return new Date(decodeSnowflake(id).timestampMs);
}

/** A user row with a unique name. */
export async function createUser(rt: Runtime, fields: { username?: string } = {}) {
  const id = rt.snowflake.next();
  return rt.models.User.create({
    id,
    username: fields.username ?? `user_${crypto.randomBytes(5).toString('hex')}`,
    created_at: createdAt(id),
  });
}

/** A server owned by `ownerId`, with its owner as a member and one text channel. */
export async function createServerWithChannel(rt: Runtime, ownerId: string) {
  const { Server, Channel, Member } = rt.models;
  const serverId = rt.snowflake.next();
  const server = await Server.create({
    id: serverId,
    name: 'Test server',
    owner_id: ownerId,
    created_at: createdAt(serverId),
  });
  await rt.models.Role.create({
    id: serverId,
    server_id: serverId,
    name: '@everyone',
    permissions: String(DEFAULT_EVERYONE_PERMISSIONS),
    created_at: createdAt(serverId),
  });
  await Member.create({ server_id: serverId, user_id: ownerId });
  const channelId = rt.snowflake.next();
  const channel = await Channel.create({
    id: channelId,
    server_id: serverId,
    name: 'general',
    channel_type: 'text',
    created_at: createdAt(channelId),
  });
  // Rows written here, as anywhere, say what they moved.
  await invalidate(rt, { servers: [serverId], channels: [channelId] });
  return { server, channel };
}

/** An invite row to `channelId` of `serverId` (a random code; `max_uses` 0 is unlimited). */
export async function createInvite(
  rt: Runtime,
  fields: { serverId: string; channelId: string; maxUses?: number; expiresAt?: Date | null },
) {
  return rt.models.Invite.create({
    code: crypto.randomBytes(6).toString('hex'),
    server_id: fields.serverId,
    channel_id: fields.channelId,
    max_uses: fields.maxUses ?? 0,
    expires_at: fields.expiresAt ?? null,
  });
}
