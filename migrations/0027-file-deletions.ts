import type { Migration } from './types.js';

/**
 * Stored files a command deleted the rows of, captured in its transaction (shared/storage/row-files.ts)
 * when they can be many (a server's or a channel's uploads): the command's outbox row names only the
 * `batch`, and the media worker deletes its files a page at a time, deleting each page's rows once
 * its files are gone (a retry resumes where it stopped).
 */
export const up: Migration = async ({ context: sequelize }) => {
  await sequelize.query(`
    CREATE TABLE IF NOT EXISTS file_deletions (
      id     bigserial PRIMARY KEY,
      batch  bigint NOT NULL,
      key    text NOT NULL
    );
    CREATE INDEX IF NOT EXISTS file_deletions_batch_idx ON file_deletions (batch, id);
  `);
};

export const down: Migration = async ({ context: sequelize }) => {
  await sequelize.query(`DROP TABLE IF EXISTS file_deletions;`);
};
