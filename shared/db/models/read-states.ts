import {
  DataTypes,
  Model,
  type CreationOptional,
  type InferAttributes,
  type InferCreationAttributes,
  type Sequelize,
} from 'sequelize';
import { createdAt, nullable, snowflakeId } from './columns.js';

/**
 * Why a user was notified: of a message (`mention`, `reply`), or that an outgoing event webhook they
 * created was disabled after failing deliveries (`webhook_disabled`: no message, channel or author).
 */
export const NOTIFICATION_TYPES = ['mention', 'reply', 'webhook_disabled'] as const;
export type NotificationType = (typeof NOTIFICATION_TYPES)[number];

/** Defines the per-user reading tables: read positions per channel, and mention/reply notifications. */
export function defineReadStateModels(sequelize: Sequelize) {
  class ReadState extends Model<InferAttributes<ReadState>, InferCreationAttributes<ReadState>> {
    declare user_id: string;
    declare channel_id: string;
    declare last_read_message_id: CreationOptional<string | null>;
    declare mention_count: CreationOptional<number>;
    declare updated_at: CreationOptional<Date>;
  }
  ReadState.init(
    {
      user_id: { type: DataTypes.BIGINT, primaryKey: true },
      channel_id: { type: DataTypes.BIGINT, primaryKey: true },
      last_read_message_id: nullable(DataTypes.BIGINT),
      mention_count: { type: DataTypes.INTEGER, allowNull: false, defaultValue: 0 },
      updated_at: { type: DataTypes.DATE, allowNull: false, defaultValue: DataTypes.NOW },
    },
    { sequelize, tableName: 'read_states', modelName: 'ReadState', timestamps: false },
  );

  class Notification extends Model<InferAttributes<Notification>, InferCreationAttributes<Notification>> {
    declare id: string;
    declare user_id: string;
    declare type: NotificationType;
    declare message_id: CreationOptional<string | null>;
    declare channel_id: CreationOptional<string | null>;
    declare server_id: string | null;
    declare author_id: CreationOptional<string | null>;
    /** webhook_disabled: the event webhook concerned. */
    declare webhook_id: CreationOptional<string | null>;
    /** webhook_disabled: what it said then (`{url, reason}`). */
    declare detail: CreationOptional<Record<string, unknown> | null>;
    declare created_at: Date;
    declare read: CreationOptional<boolean>;
  }
  Notification.init(
    {
      id: snowflakeId(),
      user_id: { type: DataTypes.BIGINT, allowNull: false },
      type: { type: DataTypes.STRING(16), allowNull: false },
      message_id: nullable(DataTypes.BIGINT),
      channel_id: nullable(DataTypes.BIGINT),
      server_id: nullable(DataTypes.BIGINT),
      author_id: nullable(DataTypes.BIGINT),
      webhook_id: nullable(DataTypes.BIGINT),
      detail: nullable(DataTypes.JSONB),
      created_at: createdAt(),
      read: { type: DataTypes.BOOLEAN, allowNull: false, defaultValue: false },
    },
    { sequelize, tableName: 'notifications', modelName: 'Notification', timestamps: false },
  );

  return { ReadState, Notification };
}
