import type { Migration } from './types.js';

/**
 * Incoming webhooks. The token is shown once and only its SHA-256 is kept. A webhook belongs to a
 * server text channel and dies with it (or with its server). Messages a webhook posted keep
 * `webhook_id` (no foreign key: they outlive the webhook, as on Discord) and the name and avatar
 * they were posted under in `webhook_author`.
 */
export const up: Migration = async ({ context: sequelize }) => {
  await sequelize.query(`
    CREATE TABLE webhooks (
      id          bigint PRIMARY KEY,
      server_id   bigint NOT NULL REFERENCES servers (id) ON DELETE CASCADE,
      channel_id  bigint NOT NULL REFERENCES channels (id) ON DELETE CASCADE,
      creator_id  bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
      name        varchar(80) NOT NULL CHECK (char_length(name) BETWEEN 1 AND 80),
      avatar_url  varchar(2048),
      token_hash  bytea NOT NULL,
      created_at  timestamptz NOT NULL
    );
    CREATE INDEX webhooks_channel_idx ON webhooks (channel_id);
    CREATE INDEX webhooks_server_idx ON webhooks (server_id);
    ALTER TABLE messages ADD COLUMN IF NOT EXISTS webhook_id bigint;
    ALTER TABLE messages ADD COLUMN IF NOT EXISTS webhook_author jsonb;
  `);
};

export const down: Migration = async ({ context: sequelize }) => {
  await sequelize.query(`
    ALTER TABLE messages DROP COLUMN IF EXISTS webhook_author;
    ALTER TABLE messages DROP COLUMN IF EXISTS webhook_id;
    DROP TABLE IF EXISTS webhooks;
  `);
};
