import type { Row } from '../../shared/db/models/index.js';
import { ApiError, MissingPermissionError, NotFoundError } from '../../shared/errors.js';
import {
  PRIVATE_CHANNEL_PERMISSIONS,
  Permission,
  ServerPolicy,
  has,
  loadMemberFacts,
  permissionNames,
  permissionSourceId,
} from '../../shared/permissions/index.js';
import { cachedChannelAccess } from '../../shared/permissions/facts-cache.js';
import { screeningKey } from '../../shared/automod/store.js';
import type { Runtime } from '../../shared/runtime.js';
import { prepared, runPrepared } from '../../shared/db/prepared.js';
import type { PrefetchContext } from '../routes/route.js';
import { assertThreadOpen, sendPermissionIn } from '../threads/posting.js';

/** The caller's standing in a channel they may read: the channel and their permissions there. */
export interface MessageAccess {
  channel: Row<'Channel'>;
  permissions: bigint;
  /** The server policy for server channels; null for DMs and notes. */
  policy: ServerPolicy | null;
  /** Whether the server's messages go through AutoMod, when read with the rest (else undefined). */
  screening?: boolean;
}

/**
 * A private channel's recipients ($1), each with whether it and the caller ($2) blocked one
 * another (isBlockedEitherWay): one prepared statement instead of two ORM queries per request.
 */
const RECIPIENTS = prepared<{ user_id: string; blocked: boolean }>(
  'message_access_recipients',
  `SELECT r.user_id,
          EXISTS (SELECT 1 FROM relationships x
                   WHERE x.status = 'blocked'
                     AND ((x.user_id = $2 AND x.target_id = r.user_id)
                       OR (x.user_id = r.user_id AND x.target_id = $2))) AS blocked
     FROM channel_recipients r WHERE r.channel_id = $1`,
);

const MESSAGE_CHANNEL_TYPES = new Set(['text', 'dm', 'notes', 'public_thread', 'private_thread']);

/**
 * Resolves a channel for messaging: 404 when it does not exist or the caller cannot view it (or is
 * not a DM recipient), 400 for channels without messages (voice, category), 403 naming what is
 * missing from `needed`. In a DM where either user blocked the other, nobody may send. A thread
 * is read with its parent's permissions; sending there needs SEND_MESSAGES_IN_THREADS instead of
 * SEND_MESSAGES, and a locked thread takes messages only from those with MANAGE_THREADS.
 */
export async function messageAccess(
  rt: Runtime,
  channelId: string,
  userId: string,
  needed: bigint = Permission.VIEW_CHANNEL,
): Promise<MessageAccess> {
  // Every message route starts here: the channel row, and in a server channel the caller's facts,
  // the overwrites that decide there and the AutoMod flag, in one cache read (facts-cache.ts).
  const prefix = rt.config.redis.key_prefix;
  const read = await cachedChannelAccess(rt, channelId, userId, {
    loadFacts: (serverId) => loadMemberFacts(rt.models, serverId, userId),
    sourceOf: permissionSourceId,
    extraKeys: (serverId) => [screeningKey(prefix, serverId)],
  });
  const channel = read.channel;
  if (!channel) throw new NotFoundError('channel');
  let access: MessageAccess;
  if (channel.server_id === null) {
    const recipients = await runPrepared(rt.sequelize, RECIPIENTS, [channel.id, userId]);
    if (!recipients.some((r) => r.user_id === userId)) throw new NotFoundError('channel');
    let permissions = PRIVATE_CHANNEL_PERMISSIONS;
    const other = recipients.find((r) => r.user_id !== userId);
    if (channel.channel_type === 'dm' && other?.blocked) {
      if (has(needed, Permission.SEND_MESSAGES)) {
        throw new ApiError(403, 'cannot_message_user', 'You cannot send messages to this user');
      }
      permissions &= ~Permission.SEND_MESSAGES;
    }
    access = { channel, permissions, policy: null };
  } else {
    // Facts and overwrites read (requireChannel then reads nothing more): with the channel, or
    // in a round trip of their own when its row was not cached.
    const server = read.server;
    const policy = await (
      server
        ? server().then((facts) => ServerPolicy.inChannel(rt, facts))
        : ServerPolicy.loadInChannel(rt, channel.server_id, userId, channel)
    ).catch(() => {
      throw new NotFoundError('channel');
    });
    const screening = read.extras ? read.extras[0] !== null : undefined;
    access = { channel, permissions: await policy.requireChannel(channel), policy, screening };
  }
  if (!MESSAGE_CHANNEL_TYPES.has(channel.channel_type)) {
    throw new ApiError(400, 'invalid_channel_type', `A ${channel.channel_type} channel has no messages`, {
      channel_id: `is a ${channel.channel_type} channel`,
    });
  }
  const required = sendPermissionIn(channel, needed);
  if (!has(access.permissions, required)) {
    throw new MissingPermissionError(permissionNames(required & ~access.permissions).join(', '));
  }
  if (required !== needed) await assertThreadOpen(rt, channel, access.permissions);
  return access;
}

/**
 * messageAccess in the route's `channel_id` as a route's prefetch (api/routes/route.ts): it waits
 * beside the rate limit. `extra` adds to `needed` by request (a multipart send's ATTACH_FILES); the
 * handler awaits `ctx.prefetched` as Promise<MessageAccess>.
 */
export function messageAccessPrefetch(
  rt: Runtime,
  needed: bigint,
  extra?: (req: PrefetchContext<unknown>['req']) => bigint,
): (ctx: PrefetchContext<{ channel_id: string }>) => Promise<MessageAccess> {
  return ({ params, auth, req }) =>
    messageAccess(rt, params.channel_id, auth.user.id, needed | (extra?.(req) ?? 0n));
}
