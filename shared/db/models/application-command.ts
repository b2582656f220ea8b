import {
  DataTypes,
  Model,
  type CreationOptional,
  type InferAttributes,
  type InferCreationAttributes,
  type Sequelize,
} from 'sequelize';
import { createdAt, nullable, snowflakeId, updatedAtOptions } from './columns.js';

/** The value types a slash command option can take. */
export const COMMAND_OPTION_TYPES = [
  'string',
  'integer',
  'number',
  'boolean',
  'user',
  'channel',
  'role',
] as const;
export type CommandOptionType = (typeof COMMAND_OPTION_TYPES)[number];

/** One allowed value of a string, integer or number option, with the name clients show for it. */
export interface CommandOptionChoice {
  name: string;
  value: string | number;
}

/** An option definition as stored (validated by api/routes/interactions/schema.ts). */
export interface CommandOption {
  type: CommandOptionType;
  name: string;
  description: string;
  required: boolean;
  choices?: CommandOptionChoice[];
  /** integer and number options: inclusive bounds. */
  min_value?: number;
  max_value?: number;
  /** string options: bounds on the length in characters. */
  min_length?: number;
  max_length?: number;
}

/** Defines the `application_commands` model: a slash command, global or of one server. */
export function defineApplicationCommand(sequelize: Sequelize) {
  class ApplicationCommand extends Model<
    InferAttributes<ApplicationCommand>,
    InferCreationAttributes<ApplicationCommand>
  > {
    declare id: string;
    declare application_id: string;
    /** The server it belongs to; null: global (everywhere the application's bot is a member). */
    declare server_id: CreationOptional<string | null>;
    declare name: string;
    declare description: string;
    declare options: CreationOptional<CommandOption[]>;
    declare created_at: Date;
    declare updated_at: CreationOptional<Date>;
  }
  ApplicationCommand.init(
    {
      id: snowflakeId(),
      application_id: { type: DataTypes.BIGINT, allowNull: false },
      server_id: nullable(DataTypes.BIGINT),
      name: { type: DataTypes.STRING(32), allowNull: false },
      description: { type: DataTypes.STRING(100), allowNull: false },
      options: { type: DataTypes.JSONB, allowNull: false, defaultValue: [] },
      created_at: createdAt(),
      updated_at: DataTypes.DATE,
    },
    { sequelize, tableName: 'application_commands', modelName: 'ApplicationCommand', ...updatedAtOptions },
  );
  return ApplicationCommand;
}
