import {
  DataTypes,
  Model,
  type CreationOptional,
  type InferAttributes,
  type InferCreationAttributes,
  type Sequelize,
} from 'sequelize';
import { createdAt, nullable, snowflakeId } from './columns.js';
import type { DeliveryStatus } from './event-webhook.js';

/** One attempt of an interaction delivery, as the log keeps it. */
export interface DeliveryAttempt {
  /** 1 for the first attempt. */
  attempt: number;
  /** When the attempt started and ended (unix ms). */
  started_at: number;
  finished_at: number;
  /** The receiver's HTTP status; null when it never answered. */
  status_code: number | null;
  /** Why the attempt did not count as delivered (or the answer was refused); null when it did. */
  error: string | null;
  latency_ms: number | null;
}

/** Defines `interaction_deliveries`: the delivery log of interactions POSTed to interactions_url. */
export function defineInteractionDelivery(sequelize: Sequelize) {
  class InteractionDelivery extends Model<
    InferAttributes<InteractionDelivery>,
    InferCreationAttributes<InteractionDelivery>
  > {
    declare id: string;
    declare application_id: string;
    declare interaction_id: string;
    /** The exact JSON body sent, but for the interaction's `token` (kept in sealed_token). */
    declare payload: Record<string, unknown>;
    /** The interaction token, sealed with shared/auth/secret-box.ts; null once the delivery ended. */
    declare sealed_token: string | null;
    declare status: CreationOptional<DeliveryStatus>;
    declare attempts: CreationOptional<number>;
    /** Every attempt made, oldest first. */
    declare attempt_log: CreationOptional<DeliveryAttempt[]>;
    declare last_status_code: CreationOptional<number | null>;
    declare last_error: CreationOptional<string | null>;
    declare last_latency_ms: CreationOptional<number | null>;
    /** When the next attempt is due; null when none is scheduled. */
    declare next_attempt_at: CreationOptional<Date | null>;
    /** The interaction's response deadline: no attempt starts after it. */
    declare deadline_at: Date;
    declare created_at: Date;
    declare completed_at: CreationOptional<Date | null>;
  }
  InteractionDelivery.init(
    {
      id: snowflakeId(),
      application_id: { type: DataTypes.BIGINT, allowNull: false },
      interaction_id: { type: DataTypes.BIGINT, allowNull: false },
      payload: { type: DataTypes.JSONB, allowNull: false },
      sealed_token: nullable(DataTypes.TEXT),
      status: { type: DataTypes.STRING(16), allowNull: false, defaultValue: 'pending' },
      attempts: { type: DataTypes.INTEGER, allowNull: false, defaultValue: 0 },
      attempt_log: { type: DataTypes.JSONB, allowNull: false, defaultValue: [] },
      last_status_code: nullable(DataTypes.INTEGER),
      last_error: nullable(DataTypes.STRING(500)),
      last_latency_ms: nullable(DataTypes.INTEGER),
      next_attempt_at: nullable(DataTypes.DATE),
      deadline_at: { type: DataTypes.DATE, allowNull: false },
      created_at: createdAt(),
      completed_at: nullable(DataTypes.DATE),
    },
    { sequelize, tableName: 'interaction_deliveries', modelName: 'InteractionDelivery', timestamps: false },
  );
  return InteractionDelivery;
}
