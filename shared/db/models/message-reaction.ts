import {
  DataTypes,
  Model,
  type CreationOptional,
  type InferAttributes,
  type InferCreationAttributes,
  type Sequelize,
} from 'sequelize';

/** Defines the `message_reactions` model: who reacted to which message with which emoji. */
export function defineMessageReaction(sequelize: Sequelize) {
  class MessageReaction extends Model<
    InferAttributes<MessageReaction>,
    InferCreationAttributes<MessageReaction>
  > {
    declare message_id: string;
    /** A unicode emoji sequence, or a custom emoji as `name:id`. */
    declare emoji: string;
    declare user_id: string;
    declare created_at: CreationOptional<Date>;
  }
  MessageReaction.init(
    {
      message_id: { type: DataTypes.BIGINT, primaryKey: true },
      emoji: { type: DataTypes.STRING(100), primaryKey: true },
      user_id: { type: DataTypes.BIGINT, primaryKey: true },
      created_at: { type: DataTypes.DATE, allowNull: false, defaultValue: DataTypes.NOW },
    },
    { sequelize, tableName: 'message_reactions', modelName: 'MessageReaction', timestamps: false },
  );
  return MessageReaction;
}
