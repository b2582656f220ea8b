import {
  DataTypes,
  Model,
  type CreationOptional,
  type InferAttributes,
  type InferCreationAttributes,
  type Sequelize,
} from 'sequelize';
import { createdAt, nullable, snowflakeId, updatedAtOptions } from './columns.js';

/** Defines the `servers` model (a community: "guild" in Discord's words). */
export function defineServer(sequelize: Sequelize) {
  class Server extends Model<InferAttributes<Server>, InferCreationAttributes<Server>> {
    declare id: string;
    declare name: string;
    declare description: CreationOptional<string | null>;
    declare icon_url: CreationOptional<string | null>;
    declare owner_id: string;
    declare created_at: Date;
    declare updated_at: CreationOptional<Date>;
  }
  Server.init(
    {
      id: snowflakeId(),
      name: { type: DataTypes.STRING(100), allowNull: false },
      description: nullable(DataTypes.STRING(1000)),
      icon_url: nullable(DataTypes.TEXT),
      owner_id: { type: DataTypes.BIGINT, allowNull: false },
      created_at: createdAt(),
      updated_at: DataTypes.DATE,
    },
    { sequelize, tableName: 'servers', modelName: 'Server', ...updatedAtOptions },
  );
  return Server;
}
