import {
  DataTypes,
  Model,
  type CreationOptional,
  type InferAttributes,
  type InferCreationAttributes,
  type Sequelize,
} from 'sequelize';
import { createdAt, nullable, snowflakeId, updatedAtOptions } from './columns.js';

/** Where a delivery stands: waiting (or retrying), delivered, given up without retry, or out of attempts. */
export const DELIVERY_STATUSES = ['pending', 'succeeded', 'failed', 'dead'] as const;
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];

/** Defines `event_webhooks` (a server's outgoing event subscriptions) and `webhook_deliveries` (their log). */
export function defineEventWebhookModels(sequelize: Sequelize) {
  class EventWebhook extends Model<InferAttributes<EventWebhook>, InferCreationAttributes<EventWebhook>> {
    declare id: string;
    declare server_id: string;
    declare creator_id: string;
    declare url: string;
    /** Gateway dispatch names this subscription receives. */
    declare events: string[];
    /** Only events in these channels (or threads of them); null: every channel. */
    declare channel_ids: CreationOptional<string[] | null>;
    /** The signing secret (`whsec_...`), sealed with shared/auth/secret-box.ts. */
    declare secret: string;
    declare enabled: CreationOptional<boolean>;
    declare disabled_at: CreationOptional<Date | null>;
    declare disabled_reason: CreationOptional<string | null>;
    /** Deliveries in a row that ended without success; reset by a success or a re-enable. */
    declare consecutive_failures: CreationOptional<number>;
    declare created_at: Date;
    declare updated_at: CreationOptional<Date>;
  }
  EventWebhook.init(
    {
      id: snowflakeId(),
      server_id: { type: DataTypes.BIGINT, allowNull: false },
      creator_id: { type: DataTypes.BIGINT, allowNull: false },
      url: { type: DataTypes.STRING(2048), allowNull: false },
      events: { type: DataTypes.ARRAY(DataTypes.TEXT), allowNull: false },
      channel_ids: nullable(DataTypes.ARRAY(DataTypes.BIGINT)),
      secret: { type: DataTypes.TEXT, allowNull: false },
      enabled: { type: DataTypes.BOOLEAN, allowNull: false, defaultValue: true },
      disabled_at: nullable(DataTypes.DATE),
      disabled_reason: nullable(DataTypes.STRING(200)),
      consecutive_failures: { type: DataTypes.INTEGER, allowNull: false, defaultValue: 0 },
      created_at: createdAt(),
      updated_at: DataTypes.DATE,
    },
    { sequelize, tableName: 'event_webhooks', modelName: 'EventWebhook', ...updatedAtOptions },
  );

  class WebhookDelivery extends Model<
    InferAttributes<WebhookDelivery>,
    InferCreationAttributes<WebhookDelivery>
  > {
    declare id: string;
    declare webhook_id: string;
    /** The event's id, shared by its deliveries to every subscription (one delivery per pair). */
    declare event_id: string;
    /** The event type (a gateway dispatch name, or PING). */
    declare event: string;
    /** The exact JSON body sent: `{id, type, server_id, timestamp, data}`. */
    declare payload: Record<string, unknown>;
    declare status: CreationOptional<DeliveryStatus>;
    /** Attempts made since the delivery was created or last redelivered by hand. */
    declare attempts: CreationOptional<number>;
    /** Manual redeliveries so far (each restarts the attempts). */
    declare redeliveries: CreationOptional<number>;
    declare last_status_code: CreationOptional<number | null>;
    declare last_error: CreationOptional<string | null>;
    declare last_latency_ms: CreationOptional<number | null>;
    /** When the next attempt is due; null when none is scheduled. */
    declare next_attempt_at: CreationOptional<Date | null>;
    declare created_at: Date;
    declare completed_at: CreationOptional<Date | null>;
  }
  WebhookDelivery.init(
    {
      id: snowflakeId(),
      webhook_id: { type: DataTypes.BIGINT, allowNull: false },
      event_id: { type: DataTypes.BIGINT, allowNull: false },
      event: { type: DataTypes.STRING(40), allowNull: false },
      payload: { type: DataTypes.JSONB, allowNull: false },
      status: { type: DataTypes.STRING(16), allowNull: false, defaultValue: 'pending' },
      attempts: { type: DataTypes.INTEGER, allowNull: false, defaultValue: 0 },
      redeliveries: { type: DataTypes.INTEGER, allowNull: false, defaultValue: 0 },
      last_status_code: nullable(DataTypes.INTEGER),
      last_error: nullable(DataTypes.STRING(500)),
      last_latency_ms: nullable(DataTypes.INTEGER),
      next_attempt_at: nullable(DataTypes.DATE),
      created_at: createdAt(),
      completed_at: nullable(DataTypes.DATE),
    },
    { sequelize, tableName: 'webhook_deliveries', modelName: 'WebhookDelivery', timestamps: false },
  );

  return { EventWebhook, WebhookDelivery };
}
