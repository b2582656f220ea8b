import {
  DataTypes,
  Model,
  type CreationOptional,
  type InferAttributes,
  type InferCreationAttributes,
  type Sequelize,
} from 'sequelize';
import { createdAt, nullable, snowflakeId, updatedAtOptions } from './columns.js';

/**
 * Channel types of the seed (spec/data-types.txt), threads (whose parent_id is a text channel) and
 * stage channels (voice with speakers and an audience).
 */
export const CHANNEL_TYPES = [
  'text',
  'voice',
  'stage',
  'category',
  'dm',
  'notes',
  'public_thread',
  'private_thread',
] as const;
export type ChannelType = (typeof CHANNEL_TYPES)[number];

/** The thread channel types: a thread inherits its parent's permissions. */
export const THREAD_CHANNEL_TYPES = ['public_thread', 'private_thread'] as const;

/** Whether a channel type is a thread. */
export function isThreadType(type: string): type is (typeof THREAD_CHANNEL_TYPES)[number] {
  return type === 'public_thread' || type === 'private_thread';
}

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
    /** Voice and stage: most members connected at once (0: no limit). */
    declare user_limit: CreationOptional<number>;
    /** Voice and stage: the bitrate clients should encode at, bits per second. */
    declare bitrate: CreationOptional<number>;
    /** 'dm:<low>:<high>' or 'notes:<user>' for private channels, so each exists once. */
    declare private_key: CreationOptional<string | null>;
    declare created_at: Date;
    declare updated_at: CreationOptional<Date>;
  }
  Channel.init(
    {
      id: snowflakeId(),
      server_id: nullable(DataTypes.BIGINT),
      parent_id: nullable(DataTypes.BIGINT),
      name: { type: DataTypes.STRING(100), allowNull: false },
      channel_type: { type: DataTypes.STRING(16), allowNull: false },
      topic: nullable(DataTypes.STRING(1024)),
      position: { type: DataTypes.INTEGER, allowNull: false, defaultValue: 0 },
      nsfw: { type: DataTypes.BOOLEAN, allowNull: false, defaultValue: false },
      slowmode_seconds: { type: DataTypes.INTEGER, allowNull: false, defaultValue: 0 },
      user_limit: { type: DataTypes.INTEGER, allowNull: false, defaultValue: 0 },
      bitrate: { type: DataTypes.INTEGER, allowNull: false, defaultValue: 64000 },
      private_key: nullable(DataTypes.STRING(64)),
      created_at: createdAt(),
      updated_at: DataTypes.DATE,
    },
    { sequelize, tableName: 'channels', modelName: 'Channel', ...updatedAtOptions },
  );
  return Channel;
}
