import type { Row } from '../db/models/index.js';
import type { Runtime } from '../runtime.js';
import { rooms } from './dispatch-map.js';

/**
 * Broadcasts TYPING_START for `userId` in `channel` (the caller checked SEND_MESSAGES), at most
 * once per gateway.typing_throttle_seconds per user and channel across every process: a repeat
 * within the window is coalesced into the one already sent (clients repeat typing while the user
 * types, as Discord's do; each call still counts against the route's rate limit). Returns whether
 * this call broadcast.
 */
export async function startTyping(
  rt: Pick<Runtime, 'redis' | 'config' | 'events'>,
  userId: string,
  channel: Row<'Channel'>,
): Promise<boolean> {
  const windowMs = Math.round(rt.config.gateway.typing_throttle_seconds * 1000);
  if (windowMs > 0) {
    const key = `${rt.config.redis.key_prefix}:typing:${userId}:${channel.id}`;
    if ((await rt.redis.set(key, '1', 'PX', windowMs, 'NX')) === null) return false;
  }
  await rt.events.dispatch([rooms.channel(channel.id)], 'TYPING_START', {
    channel_id: channel.id,
    server_id: channel.server_id,
    user_id: userId,
    timestamp: Math.floor(Date.now() / 1000),
  });
  return true;
}
