import type { Migration } from './types.js';

/**
 * Uploaded files. An attachment is uploaded first (POST /attachments, or as part of a multipart
 * message send), then bound to at most one message; the message's `attachments` column holds the
 * presented objects (what clients read), this table what the media worker and cleanup need.
 */
export const up: Migration = async ({ context: sequelize }) => {
  await sequelize.query(`
    CREATE TABLE attachments (
      id            bigint PRIMARY KEY,
      uploader_id   bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
      message_id    bigint REFERENCES messages (id) ON DELETE SET NULL,
      channel_id    bigint REFERENCES channels (id) ON DELETE CASCADE,
      filename      varchar(255) NOT NULL,
      content_type  varchar(255) NOT NULL,
      size          bigint NOT NULL,
      storage_key   varchar(512) NOT NULL,
      -- processing: the media worker has not looked at it yet; ready; failed (served as a plain file).
      status        varchar(16) NOT NULL DEFAULT 'processing',
      width         integer,
      height        integer,
      duration_seconds double precision,
      metadata      jsonb NOT NULL DEFAULT '{}',
      created_at    timestamptz NOT NULL
    );
    CREATE INDEX attachments_message_id_idx ON attachments (message_id) WHERE message_id IS NOT NULL;
    -- Unbound uploads are swept after a while.
    CREATE INDEX attachments_unbound_idx ON attachments (created_at) WHERE message_id IS NULL;
  `);
};

export const down: Migration = async ({ context: sequelize }) => {
  await sequelize.query(`DROP TABLE IF EXISTS attachments;`);
};
