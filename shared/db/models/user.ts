import {
  DataTypes,
  Model,
  type CreationOptional,
  type InferAttributes,
  type InferCreationAttributes,
  type Sequelize,
} from 'sequelize';

/** Defines the `users` model on one Sequelize instance. */
export function defineUser(sequelize: Sequelize) {
  class User extends Model<InferAttributes<User>, InferCreationAttributes<User>> {
    declare id: string;
    declare username: string;
    declare email: CreationOptional<string | null>;
    declare password_hash: CreationOptional<string | null>;
    declare avatar_url: CreationOptional<string | null>;
    declare is_bot: CreationOptional<boolean>;
    declare is_admin: CreationOptional<boolean>;
    declare disabled_at: CreationOptional<Date | null>;
    declare created_at: Date;
    declare updated_at: CreationOptional<Date>;
  }
  User.init(
    {
      id: { type: DataTypes.BIGINT, primaryKey: true },
      username: { type: DataTypes.STRING(32), allowNull: false },
      email: { type: DataTypes.STRING(254), allowNull: true, defaultValue: null },
      password_hash: { type: DataTypes.TEXT, allowNull: true, defaultValue: null },
      avatar_url: { type: DataTypes.TEXT, allowNull: true, defaultValue: null },
      is_bot: { type: DataTypes.BOOLEAN, allowNull: false, defaultValue: false },
      is_admin: { type: DataTypes.BOOLEAN, allowNull: false, defaultValue: false },
      disabled_at: { type: DataTypes.DATE, allowNull: true, defaultValue: null },
      created_at: { type: DataTypes.DATE, allowNull: false },
      updated_at: DataTypes.DATE,
    },
    { sequelize, tableName: 'users', modelName: 'User', createdAt: false, updatedAt: 'updated_at' },
  );
  return User;
}
