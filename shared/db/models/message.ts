import type { AttachmentObject } from '../../presenters/types.js';
import {
  DataTypes,
  Model,
  type CreationOptional,
  type InferAttributes,
  type InferCreationAttributes,
  type Sequelize,
} from 'sequelize';
import { createdAt, nullable, snowflakeId } from './columns.js';

/** An attachment as stored on a message (filled in by the media pipeline). */
export type StoredAttachment = AttachmentObject;

/** The name and avatar an incoming webhook posted a message under. */
export interface WebhookAuthor {
  username: string;
  avatar_url: string | null;
}

/** The interaction a bot's message answers: its id, the command's name and who invoked it. */
export interface MessageInteraction {
  id: string;
  name: string;
  user_id: string;
}

/** Defines the `messages` model. */
export function defineMessage(sequelize: Sequelize) {
  class Message extends Model<InferAttributes<Message>, InferCreationAttributes<Message>> {
    declare id: string;
    declare channel_id: string;
    declare author_id: string;
    declare type: CreationOptional<string>;
    declare content: CreationOptional<string>;
    declare nonce: CreationOptional<string | null>;
    /** The nonce was sent as an integer (its digits are in `nonce`) and is answered as one. */
    declare nonce_is_integer: CreationOptional<boolean>;
    declare attachments: CreationOptional<StoredAttachment[]>;
    declare embeds: CreationOptional<Record<string, unknown>[]>;
    declare pinned: CreationOptional<boolean>;
    /** When it was pinned; null when it is not. */
    declare pinned_at: CreationOptional<Date | null>;
    declare created_at: Date;
    declare edited_at: CreationOptional<Date | null>;
    declare content_html: CreationOptional<string>;
    declare mentions: CreationOptional<string[]>;
    declare mention_roles: CreationOptional<string[]>;
    declare mention_everyone: CreationOptional<boolean>;
    declare reply_to: CreationOptional<string | null>;
    /** The thread this message started (or, for a thread_created notice, announces). */
    declare thread_id: CreationOptional<string | null>;
    /** The incoming webhook that posted it (author_id is then the webhook's creator). */
    declare webhook_id: CreationOptional<string | null>;
    /** The name and avatar a webhook message was posted under. */
    declare webhook_author: CreationOptional<WebhookAuthor | null>;
    /** Set on a bot's answer to a slash command (the interaction it answers). */
    declare interaction: CreationOptional<MessageInteraction | null>;
  }
  Message.init(
    {
      id: snowflakeId(),
      channel_id: { type: DataTypes.BIGINT, allowNull: false },
      author_id: { type: DataTypes.BIGINT, allowNull: false },
      type: { type: DataTypes.STRING(32), allowNull: false, defaultValue: 'default' },
      content: { type: DataTypes.TEXT, allowNull: false, defaultValue: '' },
      nonce: nullable(DataTypes.STRING(64)),
      nonce_is_integer: { type: DataTypes.BOOLEAN, allowNull: false, defaultValue: false },
      attachments: { type: DataTypes.JSONB, allowNull: false, defaultValue: [] },
      embeds: { type: DataTypes.JSONB, allowNull: false, defaultValue: [] },
      pinned: { type: DataTypes.BOOLEAN, allowNull: false, defaultValue: false },
      pinned_at: nullable(DataTypes.DATE),
      created_at: createdAt(),
      edited_at: nullable(DataTypes.DATE),
      content_html: { type: DataTypes.TEXT, allowNull: false, defaultValue: '' },
      mentions: { type: DataTypes.ARRAY(DataTypes.BIGINT), allowNull: false, defaultValue: [] },
      mention_roles: { type: DataTypes.ARRAY(DataTypes.BIGINT), allowNull: false, defaultValue: [] },
      mention_everyone: { type: DataTypes.BOOLEAN, allowNull: false, defaultValue: false },
      reply_to: nullable(DataTypes.BIGINT),
      thread_id: nullable(DataTypes.BIGINT),
      webhook_id: nullable(DataTypes.BIGINT),
      webhook_author: nullable(DataTypes.JSONB),
      interaction: nullable(DataTypes.JSONB),
    },
    { sequelize, tableName: 'messages', modelName: 'Message', timestamps: false },
  );
  return Message;
}
