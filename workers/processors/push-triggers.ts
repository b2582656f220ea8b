import type { Row } from '../../shared/db/models/index.js';
import { mutedAmong } from '../../shared/push/mutes.js';
import { usersWithSubscriptions } from '../../shared/push/subscribers.js';
import { pushJobId, type PushJob, type PushReason } from '../../shared/queues/index.js';
import type { Runtime } from '../../shared/runtime.js';

/** Message types people write; system notices (pins, joins, thread notices) push nothing. */
const PUSHED_TYPES = new Set(['default', 'reply']);

/** The other people in a private channel: a DM names both in its key, a group reads its recipients. */
async function privateRecipients(rt: Runtime, channel: Row<'Channel'>): Promise<string[]> {
  const pair = /^dm:(\d+):(\d+)$/.exec(channel.private_key ?? '');
  if (channel.channel_type === 'dm' && pair) return [pair[1] as string, pair[2] as string];
  const rows = await rt.models.ChannelRecipient.findAll({
    where: { channel_id: channel.id },
    attributes: ['user_id'],
  });
  return rows.map((r) => r.user_id);
}

/**
 * After a message is stored and delivered: queues a `push` job for each person it concerns (its
 * mention and reply notifications; every other recipient of a DM) who has a push subscription
 * and has not muted the channel. The common case (nobody to notify) costs nothing; otherwise one
 * MGET of cached flags, one mute query for the subscribed few and one queue round trip. Whether
 * they are connected is left to the push worker, which asks right before sending. Best effort:
 * a failure is logged and never fails the message.
 */
export async function queuePushes(
  rt: Runtime,
  channel: Row<'Channel'>,
  message: Row<'Message'>,
  notifications: Row<'Notification'>[],
): Promise<void> {
  if (!rt.config.push.enabled || !PUSHED_TYPES.has(message.type)) return;
  const reasons = new Map<string, PushReason>();
  try {
    if (channel.server_id === null) {
      if (channel.channel_type === 'notes') return;
      for (const userId of await privateRecipients(rt, channel)) {
        if (userId !== message.author_id) reasons.set(userId, 'dm');
      }
    } else {
      for (const n of notifications) {
        // Only notifications about a message written to the user.
        if (n.type === 'mention' || n.type === 'reply') reasons.set(n.user_id, n.type);
      }
    }
    if (reasons.size === 0) return;
    const subscribed = await usersWithSubscriptions(rt, [...reasons.keys()]);
    if (subscribed.size === 0) return;
    const muted = await mutedAmong(rt, channel, [...subscribed]);
    const jobs = [...subscribed]
      .filter((userId) => !muted.has(userId))
      .map((userId) => {
        const data: PushJob = {
          kind: 'message',
          user_id: userId,
          message_id: message.id,
          channel_id: message.channel_id,
          server_id: channel.server_id,
          type: reasons.get(userId) ?? 'mention',
        };
        return { name: 'message', data, opts: { jobId: pushJobId(message.id, userId) } };
      });
    if (jobs.length > 0) await rt.queues.push.addBulk(jobs);
  } catch (err) {
    rt.logger.warn(
      { err: (err as Error).message, message: message.id },
      'could not queue push notifications',
    );
  }
}
