import {
  DataTypes,
  Model,
  type CreationOptional,
  type InferAttributes,
  type InferCreationAttributes,
  type Sequelize,
} from 'sequelize';
import { createdAt, nullable, snowflakeId, updatedAtOptions } from './columns.js';

export const REPORT_STATUSES = ['open', 'resolved', 'dismissed'] as const;
export type ReportStatus = (typeof REPORT_STATUSES)[number];

/** What a moderator did about a report (recorded; the action itself is taken through its own route). */
export const REPORT_ACTIONS = [
  'none',
  'warned',
  'message_deleted',
  'member_timed_out',
  'member_kicked',
  'member_banned',
  'user_disabled',
] as const;
export type ReportAction = (typeof REPORT_ACTIONS)[number];

/** A moderator's note on a report. */
export interface ReportNote {
  author_id: string;
  content: string;
  created_at: number;
}

/** Defines the `reports` model (migrations/0017-reports.ts). */
export function defineReport(sequelize: Sequelize) {
  class Report extends Model<InferAttributes<Report>, InferCreationAttributes<Report>> {
    declare id: string;
    declare reporter_id: string | null;
    declare server_id: string | null;
    declare target_type: 'user' | 'message';
    declare target_user_id: string;
    declare channel_id: CreationOptional<string | null>;
    declare message_id: CreationOptional<string | null>;
    declare reason: string;
    /** The reported user or message as it was when reported. */
    declare snapshot: Record<string, unknown>;
    declare status: CreationOptional<ReportStatus>;
    declare notes: CreationOptional<ReportNote[]>;
    declare action_taken: CreationOptional<ReportAction | null>;
    declare resolved_by: CreationOptional<string | null>;
    declare resolved_at: CreationOptional<Date | null>;
    declare created_at: Date;
    declare updated_at: CreationOptional<Date>;
  }
  Report.init(
    {
      id: snowflakeId(),
      reporter_id: { type: DataTypes.BIGINT, allowNull: true },
      server_id: { type: DataTypes.BIGINT, allowNull: true },
      target_type: { type: DataTypes.STRING(16), allowNull: false },
      target_user_id: { type: DataTypes.BIGINT, allowNull: false },
      channel_id: nullable(DataTypes.BIGINT),
      message_id: nullable(DataTypes.BIGINT),
      reason: { type: DataTypes.STRING(1000), allowNull: false },
      snapshot: { type: DataTypes.JSONB, allowNull: false },
      status: { type: DataTypes.STRING(16), allowNull: false, defaultValue: 'open' },
      notes: { type: DataTypes.JSONB, allowNull: false, defaultValue: [] },
      action_taken: nullable(DataTypes.STRING(32)),
      resolved_by: nullable(DataTypes.BIGINT),
      resolved_at: nullable(DataTypes.DATE),
      created_at: createdAt(),
      updated_at: DataTypes.DATE,
    },
    { sequelize, tableName: 'reports', modelName: 'Report', ...updatedAtOptions },
  );
  return Report;
}
