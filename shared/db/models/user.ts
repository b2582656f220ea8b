import {
  DataTypes,
  Model,
  type CreationOptional,
  type InferAttributes,
  type InferCreationAttributes,
  type Sequelize,
} from 'sequelize';
import { createdAt, nullable, snowflakeId, updatedAtOptions } from './columns.js';

/** Defines the `users` model on one Sequelize instance. */
export function defineUser(sequelize: Sequelize) {
  class User extends Model<InferAttributes<User>, InferCreationAttributes<User>> {
    declare id: string;
    declare username: string;
    declare email: CreationOptional<string | null>;
    declare password_hash: CreationOptional<string | null>;
    declare avatar_url: CreationOptional<string | null>;
    declare is_bot: CreationOptional<boolean>;
    declare is_admin: CreationOptional<boolean>;
    declare disabled_at: CreationOptional<Date | null>;
    declare mfa_enabled: CreationOptional<boolean>;
    /** TOTP secret, encrypted with security.secret_key (shared/auth/secret-box.ts). */
    declare mfa_secret: CreationOptional<string | null>;
    declare mfa_pending_secret: CreationOptional<string | null>;
    /** Last TOTP time step accepted: codes at or before it are replays. */
    declare mfa_last_time_step: CreationOptional<string | null>;
    declare password_changed_at: CreationOptional<Date | null>;
    /** Set when the account was deleted: personal data is gone, the row stays for its messages. */
    declare deleted_at: CreationOptional<Date | null>;
    /** When the current `email` was verified (a mailed link); null: unverified or no email. */
    declare email_verified_at: CreationOptional<Date | null>;
    declare created_at: Date;
    declare updated_at: CreationOptional<Date>;
  }
  User.init(
    {
      id: snowflakeId(),
      username: { type: DataTypes.STRING(64), allowNull: false },
      email: nullable(DataTypes.STRING(254)),
      password_hash: nullable(DataTypes.TEXT),
      avatar_url: nullable(DataTypes.TEXT),
      is_bot: { type: DataTypes.BOOLEAN, allowNull: false, defaultValue: false },
      is_admin: { type: DataTypes.BOOLEAN, allowNull: false, defaultValue: false },
      disabled_at: nullable(DataTypes.DATE),
      mfa_enabled: { type: DataTypes.BOOLEAN, allowNull: false, defaultValue: false },
      mfa_secret: nullable(DataTypes.TEXT),
      mfa_pending_secret: nullable(DataTypes.TEXT),
      mfa_last_time_step: nullable(DataTypes.BIGINT),
      password_changed_at: nullable(DataTypes.DATE),
      deleted_at: nullable(DataTypes.DATE),
      email_verified_at: nullable(DataTypes.DATE),
      created_at: createdAt(),
      updated_at: DataTypes.DATE,
    },
    { sequelize, tableName: 'users', modelName: 'User', ...updatedAtOptions },
  );
  return User;
}
