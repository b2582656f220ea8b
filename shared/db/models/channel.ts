import {
  DataTypes,
  Model,
  type CreationOptional,
  type InferAttributes,
  type InferCreationAttributes,
  type Sequelize,
} from 'sequelize';

/** Channel types of the seed (spec/data-types.txt). */
export const CHANNEL_TYPES = ['text', 'voice', 'category', 'dm', 'notes'] as const;
export type ChannelType = (typeof CHANNEL_TYPES)[number];

/** Defines the `channels` model: server channels, categories, DMs and personal notes. */
export function defineChannel(sequelize: Sequelize) {
  class Channel extends Model<InferAttributes<Channel>, InferCreationAttributes<Channel>> {
    declare id: string;
    declare server_id: CreationOptional<string | null>;
    declare parent_id: CreationOptional<string | null>;
    declare name: string;
    declare channel_type: ChannelType;
    declare topic: CreationOptional<string | null>;
    declare position: CreationOptional<number>;
    declare nsfw: CreationOptional<boolean>;
    declare slowmode_seconds: CreationOptional<number>;
    declare created_at: Date;
    declare updated_at: CreationOptional<Date>;
  }
  Channel.init(
    {
      id: { type: DataTypes.BIGINT, primaryKey: true },
      server_id: { type: DataTypes.BIGINT, allowNull: true, defaultValue: null },
      parent_id: { type: DataTypes.BIGINT, allowNull: true, defaultValue: null },
      name: { type: DataTypes.STRING(100), allowNull: false },
      channel_type: { type: DataTypes.STRING(16), allowNull: false },
      topic: { type: DataTypes.STRING(1024), allowNull: true, defaultValue: null },
      position: { type: DataTypes.INTEGER, allowNull: false, defaultValue: 0 },
      nsfw: { type: DataTypes.BOOLEAN, allowNull: false, defaultValue: false },
      slowmode_seconds: { type: DataTypes.INTEGER, allowNull: false, defaultValue: 0 },
      created_at: { type: DataTypes.DATE, allowNull: false },
      updated_at: DataTypes.DATE,
    },
    { sequelize, tableName: 'channels', modelName: 'Channel', createdAt: false, updatedAt: 'updated_at' },
  );
  return Channel;
}
