import {
  DataTypes,
  Model,
  type CreationOptional,
  type InferAttributes,
  type InferCreationAttributes,
  type Sequelize,
} from 'sequelize';

/** An attachment as stored on a message (filled in by the media pipeline). */
export interface StoredAttachment {
  id: string;
  filename: string;
  content_type: string;
  size: number;
  url: string;
  width?: number;
  height?: number;
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
    declare attachments: CreationOptional<StoredAttachment[]>;
    declare embeds: CreationOptional<Record<string, unknown>[]>;
    declare pinned: CreationOptional<boolean>;
    declare created_at: Date;
    declare edited_at: CreationOptional<Date | null>;
  }
  Message.init(
    {
      id: { type: DataTypes.BIGINT, primaryKey: true },
      channel_id: { type: DataTypes.BIGINT, allowNull: false },
      author_id: { type: DataTypes.BIGINT, allowNull: false },
      type: { type: DataTypes.STRING(32), allowNull: false, defaultValue: 'default' },
      content: { type: DataTypes.TEXT, allowNull: false, defaultValue: '' },
      nonce: { type: DataTypes.STRING(64), allowNull: true, defaultValue: null },
      attachments: { type: DataTypes.JSONB, allowNull: false, defaultValue: [] },
      embeds: { type: DataTypes.JSONB, allowNull: false, defaultValue: [] },
      pinned: { type: DataTypes.BOOLEAN, allowNull: false, defaultValue: false },
      created_at: { type: DataTypes.DATE, allowNull: false },
      edited_at: { type: DataTypes.DATE, allowNull: true, defaultValue: null },
    },
    { sequelize, tableName: 'messages', modelName: 'Message', timestamps: false },
  );
  return Message;
}
