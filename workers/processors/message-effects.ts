import type { Transaction } from 'sequelize';
import type { Row } from '../../shared/db/models/index.js';
import type { Runtime } from '../../shared/runtime.js';
import {
  emitNotifications,
  findRecipients,
  recordNotifications,
  type MentionFacts,
  type Recipient,
} from './notifications.js';
import { queuePushes } from './push-triggers.js';
import { emitThreadActivity, recordThreadActivity, type ThreadActivity } from './thread-activity.js';

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
 * all: mentions and notifications, thread activity. (The author's own read position follows
 * after the commit: recordAuthorRead.)
 */
export async function applyMessageEffects(
  rt: Runtime,
  channel: Row<'Channel'>,
  message: Row<'Message'>,
  recipients: Recipient[],
  transaction: Transaction,
): Promise<StoredEffects> {
  const notifications = await recordNotifications(rt, message, channel.server_id, recipients, transaction);
  const thread = await recordThreadActivity(rt, channel, message, transaction);
  return { notifications, thread };
}

/**
 * After the commit and MESSAGE_CREATE. `effects` is null for a retried job whose first attempt
 * committed: its notifications are sent again (clients dedupe by id), as the message is; its
 * pushes are not (their job ids are per message and user).
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
  await queuePushes(rt, channel, message, notifications);
  await emitThreadActivity(rt, channel, effects?.thread ?? null, message.author_id);
}
