import type { Migration } from './types.js';

/**
 * Each upload request sums the caller's pending uploads (not yet in a sent message) against
 * media.max_pending_bytes: an index per uploader over just those rows keeps that one probe.
 */
export const up: Migration = async ({ context: sequelize }) => {
  await sequelize.query(`
    CREATE INDEX IF NOT EXISTS attachments_pending_idx ON attachments (uploader_id)
      WHERE message_id IS NULL AND channel_id IS NULL;
  `);
};

export const down: Migration = async ({ context: sequelize }) => {
  await sequelize.query(`DROP INDEX IF EXISTS attachments_pending_idx;`);
};
