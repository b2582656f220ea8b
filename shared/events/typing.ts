import type { Row } from '../db/models/index.js';
import type { Runtime } from '../runtime.js';
import { rooms } from './dispatch-map.js';

/**
 * Broadcasts TYPING_START for `userId` in `channel` (the caller checked SEND_MESSAGES), at most
 * once per gateway.typing_throttle_seconds per user and channel across every process. Returns
 * null when sent, or the seconds to wait when throttled.
 */
export async function startTyping(
  rt: Pick<Runtime, 'redis' | 'config' | 'events'>,
  userId: string,
  channel: Row<'Channel'>,
): Promise<number | null> {
  const windowMs = Math.round(rt.config.gateway.typing_throttle_seconds * 1000);
  if (windowMs > 0) {
    const key = `${rt.config.redis.key_prefix}:typing:${userId}:${channel.id}`;
    const set = await rt.redis.set(key, '1', 'PX', windowMs, 'NX');
    if (set === null) {
      const left = await rt.redis.pttl(key);
      return Math.max(0.001, left / 1000);
    }
  }
  await rt.events.dispatch([rooms.channel(channel.id)], 'TYPING_START', {
    channel_id: channel.id,
    server_id: channel.server_id,
    user_id: userId,
    timestamp: Math.floor(Date.now() / 1000),
  });
  return null;
}
