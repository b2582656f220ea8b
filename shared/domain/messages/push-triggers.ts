import type { Attributes } from '../../db/models/index.js';
import { mutedAmong } from '../../push/mutes.js';
import { usersWithSubscriptions } from '../../push/subscribers.js';
import { pushJobId, type PushJob, type PushReason } from '../../queues/index.js';
import type { Runtime } from '../../runtime.js';

/** Message types people write; system notices (pins, joins, thread notices) push nothing. */
const PUSHED_TYPES = new Set(['default', 'reply']);

/** The other people in a private channel: a DM names both in its key, a group reads its recipients. */
async function privateRecipients(rt: Runtime, channel: Attributes<'Channel'>): Promise<string[]> {
  const pair = /^dm:(\d+):(\d+)$/.exec(channel.private_key ?? '');
  if (channel.channel_type === 'dm' && pair) return [pair[1] as string, pair[2] as string];
  const rows = await rt.models.ChannelRecipient.findAll({
    where: { channel_id: channel.id },
    attributes: ['user_id'],
  });
  return rows.map((r) => r.user_id);
}

/** The fields of a message that decide its pushes (known before it is stored). */
export interface PushedMessage {
  id: string;
  channel_id: string;
  author_id: string;
  type: string;
}

/** One push job to queue: its payload and its id (per message and user). */
export interface PushJobSpec {
  data: PushJob;
  jobId: string;
}

/**
 * The `push` jobs a message causes, for its command to queue as effects: one for each person it
 * concerns (its mention and reply recipients; every other recipient of a DM) who has a push
 * subscription and has not muted the channel. Read before the message's transaction. The common
 * case (nobody to notify) costs nothing; otherwise one MGET of cached flags and one mute query for
 * the subscribed few. Whether they are connected is left to the push worker, which asks right
 * before sending. Best effort: a failure is logged and never fails the message.
 */
export async function pushJobsFor(
  rt: Runtime,
  channel: Attributes<'Channel'>,
  message: PushedMessage,
  recipients: { userId: string; type: string }[],
): Promise<PushJobSpec[]> {
  if (!rt.config.push.enabled || !PUSHED_TYPES.has(message.type)) return [];
  const reasons = new Map<string, PushReason>();
  try {
    if (channel.server_id === null) {
      if (channel.channel_type === 'notes') return [];
      for (const userId of await privateRecipients(rt, channel)) {
        if (userId !== message.author_id) reasons.set(userId, 'dm');
      }
    } else {
      for (const r of recipients) {
        // Only notifications about a message written to the user.
        if (r.type === 'mention' || r.type === 'reply') reasons.set(r.userId, r.type);
      }
    }
    if (reasons.size === 0) return [];
    const subscribed = await usersWithSubscriptions(rt, [...reasons.keys()]);
    if (subscribed.size === 0) return [];
    const muted = await mutedAmong(rt, channel, [...subscribed]);
    return [...subscribed]
      .filter((userId) => !muted.has(userId))
      .map((userId) => ({
        data: {
          kind: 'message',
          user_id: userId,
          message_id: message.id,
          channel_id: message.channel_id,
          server_id: channel.server_id,
          type: reasons.get(userId) ?? 'mention',
        },
        jobId: pushJobId(message.id, userId),
      }));
  } catch (err) {
    rt.logger.warn(
      { err: (err as Error).message, message: message.id },
      'could not prepare push notifications',
    );
    return [];
  }
}
