import {
  DataTypes,
  Model,
  type CreationOptional,
  type InferAttributes,
  type InferCreationAttributes,
  type Sequelize,
} from 'sequelize';
import { createdAt, nullable, snowflakeId } from './columns.js';

/** The four relationship statuses of the seed, from the point of view of `user_id`. */
export const RELATIONSHIP_STATUSES = ['friend', 'pending_incoming', 'pending_outgoing', 'blocked'] as const;
export type RelationshipStatus = (typeof RELATIONSHIP_STATUSES)[number];

/** Defines the accounts capability's tables: backup codes, IP rules, security events, relationships, DM recipients. */
export function defineAccountModels(sequelize: Sequelize) {
  class MfaBackupCode extends Model<InferAttributes<MfaBackupCode>, InferCreationAttributes<MfaBackupCode>> {
    declare id: string;
    declare user_id: string;
    declare code_hash: Buffer;
    declare used_at: CreationOptional<Date | null>;
  }
  MfaBackupCode.init(
    {
      id: snowflakeId(),
      user_id: { type: DataTypes.BIGINT, allowNull: false },
      code_hash: { type: DataTypes.BLOB, allowNull: false },
      used_at: nullable(DataTypes.DATE),
    },
    { sequelize, tableName: 'mfa_backup_codes', modelName: 'MfaBackupCode', timestamps: false },
  );

  class IpRule extends Model<InferAttributes<IpRule>, InferCreationAttributes<IpRule>> {
    declare id: string;
    declare cidr: string;
    declare action: 'allow' | 'deny';
    declare note: CreationOptional<string | null>;
    declare created_by: CreationOptional<string | null>;
    declare created_at: Date;
  }
  IpRule.init(
    {
      id: snowflakeId(),
      cidr: { type: DataTypes.CIDR, allowNull: false },
      action: { type: DataTypes.STRING(8), allowNull: false },
      note: nullable(DataTypes.STRING(200)),
      created_by: nullable(DataTypes.BIGINT),
      created_at: createdAt(),
    },
    { sequelize, tableName: 'ip_rules', modelName: 'IpRule', timestamps: false },
  );

  class SecurityEvent extends Model<InferAttributes<SecurityEvent>, InferCreationAttributes<SecurityEvent>> {
    declare id: string;
    declare type: string;
    declare user_id: CreationOptional<string | null>;
    declare ip: CreationOptional<string | null>;
    declare details: CreationOptional<Record<string, unknown>>;
    declare created_at: Date;
  }
  SecurityEvent.init(
    {
      id: snowflakeId(),
      type: { type: DataTypes.STRING(40), allowNull: false },
      user_id: nullable(DataTypes.BIGINT),
      ip: nullable(DataTypes.INET),
      details: { type: DataTypes.JSONB, allowNull: false, defaultValue: {} },
      created_at: createdAt(),
    },
    { sequelize, tableName: 'security_events', modelName: 'SecurityEvent', timestamps: false },
  );

  class Relationship extends Model<InferAttributes<Relationship>, InferCreationAttributes<Relationship>> {
    declare user_id: string;
    declare target_id: string;
    declare status: RelationshipStatus;
    declare created_at: CreationOptional<Date>;
  }
  Relationship.init(
    {
      user_id: { type: DataTypes.BIGINT, primaryKey: true },
      target_id: { type: DataTypes.BIGINT, primaryKey: true },
      status: { type: DataTypes.STRING(20), allowNull: false },
      created_at: { type: DataTypes.DATE, allowNull: false, defaultValue: DataTypes.NOW },
    },
    { sequelize, tableName: 'relationships', modelName: 'Relationship', timestamps: false },
  );

  class ChannelRecipient extends Model<
    InferAttributes<ChannelRecipient>,
    InferCreationAttributes<ChannelRecipient>
  > {
    declare channel_id: string;
    declare user_id: string;
  }
  ChannelRecipient.init(
    {
      channel_id: { type: DataTypes.BIGINT, primaryKey: true },
      user_id: { type: DataTypes.BIGINT, primaryKey: true },
    },
    { sequelize, tableName: 'channel_recipients', modelName: 'ChannelRecipient', timestamps: false },
  );

  return { MfaBackupCode, IpRule, SecurityEvent, Relationship, ChannelRecipient };
}
