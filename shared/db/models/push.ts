import {
  DataTypes,
  Model,
  type CreationOptional,
  type InferAttributes,
  type InferCreationAttributes,
  type Sequelize,
} from 'sequelize';
import { createdAt, nullable, snowflakeId } from './columns.js';

/** Defines the Web Push tables: users' push subscriptions and their server and channel mutes. */
export function definePushModels(sequelize: Sequelize) {
  class PushSubscription extends Model<
    InferAttributes<PushSubscription>,
    InferCreationAttributes<PushSubscription>
  > {
    declare id: string;
    declare user_id: string;
    /** The session that registered it; revoking the session deletes it. */
    declare session_id: string;
    /** The push service URL the browser handed out (a capability: never shown to anyone else). */
    declare endpoint: string;
    /** The browser's P-256 public key (base64url, 65 bytes uncompressed). */
    declare p256dh: string;
    /** The browser's auth secret (base64url, 16 bytes). */
    declare auth: string;
    declare user_agent: CreationOptional<string | null>;
    declare created_at: Date;
    /** When the client last registered it. */
    declare updated_at: Date;
    declare last_success_at: CreationOptional<Date | null>;
    /** Refused deliveries in a row; reset by a success. */
    declare failure_count: CreationOptional<number>;
  }
  PushSubscription.init(
    {
      id: snowflakeId(),
      user_id: { type: DataTypes.BIGINT, allowNull: false },
      session_id: { type: DataTypes.BIGINT, allowNull: false },
      endpoint: { type: DataTypes.STRING(2048), allowNull: false },
      p256dh: { type: DataTypes.STRING(128), allowNull: false },
      auth: { type: DataTypes.STRING(64), allowNull: false },
      user_agent: nullable(DataTypes.STRING(512)),
      created_at: createdAt(),
      updated_at: { type: DataTypes.DATE, allowNull: false },
      last_success_at: nullable(DataTypes.DATE),
      failure_count: { type: DataTypes.INTEGER, allowNull: false, defaultValue: 0 },
    },
    { sequelize, tableName: 'push_subscriptions', modelName: 'PushSubscription', timestamps: false },
  );

  class ServerNotificationSetting extends Model<
    InferAttributes<ServerNotificationSetting>,
    InferCreationAttributes<ServerNotificationSetting>
  > {
    declare user_id: string;
    declare server_id: string;
    declare muted: boolean;
    declare muted_until: CreationOptional<Date | null>;
    declare updated_at: CreationOptional<Date>;
  }
  ServerNotificationSetting.init(
    {
      user_id: { type: DataTypes.BIGINT, primaryKey: true },
      server_id: { type: DataTypes.BIGINT, primaryKey: true },
      muted: { type: DataTypes.BOOLEAN, allowNull: false },
      muted_until: nullable(DataTypes.DATE),
      updated_at: { type: DataTypes.DATE, allowNull: false, defaultValue: DataTypes.NOW },
    },
    {
      sequelize,
      tableName: 'server_notification_settings',
      modelName: 'ServerNotificationSetting',
      timestamps: false,
    },
  );

  class ChannelNotificationSetting extends Model<
    InferAttributes<ChannelNotificationSetting>,
    InferCreationAttributes<ChannelNotificationSetting>
  > {
    declare user_id: string;
    declare channel_id: string;
    declare muted: boolean;
    declare muted_until: CreationOptional<Date | null>;
    declare updated_at: CreationOptional<Date>;
  }
  ChannelNotificationSetting.init(
    {
      user_id: { type: DataTypes.BIGINT, primaryKey: true },
      channel_id: { type: DataTypes.BIGINT, primaryKey: true },
      muted: { type: DataTypes.BOOLEAN, allowNull: false },
      muted_until: nullable(DataTypes.DATE),
      updated_at: { type: DataTypes.DATE, allowNull: false, defaultValue: DataTypes.NOW },
    },
    {
      sequelize,
      tableName: 'channel_notification_settings',
      modelName: 'ChannelNotificationSetting',
      timestamps: false,
    },
  );

  return { PushSubscription, ServerNotificationSetting, ChannelNotificationSetting };
}
