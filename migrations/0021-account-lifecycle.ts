import type { Migration } from './types.js';

/**
 * Account deletion and data export. A deleted account keeps its row (its messages keep their
 * author) with `deleted_at` set and every personal field cleared; its old username stays reserved
 * until the grace period ends, so nobody can pass for the deleted person straight away. Exports are
 * archives of a user's data built by the `exports` worker, one row per request.
 */
export const up: Migration = async ({ context: sequelize }) => {
  await sequelize.query(`
    ALTER TABLE users ADD COLUMN deleted_at timestamptz;
    CREATE TABLE username_reservations (
      username_lower varchar(32) PRIMARY KEY,
      user_id bigint NOT NULL,
      expires_at timestamptz NOT NULL
    );
    CREATE TABLE data_exports (
      id bigint PRIMARY KEY,
      user_id bigint NOT NULL REFERENCES users(id) ON DELETE CASCADE,
      status varchar(16) NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'ready', 'failed')),
      storage_key text,
      size bigint,
      error text,
      created_at timestamptz NOT NULL,
      finished_at timestamptz,
      expires_at timestamptz
    );
    CREATE INDEX data_exports_user_idx ON data_exports (user_id, id DESC);
  `);
};

export const down: Migration = async ({ context: sequelize }) => {
  await sequelize.query(`
    DROP TABLE IF EXISTS data_exports;
    DROP TABLE IF EXISTS username_reservations;
    ALTER TABLE users DROP COLUMN IF EXISTS deleted_at;
  `);
};
