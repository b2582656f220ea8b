import {
  DataTypes,
  Model,
  type CreationOptional,
  type InferAttributes,
  type InferCreationAttributes,
  type Sequelize,
} from 'sequelize';
import { createdAt, snowflakeId, updatedAtOptions } from './columns.js';

/** Defines the `roles` model; `permissions` is a bigint bitfield (a decimal string in JS). */
export function defineRole(sequelize: Sequelize) {
  class Role extends Model<InferAttributes<Role>, InferCreationAttributes<Role>> {
    declare id: string;
    declare server_id: string;
    declare name: string;
    declare permissions: CreationOptional<string>;
    declare position: CreationOptional<number>;
    declare color: CreationOptional<number>;
    declare hoist: CreationOptional<boolean>;
    declare mentionable: CreationOptional<boolean>;
    /** The bot whose managed role this is (api/applications/managed-roles.ts); null for ordinary roles. */
    declare managed_bot_id: CreationOptional<string | null>;
    declare created_at: Date;
    declare updated_at: CreationOptional<Date>;
  }
  Role.init(
    {
      id: snowflakeId(),
      server_id: { type: DataTypes.BIGINT, allowNull: false },
      name: { type: DataTypes.STRING(100), allowNull: false },
      permissions: { type: DataTypes.BIGINT, allowNull: false, defaultValue: '0' },
      position: { type: DataTypes.INTEGER, allowNull: false, defaultValue: 0 },
      color: { type: DataTypes.INTEGER, allowNull: false, defaultValue: 0 },
      hoist: { type: DataTypes.BOOLEAN, allowNull: false, defaultValue: false },
      mentionable: { type: DataTypes.BOOLEAN, allowNull: false, defaultValue: false },
      managed_bot_id: { type: DataTypes.BIGINT, allowNull: true, defaultValue: null },
      created_at: createdAt(),
      updated_at: DataTypes.DATE,
    },
    { sequelize, tableName: 'roles', modelName: 'Role', ...updatedAtOptions },
  );
  return Role;
}
