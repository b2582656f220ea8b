import {
  DataTypes,
  Model,
  type CreationOptional,
  type InferAttributes,
  type InferCreationAttributes,
  type Sequelize,
} from 'sequelize';

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
      id: { type: DataTypes.BIGINT, primaryKey: true },
      name: { type: DataTypes.STRING(100), allowNull: false },
      description: { type: DataTypes.STRING(1000), allowNull: true, defaultValue: null },
      icon_url: { type: DataTypes.TEXT, allowNull: true, defaultValue: null },
      owner_id: { type: DataTypes.BIGINT, allowNull: false },
      created_at: { type: DataTypes.DATE, allowNull: false },
      updated_at: DataTypes.DATE,
    },
    { sequelize, tableName: 'servers', modelName: 'Server', createdAt: false, updatedAt: 'updated_at' },
  );
  return Server;
}
