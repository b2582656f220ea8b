import {
  DataTypes,
  Model,
  type CreationOptional,
  type InferAttributes,
  type InferCreationAttributes,
  type Sequelize,
} from 'sequelize';

/** Defines the `sessions` model: one row per issued token, stored only as a hash. */
export function defineSession(sequelize: Sequelize) {
  class Session extends Model<InferAttributes<Session>, InferCreationAttributes<Session>> {
    declare id: string;
    declare user_id: string;
    declare token_hash: Buffer;
    declare ip: CreationOptional<string | null>;
    declare user_agent: CreationOptional<string | null>;
    declare created_at: Date;
    declare last_used_at: Date;
    declare revoked_at: CreationOptional<Date | null>;
  }
  Session.init(
    {
      id: { type: DataTypes.BIGINT, primaryKey: true },
      user_id: { type: DataTypes.BIGINT, allowNull: false },
      token_hash: { type: DataTypes.BLOB, allowNull: false },
      ip: { type: DataTypes.INET, allowNull: true, defaultValue: null },
      user_agent: { type: DataTypes.TEXT, allowNull: true, defaultValue: null },
      created_at: { type: DataTypes.DATE, allowNull: false },
      last_used_at: { type: DataTypes.DATE, allowNull: false },
      revoked_at: { type: DataTypes.DATE, allowNull: true, defaultValue: null },
    },
    { sequelize, tableName: 'sessions', modelName: 'Session', timestamps: false },
  );
  return Session;
}
