import {
  DataTypes,
  Model,
  type CreationOptional,
  type InferAttributes,
  type InferCreationAttributes,
  type Sequelize,
} from 'sequelize';
import type { AutomodTrigger, RuleAction, TriggerSettings } from '../../automod/rules.js';
import { createdAt, snowflakeId, updatedAtOptions } from './columns.js';

/** Defines the `automod_rules` model (migrations/0018-automod.ts). */
export function defineAutomodRule(sequelize: Sequelize) {
  class AutomodRule extends Model<InferAttributes<AutomodRule>, InferCreationAttributes<AutomodRule>> {
    declare id: string;
    declare server_id: string;
    /** Who made it: automod's timeouts are audited in their name. */
    declare creator_id: string;
    declare name: string;
    declare enabled: CreationOptional<boolean>;
    declare trigger_type: AutomodTrigger;
    declare trigger: TriggerSettings;
    declare actions: RuleAction[];
    declare exempt_roles: CreationOptional<string[]>;
    declare exempt_channels: CreationOptional<string[]>;
    declare created_at: Date;
    declare updated_at: CreationOptional<Date>;
  }
  AutomodRule.init(
    {
      id: snowflakeId(),
      server_id: { type: DataTypes.BIGINT, allowNull: false },
      creator_id: { type: DataTypes.BIGINT, allowNull: false },
      name: { type: DataTypes.STRING(100), allowNull: false },
      enabled: { type: DataTypes.BOOLEAN, allowNull: false, defaultValue: true },
      trigger_type: { type: DataTypes.STRING(16), allowNull: false },
      trigger: { type: DataTypes.JSONB, allowNull: false, defaultValue: {} },
      actions: { type: DataTypes.JSONB, allowNull: false },
      exempt_roles: { type: DataTypes.ARRAY(DataTypes.BIGINT), allowNull: false, defaultValue: [] },
      exempt_channels: { type: DataTypes.ARRAY(DataTypes.BIGINT), allowNull: false, defaultValue: [] },
      created_at: createdAt(),
      updated_at: DataTypes.DATE,
    },
    { sequelize, tableName: 'automod_rules', modelName: 'AutomodRule', ...updatedAtOptions },
  );
  return AutomodRule;
}
