import {
  DataTypes,
  Model,
  type CreationOptional,
  type InferAttributes,
  type InferCreationAttributes,
  type Sequelize,
} from 'sequelize';
import { createdAt, nullable, snowflakeId } from './columns.js';

/** Defines the servers capability's tables: permission overwrites, invites, bans, audit log. */
export function defineServerModels(sequelize: Sequelize) {
  class PermissionOverwrite extends Model<
    InferAttributes<PermissionOverwrite>,
    InferCreationAttributes<PermissionOverwrite>
  > {
    declare channel_id: string;
    declare target_id: string;
    declare type: 'role' | 'member';
    declare allow: string;
    declare deny: string;
  }
  PermissionOverwrite.init(
    {
      channel_id: { type: DataTypes.BIGINT, primaryKey: true },
      target_id: { type: DataTypes.BIGINT, primaryKey: true },
      type: { type: DataTypes.STRING(8), allowNull: false },
      allow: { type: DataTypes.BIGINT, allowNull: false, defaultValue: '0' },
      deny: { type: DataTypes.BIGINT, allowNull: false, defaultValue: '0' },
    },
    { sequelize, tableName: 'permission_overwrites', modelName: 'PermissionOverwrite', timestamps: false },
  );

  class Invite extends Model<InferAttributes<Invite>, InferCreationAttributes<Invite>> {
    declare code: string;
    declare server_id: string;
    declare channel_id: string;
    declare inviter_id: CreationOptional<string | null>;
    declare max_age: CreationOptional<number>;
    declare max_uses: CreationOptional<number>;
    declare uses: CreationOptional<number>;
    declare created_at: CreationOptional<Date>;
    declare expires_at: CreationOptional<Date | null>;
    declare revoked_at: CreationOptional<Date | null>;
  }
  Invite.init(
    {
      code: { type: DataTypes.STRING(16), primaryKey: true },
      server_id: { type: DataTypes.BIGINT, allowNull: false },
      channel_id: { type: DataTypes.BIGINT, allowNull: false },
      inviter_id: nullable(DataTypes.BIGINT),
      max_age: { type: DataTypes.INTEGER, allowNull: false, defaultValue: 86400 },
      max_uses: { type: DataTypes.INTEGER, allowNull: false, defaultValue: 0 },
      uses: { type: DataTypes.INTEGER, allowNull: false, defaultValue: 0 },
      created_at: { type: DataTypes.DATE, allowNull: false, defaultValue: DataTypes.NOW },
      expires_at: nullable(DataTypes.DATE),
      revoked_at: nullable(DataTypes.DATE),
    },
    { sequelize, tableName: 'invites', modelName: 'Invite', timestamps: false },
  );

  class Ban extends Model<InferAttributes<Ban>, InferCreationAttributes<Ban>> {
    declare server_id: string;
    declare user_id: string;
    declare reason: CreationOptional<string | null>;
    declare banned_by: CreationOptional<string | null>;
    declare created_at: CreationOptional<Date>;
  }
  Ban.init(
    {
      server_id: { type: DataTypes.BIGINT, primaryKey: true },
      user_id: { type: DataTypes.BIGINT, primaryKey: true },
      reason: nullable(DataTypes.STRING(512)),
      banned_by: nullable(DataTypes.BIGINT),
      created_at: { type: DataTypes.DATE, allowNull: false, defaultValue: DataTypes.NOW },
    },
    { sequelize, tableName: 'bans', modelName: 'Ban', timestamps: false },
  );

  class AuditLog extends Model<InferAttributes<AuditLog>, InferCreationAttributes<AuditLog>> {
    declare id: string;
    declare server_id: string;
    declare actor_id: CreationOptional<string | null>;
    declare action: string;
    declare target_type: CreationOptional<string | null>;
    declare target_id: CreationOptional<string | null>;
    declare changes: CreationOptional<{ key: string; old?: unknown; new?: unknown }[]>;
    declare reason: CreationOptional<string | null>;
    declare created_at: Date;
  }
  AuditLog.init(
    {
      id: snowflakeId(),
      server_id: { type: DataTypes.BIGINT, allowNull: false },
      actor_id: nullable(DataTypes.BIGINT),
      action: { type: DataTypes.STRING(40), allowNull: false },
      target_type: nullable(DataTypes.STRING(20)),
      target_id: nullable(DataTypes.BIGINT),
      changes: { type: DataTypes.JSONB, allowNull: false, defaultValue: [] },
      reason: nullable(DataTypes.STRING(512)),
      created_at: createdAt(),
    },
    { sequelize, tableName: 'audit_logs', modelName: 'AuditLog', timestamps: false },
  );

  return { PermissionOverwrite, Invite, Ban, AuditLog };
}
