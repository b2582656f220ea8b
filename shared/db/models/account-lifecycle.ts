import {
  DataTypes,
  Model,
  type CreationOptional,
  type InferAttributes,
  type InferCreationAttributes,
  type Sequelize,
} from 'sequelize';
import { createdAt, nullable, snowflakeId } from './columns.js';

/** States of a data export: being built, downloadable, or given up on. */
export const EXPORT_STATUSES = ['pending', 'ready', 'failed'] as const;
export type ExportStatus = (typeof EXPORT_STATUSES)[number];

/** Defines the account lifecycle's tables: username reservations and data exports (migration 0021). */
export function defineAccountLifecycleModels(sequelize: Sequelize) {
  class UsernameReservation extends Model<
    InferAttributes<UsernameReservation>,
    InferCreationAttributes<UsernameReservation>
  > {
    declare username_lower: string;
    declare user_id: string;
    declare expires_at: Date;
  }
  UsernameReservation.init(
    {
      username_lower: { type: DataTypes.STRING(64), primaryKey: true },
      user_id: { type: DataTypes.BIGINT, allowNull: false },
      expires_at: { type: DataTypes.DATE, allowNull: false },
    },
    { sequelize, tableName: 'username_reservations', modelName: 'UsernameReservation', timestamps: false },
  );

  class DataExport extends Model<InferAttributes<DataExport>, InferCreationAttributes<DataExport>> {
    declare id: string;
    declare user_id: string;
    declare status: CreationOptional<ExportStatus>;
    declare storage_key: CreationOptional<string | null>;
    declare size: CreationOptional<string | null>;
    declare error: CreationOptional<string | null>;
    declare created_at: Date;
    declare finished_at: CreationOptional<Date | null>;
    declare expires_at: CreationOptional<Date | null>;
  }
  DataExport.init(
    {
      id: snowflakeId(),
      user_id: { type: DataTypes.BIGINT, allowNull: false },
      status: { type: DataTypes.STRING(16), allowNull: false, defaultValue: 'pending' },
      storage_key: nullable(DataTypes.TEXT),
      size: nullable(DataTypes.BIGINT),
      error: nullable(DataTypes.TEXT),
      created_at: createdAt(),
      finished_at: nullable(DataTypes.DATE),
      expires_at: nullable(DataTypes.DATE),
    },
    { sequelize, tableName: 'data_exports', modelName: 'DataExport', timestamps: false },
  );

  return { UsernameReservation, DataExport };
}
