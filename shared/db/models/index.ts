import type { InferAttributes, Sequelize } from 'sequelize';
import { defineAccountModels } from './accounts.js';
import { defineAccountLifecycleModels } from './account-lifecycle.js';
import { defineAccountToken } from './account-token.js';
import { defineApplication } from './application.js';
import { defineReport } from './report.js';
import { defineAutomodRule } from './automod-rule.js';
import { defineApplicationCommand } from './application-command.js';
import { defineChannel } from './channel.js';
import { defineMember } from './member.js';
import { defineMessage } from './message.js';
import { defineMessageReaction } from './message-reaction.js';
import { defineOAuth2Models } from './oauth2.js';
import { defineAttachment } from './attachment.js';
import { defineEmoji } from './emoji.js';
import { defineEventWebhookModels } from './event-webhook.js';
import { defineInteractionDelivery } from './interaction-delivery.js';
import { definePushModels } from './push.js';
import { defineReadStateModels } from './read-states.js';
import { defineRole } from './role.js';
import { defineServer } from './server.js';
import { defineServerModels } from './servers.js';
import { defineSession } from './session.js';
import { defineThreadModels } from './threads.js';
import { defineUser } from './user.js';
import { defineWebhook } from './webhook.js';

export { CHANNEL_TYPES, THREAD_CHANNEL_TYPES, isThreadType, type ChannelType } from './channel.js';
export { AUTO_ARCHIVE_MINUTES } from './threads.js';
export { NOTIFICATION_TYPES, type NotificationType } from './read-states.js';
export {
  REPORT_ACTIONS,
  REPORT_STATUSES,
  type ReportAction,
  type ReportNote,
  type ReportStatus,
} from './report.js';
export { DELIVERY_STATUSES, type DeliveryStatus } from './event-webhook.js';
export type { DeliveryAttempt } from './interaction-delivery.js';
export type { MessageInteraction, StoredAttachment } from './message.js';
export {
  COMMAND_OPTION_TYPES,
  type CommandOption,
  type CommandOptionChoice,
  type CommandOptionType,
} from './application-command.js';
export { RELATIONSHIP_STATUSES, type RelationshipStatus } from './accounts.js';
export { EXPORT_STATUSES, type ExportStatus } from './account-lifecycle.js';
export { ACCOUNT_TOKEN_PURPOSES, type AccountTokenPurpose } from './account-token.js';

/**
 * Defines every model on one Sequelize instance. Models are per instance (not module globals) so
 * several apps with their own pools can live in one process, as the tests do.
 */
export function defineModels(sequelize: Sequelize) {
  const { Member, MemberRole } = defineMember(sequelize);
  return {
    User: defineUser(sequelize),
    Session: defineSession(sequelize),
    Server: defineServer(sequelize),
    Channel: defineChannel(sequelize),
    Role: defineRole(sequelize),
    Member,
    MemberRole,
    Message: defineMessage(sequelize),
    MessageReaction: defineMessageReaction(sequelize),
    Attachment: defineAttachment(sequelize),
    Emoji: defineEmoji(sequelize),
    Webhook: defineWebhook(sequelize),
    Application: defineApplication(sequelize),
    Report: defineReport(sequelize),
    AutomodRule: defineAutomodRule(sequelize),
    ApplicationCommand: defineApplicationCommand(sequelize),
    InteractionDelivery: defineInteractionDelivery(sequelize),
    AccountToken: defineAccountToken(sequelize),
    ...defineAccountModels(sequelize),
    ...defineServerModels(sequelize),
    ...defineThreadModels(sequelize),
    ...defineReadStateModels(sequelize),
    ...defineOAuth2Models(sequelize),
    ...defineEventWebhookModels(sequelize),
    ...definePushModels(sequelize),
    ...defineAccountLifecycleModels(sequelize),
  };
}

/** The models of one Sequelize instance. */
export type Models = ReturnType<typeof defineModels>;
/** A row of one model, e.g. `Row<'Message'>`. */
export type Row<K extends keyof Models> = InstanceType<Models[K]>;
/** A row's attributes as plain data (a prepared statement's row; a model instance is one too). */
export type Attributes<K extends keyof Models> = InferAttributes<Row<K>>;

/** The user columns that are secrets: never presented, never copied to a cache. */
export const SECRET_USER_FIELDS = [
  'password_hash',
  'mfa_secret',
  'mfa_pending_secret',
  'mfa_last_time_step',
] as const;
/** A user row without its secrets: all that presenting or authorizing a user reads. */
export type UserView = Omit<Attributes<'User'>, (typeof SECRET_USER_FIELDS)[number]>;
