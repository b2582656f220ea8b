import {
  DataTypes,
  Model,
  type CreationOptional,
  type InferAttributes,
  type InferCreationAttributes,
  type Sequelize,
} from 'sequelize';
import { nullable } from './columns.js';

/** Inactivity, in minutes, after which a thread archives itself (Discord's four choices). */
export const AUTO_ARCHIVE_MINUTES = [60, 1440, 4320, 10080] as const;

/** Defines the threads tables: a thread channel's metadata, and who joined it. */
export function defineThreadModels(sequelize: Sequelize) {
  class ThreadMetadata extends Model<
    InferAttributes<ThreadMetadata>,
    InferCreationAttributes<ThreadMetadata>
  > {
    declare channel_id: string;
    declare owner_id: string | null;
    declare starter_message_id: CreationOptional<string | null>;
    declare archived: CreationOptional<boolean>;
    declare archived_at: CreationOptional<Date | null>;
    declare auto_archive_minutes: CreationOptional<number>;
    declare locked: CreationOptional<boolean>;
    declare message_count: CreationOptional<number>;
    declare member_count: CreationOptional<number>;
    declare last_activity_at: CreationOptional<Date>;
  }
  ThreadMetadata.init(
    {
      channel_id: { type: DataTypes.BIGINT, primaryKey: true },
      owner_id: nullable(DataTypes.BIGINT),
      starter_message_id: nullable(DataTypes.BIGINT),
      archived: { type: DataTypes.BOOLEAN, allowNull: false, defaultValue: false },
      archived_at: nullable(DataTypes.DATE),
      auto_archive_minutes: { type: DataTypes.INTEGER, allowNull: false, defaultValue: 1440 },
      locked: { type: DataTypes.BOOLEAN, allowNull: false, defaultValue: false },
      message_count: { type: DataTypes.INTEGER, allowNull: false, defaultValue: 0 },
      member_count: { type: DataTypes.INTEGER, allowNull: false, defaultValue: 0 },
      last_activity_at: { type: DataTypes.DATE, allowNull: false, defaultValue: DataTypes.NOW },
    },
    { sequelize, tableName: 'thread_metadata', modelName: 'ThreadMetadata', timestamps: false },
  );

  class ThreadMember extends Model<InferAttributes<ThreadMember>, InferCreationAttributes<ThreadMember>> {
    declare thread_id: string;
    declare user_id: string;
    declare joined_at: CreationOptional<Date>;
  }
  ThreadMember.init(
    {
      thread_id: { type: DataTypes.BIGINT, primaryKey: true },
      user_id: { type: DataTypes.BIGINT, primaryKey: true },
      joined_at: { type: DataTypes.DATE, allowNull: false, defaultValue: DataTypes.NOW },
    },
    { sequelize, tableName: 'thread_members', modelName: 'ThreadMember', timestamps: false },
  );

  return { ThreadMetadata, ThreadMember };
}
