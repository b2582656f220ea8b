import {
  DataTypes,
  Model,
  type CreationOptional,
  type InferAttributes,
  type InferCreationAttributes,
  type Sequelize,
} from 'sequelize';
import { createdAt, nullable, snowflakeId, updatedAtOptions } from './columns.js';

/** Defines the `applications` model: a bot application, also the OAuth2 client of the same id. */
export function defineApplication(sequelize: Sequelize) {
  class Application extends Model<InferAttributes<Application>, InferCreationAttributes<Application>> {
    declare id: string;
    declare owner_id: string;
    /** The application's bot user (users.is_bot); its tokens are sessions of kind `bot`. */
    declare bot_user_id: string;
    declare name: string;
    declare description: CreationOptional<string>;
    declare icon_url: CreationOptional<string | null>;
    /** Whether users other than the owner may add the bot to their servers. */
    declare public_bot: CreationOptional<boolean>;
    /** Privileged gateway intents the owner enabled, as a bitfield (bigint as a decimal string). */
    declare intents: CreationOptional<string>;
    /** Where interactions are POSTed (signed); null: delivered over the gateway as INTERACTION_CREATE. */
    declare interactions_url: CreationOptional<string | null>;
    /** Signing secret for HTTP interactions, sealed with shared/auth/secret-box.ts. */
    declare interactions_secret: CreationOptional<string | null>;
    /** SHA-256 of the OAuth2 client secret; null until one is generated. */
    declare client_secret_hash: CreationOptional<Buffer | null>;
    /** Exact redirect URIs the OAuth2 authorization endpoint accepts. */
    declare redirect_uris: CreationOptional<string[]>;
    declare created_at: Date;
    declare updated_at: CreationOptional<Date>;
  }
  Application.init(
    {
      id: snowflakeId(),
      owner_id: { type: DataTypes.BIGINT, allowNull: false },
      bot_user_id: { type: DataTypes.BIGINT, allowNull: false },
      name: { type: DataTypes.STRING(80), allowNull: false },
      description: { type: DataTypes.STRING(400), allowNull: false, defaultValue: '' },
      icon_url: nullable(DataTypes.STRING(2048)),
      public_bot: { type: DataTypes.BOOLEAN, allowNull: false, defaultValue: true },
      intents: { type: DataTypes.BIGINT, allowNull: false, defaultValue: '0' },
      interactions_url: nullable(DataTypes.STRING(2048)),
      interactions_secret: nullable(DataTypes.TEXT),
      client_secret_hash: nullable(DataTypes.BLOB),
      redirect_uris: { type: DataTypes.ARRAY(DataTypes.TEXT), allowNull: false, defaultValue: [] },
      created_at: createdAt(),
      updated_at: DataTypes.DATE,
    },
    { sequelize, tableName: 'applications', modelName: 'Application', ...updatedAtOptions },
  );
  return Application;
}
