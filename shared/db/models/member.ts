import {
  DataTypes,
  Model,
  type CreationOptional,
  type InferAttributes,
  type InferCreationAttributes,
  type Sequelize,
} from 'sequelize';

/** Defines `members` (a user in a server) and `member_roles` (their roles). */
export function defineMember(sequelize: Sequelize) {
  class Member extends Model<InferAttributes<Member>, InferCreationAttributes<Member>> {
    declare server_id: string;
    declare user_id: string;
    declare nick: CreationOptional<string | null>;
    declare timeout_until: CreationOptional<Date | null>;
    declare joined_at: CreationOptional<Date>;
  }
  Member.init(
    {
      server_id: { type: DataTypes.BIGINT, primaryKey: true },
      user_id: { type: DataTypes.BIGINT, primaryKey: true },
      nick: { type: DataTypes.STRING(32), allowNull: true, defaultValue: null },
      timeout_until: { type: DataTypes.DATE, allowNull: true, defaultValue: null },
      joined_at: { type: DataTypes.DATE, allowNull: false, defaultValue: DataTypes.NOW },
    },
    { sequelize, tableName: 'members', modelName: 'Member', timestamps: false },
  );

  class MemberRole extends Model<InferAttributes<MemberRole>, InferCreationAttributes<MemberRole>> {
    declare server_id: string;
    declare user_id: string;
    declare role_id: string;
  }
  MemberRole.init(
    {
      server_id: { type: DataTypes.BIGINT, primaryKey: true },
      user_id: { type: DataTypes.BIGINT, primaryKey: true },
      role_id: { type: DataTypes.BIGINT, primaryKey: true },
    },
    { sequelize, tableName: 'member_roles', modelName: 'MemberRole', timestamps: false },
  );
  return { Member, MemberRole };
}
