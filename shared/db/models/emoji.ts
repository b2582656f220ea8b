import {
  DataTypes,
  Model,
  type CreationOptional,
  type InferAttributes,
  type InferCreationAttributes,
  type Sequelize,
} from 'sequelize';
import { createdAt, nullable, snowflakeId } from './columns.js';

/** Defines the `emojis` model: a server's custom emoji and where its images are stored. */
export function defineEmoji(sequelize: Sequelize) {
  class Emoji extends Model<InferAttributes<Emoji>, InferCreationAttributes<Emoji>> {
    declare id: string;
    declare server_id: string;
    declare name: string;
    declare animated: boolean;
    declare creator_id: CreationOptional<string | null>;
    /** The 128x128 WebP (animated for animated emoji). */
    declare webp_key: string;
    /** The PNG, or the animated GIF of an animated emoji. */
    declare fallback_key: string;
    declare created_at: Date;
  }
  Emoji.init(
    {
      id: snowflakeId(),
      server_id: { type: DataTypes.BIGINT, allowNull: false },
      name: { type: DataTypes.STRING(32), allowNull: false },
      animated: { type: DataTypes.BOOLEAN, allowNull: false, defaultValue: false },
      creator_id: nullable(DataTypes.BIGINT),
      webp_key: { type: DataTypes.STRING(512), allowNull: false },
      fallback_key: { type: DataTypes.STRING(512), allowNull: false },
      created_at: createdAt(),
    },
    { sequelize, tableName: 'emojis', modelName: 'Emoji', timestamps: false },
  );
  return Emoji;
}
