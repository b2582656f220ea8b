import type { Transaction } from 'sequelize';
import type { Attributes, Row } from '../../db/models/index.js';
import type { Effects } from '../../outbox/index.js';
import type { Runtime } from '../../runtime.js';
import {
  findRecipients,
  notificationEffects,
  recordNotifications,
  type MentionFacts,
  type Recipient,
} from './notifications.js';
import { pushJobsFor, type PushJobSpec } from './push-triggers.js';
import { recordThreadActivity, threadActivityEffects } from '../threads/activity.js';

/** What a message will cause, read before its transaction: who it notifies and pushes to. */
export interface PreparedEffects {
  recipients: Recipient[];
  pushes: PushJobSpec[];
}

/** Before the insert (reads only, outside the transaction): who the message will notify and push to. */
export async function prepareMessageEffects(
  rt: Runtime,
  channel: Attributes<'Channel'>,
  facts: MentionFacts & { id: string; channel_id: string },
): Promise<PreparedEffects> {
  const recipients = await findRecipients(rt, channel, facts);
  const pushes = await pushJobsFor(rt, channel, facts, recipients);
  return { recipients, pushes };
}

/**
 * In the insert's transaction, so a message and its consequences are stored together or not at
 * all: mentions and notifications, thread activity, and their effects (NOTIFICATION_CREATE,
 * pushes, thread events), relayed after MESSAGE_CREATE. (The author's own read position follows
 * after the commit: recordAuthorRead.)
 */
export async function applyMessageEffects(
  rt: Runtime,
  fx: Effects,
  channel: Row<'Channel'>,
  message: Row<'Message'>,
  prepared: PreparedEffects,
  transaction: Transaction,
): Promise<void> {
  const notifications = await recordNotifications(
    rt,
    message,
    channel.server_id,
    prepared.recipients,
    transaction,
  );
  const thread = await recordThreadActivity(rt, channel, message, transaction);
  await notificationEffects(rt, fx, message, notifications, transaction);
  pushEffects(fx, prepared);
  threadActivityEffects(fx, channel, thread, message.author_id);
}

/** The push jobs prepared for a message, as effects of its command. */
export function pushEffects(fx: Effects, prepared: PreparedEffects): void {
  for (const push of prepared.pushes) fx.job('push', 'message', push.data, { jobId: push.jobId });
}
