import type { Migration } from './types.js';

/**
 * Outgoing event webhooks: a server's subscriptions (gateway event names, an optional channel
 * filter, a signing secret sealed with shared/auth/secret-box.ts because it must be recoverable to
 * sign) and the log of their deliveries. A delivery is unique per subscription and event
 * (`event_id`), so a fan-out that runs twice stores it once. Notifications gain the
 * `webhook_disabled` type, which concerns no message: its message/channel/author are null and it
 * names the subscription instead.
 */
export const up: Migration = async ({ context: sequelize }) => {
  await sequelize.query(`
    CREATE TABLE event_webhooks (
      id                    bigint PRIMARY KEY,
      server_id             bigint NOT NULL REFERENCES servers (id) ON DELETE CASCADE,
      creator_id            bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
      url                   varchar(2048) NOT NULL,
      events                text[] NOT NULL CHECK (cardinality(events) > 0),
      channel_ids           bigint[],
      secret                text NOT NULL,
      enabled               boolean NOT NULL DEFAULT true,
      disabled_at           timestamptz,
      disabled_reason       varchar(200),
      consecutive_failures  integer NOT NULL DEFAULT 0,
      created_at            timestamptz NOT NULL,
      updated_at            timestamptz
    );
    CREATE INDEX event_webhooks_server_idx ON event_webhooks (server_id);

    CREATE TABLE webhook_deliveries (
      id               bigint PRIMARY KEY,
      webhook_id       bigint NOT NULL REFERENCES event_webhooks (id) ON DELETE CASCADE,
      event_id         bigint NOT NULL,
      event            varchar(40) NOT NULL,
      payload          jsonb NOT NULL,
      status           varchar(16) NOT NULL DEFAULT 'pending'
                       CHECK (status IN ('pending', 'succeeded', 'failed', 'dead')),
      attempts         integer NOT NULL DEFAULT 0,
      redeliveries     integer NOT NULL DEFAULT 0,
      last_status_code integer,
      last_error       varchar(500),
      last_latency_ms  integer,
      next_attempt_at  timestamptz,
      created_at       timestamptz NOT NULL,
      completed_at     timestamptz,
      UNIQUE (webhook_id, event_id)
    );
    -- The delivery log: "WHERE webhook_id = $1 AND id < $2 ORDER BY id DESC".
    CREATE INDEX webhook_deliveries_webhook_id_idx ON webhook_deliveries (webhook_id, id DESC);
    -- The retention sweep.
    CREATE INDEX webhook_deliveries_created_at_idx ON webhook_deliveries (created_at);

    ALTER TABLE notifications DROP CONSTRAINT IF EXISTS notifications_type_check;
    ALTER TABLE notifications ADD CONSTRAINT notifications_type_check
      CHECK (type IN ('mention', 'reply', 'webhook_disabled'));
    ALTER TABLE notifications ALTER COLUMN message_id DROP NOT NULL;
    ALTER TABLE notifications ALTER COLUMN channel_id DROP NOT NULL;
    ALTER TABLE notifications ALTER COLUMN author_id DROP NOT NULL;
    ALTER TABLE notifications ADD COLUMN webhook_id bigint REFERENCES event_webhooks (id) ON DELETE CASCADE;
    -- What a non-message notification says (webhook_disabled: the URL and why), as it was then.
    ALTER TABLE notifications ADD COLUMN detail jsonb;
    -- A message notification has its message, channel and author; any other names none of them.
    ALTER TABLE notifications ADD CONSTRAINT notifications_subject_check CHECK (
      (type IN ('mention', 'reply') AND message_id IS NOT NULL AND channel_id IS NOT NULL AND author_id IS NOT NULL)
      OR (type = 'webhook_disabled' AND webhook_id IS NOT NULL));
  `);
};

export const down: Migration = async ({ context: sequelize }) => {
  await sequelize.query(`
    DELETE FROM notifications WHERE type NOT IN ('mention', 'reply');
    ALTER TABLE notifications DROP CONSTRAINT IF EXISTS notifications_subject_check;
    ALTER TABLE notifications DROP COLUMN IF EXISTS detail;
    ALTER TABLE notifications DROP COLUMN IF EXISTS webhook_id;
    ALTER TABLE notifications ALTER COLUMN author_id SET NOT NULL;
    ALTER TABLE notifications ALTER COLUMN channel_id SET NOT NULL;
    ALTER TABLE notifications ALTER COLUMN message_id SET NOT NULL;
    ALTER TABLE notifications DROP CONSTRAINT IF EXISTS notifications_type_check;
    ALTER TABLE notifications ADD CONSTRAINT notifications_type_check CHECK (type IN ('mention', 'reply'));
    DROP TABLE IF EXISTS webhook_deliveries, event_webhooks;
  `);
};
