import {
  DataTypes,
  Model,
  type CreationOptional,
  type InferAttributes,
  type InferCreationAttributes,
  type Sequelize,
} from 'sequelize';
import { createdAt, nullable, snowflakeId } from './columns.js';

/** Defines the `webhooks` model: an incoming webhook posting into one server text channel. */
export function defineWebhook(sequelize: Sequelize) {
  class Webhook extends Model<InferAttributes<Webhook>, InferCreationAttributes<Webhook>> {
    declare id: string;
    declare server_id: string;
    declare channel_id: string;
    declare creator_id: string;
    declare name: string;
    declare avatar_url: CreationOptional<string | null>;
    /** SHA-256 of the token (shared/auth/tokens.ts): the only thing executing checks. */
    declare token_hash: Buffer;
    /**
     * The token sealed with `webhookTokenBox` (shared/presenters/webhook.ts), for the managers' lists;
     * null for webhooks whose token predates it (migration 0028) until it is regenerated.
     */
    declare sealed_token: CreationOptional<string | null>;
    declare created_at: Date;
  }
  Webhook.init(
    {
      id: snowflakeId(),
      server_id: { type: DataTypes.BIGINT, allowNull: false },
      channel_id: { type: DataTypes.BIGINT, allowNull: false },
      creator_id: { type: DataTypes.BIGINT, allowNull: false },
      name: { type: DataTypes.STRING(80), allowNull: false },
      avatar_url: nullable(DataTypes.STRING(2048)),
      token_hash: { type: DataTypes.BLOB, allowNull: false },
      sealed_token: nullable(DataTypes.TEXT),
      created_at: createdAt(),
    },
    { sequelize, tableName: 'webhooks', modelName: 'Webhook', timestamps: false },
  );
  return Webhook;
}
