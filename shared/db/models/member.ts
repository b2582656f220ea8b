import {
  DataTypes,
  Model,
  type CreationOptional,
  type InferAttributes,
  type InferCreationAttributes,
  type Sequelize,
} from 'sequelize';
import { nullable, snowflakeId } from './columns.js';

/** Defines `members` (a user in a server) and `member_roles` (their roles). */
export function defineMember(sequelize: Sequelize) {
  class Member extends Model<InferAttributes<Member>, InferCreationAttributes<Member>> {
    declare server_id: string;
    declare user_id: string;
    declare nick: CreationOptional<string | null>;
    declare timeout_until: CreationOptional<Date | null>;
    /** Server-muted / server-deafened in voice (MUTE_MEMBERS / DEAFEN_MEMBERS): survives rejoining. */
    declare mute: CreationOptional<boolean>;
    declare deaf: CreationOptional<boolean>;
    declare joined_at: CreationOptional<Date>;
  }
  Member.init(
    {
      server_id: snowflakeId(),
      user_id: snowflakeId(),
      nick: nullable(DataTypes.STRING(32)),
      timeout_until: nullable(DataTypes.DATE),
      mute: { type: DataTypes.BOOLEAN, allowNull: false, defaultValue: false },
      deaf: { type: DataTypes.BOOLEAN, allowNull: false, defaultValue: false },
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
      server_id: snowflakeId(),
      user_id: snowflakeId(),
      role_id: snowflakeId(),
    },
    { sequelize, tableName: 'member_roles', modelName: 'MemberRole', timestamps: false },
  );
  return { Member, MemberRole };
}
