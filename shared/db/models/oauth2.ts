import {
  DataTypes,
  Model,
  type CreationOptional,
  type InferAttributes,
  type InferCreationAttributes,
  type Sequelize,
} from 'sequelize';
import { createdAt, nullable, snowflakeId } from './columns.js';

/** Defines the OAuth2 models: grants and their tokens (Plexichat as provider), external identities. */
export function defineOAuth2Models(sequelize: Sequelize) {
  /** One approved authorization of an application by a user: the family of its tokens. */
  class OAuthGrant extends Model<InferAttributes<OAuthGrant>, InferCreationAttributes<OAuthGrant>> {
    declare id: string;
    declare application_id: string;
    declare user_id: string;
    declare scopes: string[];
    /** SHA-256 of the authorization code that was exchanged for the grant's first tokens. */
    declare code_hash: Buffer;
    /** Whether the client authenticated with its secret at the exchange (then it must on refresh too). */
    declare confidential: boolean;
    declare created_at: Date;
    declare revoked_at: CreationOptional<Date | null>;
    declare revoked_reason: CreationOptional<string | null>;
  }
  OAuthGrant.init(
    {
      id: snowflakeId(),
      application_id: { type: DataTypes.BIGINT, allowNull: false },
      user_id: { type: DataTypes.BIGINT, allowNull: false },
      scopes: { type: DataTypes.ARRAY(DataTypes.TEXT), allowNull: false },
      code_hash: { type: DataTypes.BLOB, allowNull: false },
      confidential: { type: DataTypes.BOOLEAN, allowNull: false },
      created_at: createdAt(),
      revoked_at: nullable(DataTypes.DATE),
      revoked_reason: nullable(DataTypes.STRING(40)),
    },
    { sequelize, tableName: 'oauth_grants', modelName: 'OAuthGrant', timestamps: false },
  );

  /** One access + refresh token pair of a grant; only hashes are stored. */
  class OAuthToken extends Model<InferAttributes<OAuthToken>, InferCreationAttributes<OAuthToken>> {
    declare id: string;
    declare grant_id: string;
    declare access_token_hash: Buffer;
    declare refresh_token_hash: Buffer;
    declare scopes: string[];
    declare access_expires_at: Date;
    declare refresh_expires_at: Date;
    /** Set when the refresh token was used: the pair is replaced, and a second use is a replay. */
    declare rotated_at: CreationOptional<Date | null>;
    declare revoked_at: CreationOptional<Date | null>;
    declare created_at: Date;
  }
  OAuthToken.init(
    {
      id: snowflakeId(),
      grant_id: { type: DataTypes.BIGINT, allowNull: false },
      access_token_hash: { type: DataTypes.BLOB, allowNull: false },
      refresh_token_hash: { type: DataTypes.BLOB, allowNull: false },
      scopes: { type: DataTypes.ARRAY(DataTypes.TEXT), allowNull: false },
      access_expires_at: { type: DataTypes.DATE, allowNull: false },
      refresh_expires_at: { type: DataTypes.DATE, allowNull: false },
      rotated_at: nullable(DataTypes.DATE),
      revoked_at: nullable(DataTypes.DATE),
      created_at: createdAt(),
    },
    { sequelize, tableName: 'oauth_tokens', modelName: 'OAuthToken', timestamps: false },
  );

  /** A user's account at a configured external OpenID provider. */
  class ExternalIdentity extends Model<
    InferAttributes<ExternalIdentity>,
    InferCreationAttributes<ExternalIdentity>
  > {
    declare id: string;
    /** The provider's configured name (auth.oidc_providers[].name). */
    declare provider: string;
    /** The provider's `sub` claim: stable, unlike email or username. */
    declare subject: string;
    declare user_id: string;
    /** The email the provider reported at the first sign-in, for the record. */
    declare email: CreationOptional<string | null>;
    declare created_at: Date;
  }
  ExternalIdentity.init(
    {
      id: snowflakeId(),
      provider: { type: DataTypes.STRING(32), allowNull: false },
      subject: { type: DataTypes.STRING(255), allowNull: false },
      user_id: { type: DataTypes.BIGINT, allowNull: false },
      email: nullable(DataTypes.STRING(254)),
      created_at: createdAt(),
    },
    { sequelize, tableName: 'external_identities', modelName: 'ExternalIdentity', timestamps: false },
  );

  return { OAuthGrant, OAuthToken, ExternalIdentity };
}
