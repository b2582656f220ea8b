import {
  DataTypes,
  Model,
  type CreationOptional,
  type InferAttributes,
  type InferCreationAttributes,
  type Sequelize,
} from 'sequelize';
import { createdAt, nullable, snowflakeId } from './columns.js';

/** What an account token is for (shared/accounts/account-tokens.ts). */
export const ACCOUNT_TOKEN_PURPOSES = ['password_reset', 'email_verify'] as const;
export type AccountTokenPurpose = (typeof ACCOUNT_TOKEN_PURPOSES)[number];

/** Defines the `account_tokens` model: single-use mailed tokens, stored only as a hash. */
export function defineAccountToken(sequelize: Sequelize) {
  class AccountToken extends Model<InferAttributes<AccountToken>, InferCreationAttributes<AccountToken>> {
    declare id: string;
    declare user_id: string;
    declare purpose: AccountTokenPurpose;
    declare token_hash: Buffer;
    /** email_verify: the address the token verifies. */
    declare email: CreationOptional<string | null>;
    declare created_at: Date;
    declare expires_at: Date;
    declare used_at: CreationOptional<Date | null>;
  }
  AccountToken.init(
    {
      id: snowflakeId(),
      user_id: { type: DataTypes.BIGINT, allowNull: false },
      purpose: { type: DataTypes.STRING(16), allowNull: false },
      token_hash: { type: DataTypes.BLOB, allowNull: false },
      email: nullable(DataTypes.STRING(254)),
      created_at: createdAt(),
      expires_at: { type: DataTypes.DATE, allowNull: false },
      used_at: nullable(DataTypes.DATE),
    },
    { sequelize, tableName: 'account_tokens', modelName: 'AccountToken', timestamps: false },
  );
  return AccountToken;
}
