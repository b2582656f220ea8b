import {
  DataTypes,
  Model,
  type CreationOptional,
  type InferAttributes,
  type InferCreationAttributes,
  type Sequelize,
} from 'sequelize';
import { createdAt, nullable, snowflakeId } from './columns.js';

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
    declare kind: CreationOptional<'user' | 'bot'>;
  }
  Session.init(
    {
      id: snowflakeId(),
      user_id: { type: DataTypes.BIGINT, allowNull: false },
      token_hash: { type: DataTypes.BLOB, allowNull: false },
      ip: nullable(DataTypes.INET),
      user_agent: nullable(DataTypes.TEXT),
      created_at: createdAt(),
      last_used_at: { type: DataTypes.DATE, allowNull: false },
      revoked_at: nullable(DataTypes.DATE),
      kind: { type: DataTypes.STRING(8), allowNull: false, defaultValue: 'user' },
    },
    { sequelize, tableName: 'sessions', modelName: 'Session', timestamps: false },
  );
  return Session;
}
