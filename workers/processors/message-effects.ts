import type { Transaction } from 'sequelize';
import type { Row } from '../../shared/db/models/index.js';
import type { Runtime } from '../../shared/runtime.js';
import { forgetChannelActivity, recordChannelActivity } from './channel-activity.js';
import {
  emitNotifications,
  findRecipients,
  forgetMentions,
  recordNotifications,
  type MentionFacts,
  type Recipient,
} from './notifications.js';
import {
  emitThreadActivity,
  forgetThreadMessage,
  recordThreadActivity,
  type ThreadActivity,
} from './thread-activity.js';

/** What storing a message changed besides the message row, for the events after the commit. */
export interface StoredEffects {
  notifications: Row<'Notification'>[];
  thread: ThreadActivity | null;
}

/** Before the insert (reads only, outside the transaction): who the message will notify. */
export function prepareMessageEffects(
  rt: Runtime,
  channel: Row<'Channel'>,
  facts: MentionFacts,
): Promise<Recipient[]> {
  return findRecipients(rt, channel, facts);
}

/**
 * In the insert's transaction, so a message and its consequences are stored together or not at
 * all: the channel's latest message and the author's read position, mentions and notifications,
 * thread activity.
 */
export async function applyMessageEffects(
  rt: Runtime,
  channel: Row<'Channel'>,
  message: Row<'Message'>,
  recipients: Recipient[],
  transaction: Transaction,
): Promise<StoredEffects> {
  await recordChannelActivity(rt, message, transaction);
  const notifications = await recordNotifications(rt, message, channel.server_id, recipients, transaction);
  const thread = await recordThreadActivity(rt, channel, message, transaction);
  return { notifications, thread };
}

/**
 * After the commit and MESSAGE_CREATE. `effects` is null for a retried job whose first attempt
 * committed: its notifications are sent again (clients dedupe by id), as the message is.
 */
export async function emitMessageEffects(
  rt: Runtime,
  channel: Row<'Channel'>,
  message: Row<'Message'>,
  effects: StoredEffects | null,
): Promise<void> {
  const notifications =
    effects?.notifications ?? (await rt.models.Notification.findAll({ where: { message_id: message.id } }));
  await emitNotifications(rt, message, notifications);
  await emitThreadActivity(rt, channel, effects?.thread ?? null, message.author_id);
}

/**
 * Deletes a message with its consequences in one transaction: unread mentions of it stop counting,
 * the channel's latest message and a thread's count follow. Returns whether it existed.
 */
export async function deleteMessageWithEffects(
  rt: Runtime,
  channelId: string,
  messageId: string,
): Promise<boolean> {
  return rt.sequelize.transaction(async (transaction) => {
    await forgetMentions(rt, messageId, transaction);
    const deleted = await rt.models.Message.destroy({
      where: { id: messageId, channel_id: channelId },
      transaction,
    });
    if (deleted === 0) return false;
    await forgetChannelActivity(rt, channelId, messageId, transaction);
    await forgetThreadMessage(rt, channelId, transaction);
    return true;
  });
}
