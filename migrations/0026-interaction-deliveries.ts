import type { Migration } from './types.js';

/**
 * The delivery log of HTTP interactions: one row per interaction POSTed to an application's
 * interactions_url (a job on the webhooks queue, retried with backoff until the interaction's
 * deadline), with every attempt in `attempt_log`. A sibling of webhook_deliveries rather than a
 * column on it: an interaction delivery belongs to an application, has a deadline instead of a
 * retry budget, carries a token that must stay sealed, and is never redelivered by hand.
 */
export const up: Migration = async ({ context: sequelize }) => {
  await sequelize.query(`
    CREATE TABLE interaction_deliveries (
      id               bigint PRIMARY KEY,
      application_id   bigint NOT NULL REFERENCES applications (id) ON DELETE CASCADE,
      interaction_id   bigint NOT NULL UNIQUE,
      -- The body sent, without the interaction's token (which is sealed_token).
      payload          jsonb NOT NULL,
      -- The interaction token, sealed (shared/auth/secret-box.ts); cleared once the delivery ends.
      sealed_token     text,
      status           varchar(16) NOT NULL DEFAULT 'pending'
                       CHECK (status IN ('pending', 'succeeded', 'failed', 'dead')),
      attempts         integer NOT NULL DEFAULT 0,
      attempt_log      jsonb NOT NULL DEFAULT '[]'::jsonb,
      last_status_code integer,
      last_error       varchar(500),
      last_latency_ms  integer,
      next_attempt_at  timestamptz,
      deadline_at      timestamptz NOT NULL,
      created_at       timestamptz NOT NULL,
      completed_at     timestamptz
    );
    -- The log of one application: "WHERE application_id = $1 AND id < $2 ORDER BY id DESC".
    CREATE INDEX interaction_deliveries_application_id_idx ON interaction_deliveries (application_id, id DESC);
    -- The retention sweep.
    CREATE INDEX interaction_deliveries_created_at_idx ON interaction_deliveries (created_at);
  `);
};

export const down: Migration = async ({ context: sequelize }) => {
  await sequelize.query(`DROP TABLE IF EXISTS interaction_deliveries;`);
};
