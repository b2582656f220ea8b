import type { Migration } from './types.js';

/**
 * Account lifecycle (mail, password reset, email verification): when a user's current email was
 * verified, and the single-use tokens mailed to them (stored as SHA-256 hashes, like session tokens).
 * Existing emails start unverified: nobody ever checked them.
 */
export const up: Migration = async ({ context: sequelize }) => {
  await sequelize.query(`
    ALTER TABLE users ADD COLUMN email_verified_at timestamptz;

    CREATE TABLE account_tokens (
      id         bigint PRIMARY KEY,
      user_id    bigint       NOT NULL REFERENCES users (id) ON DELETE CASCADE,
      purpose    varchar(16)  NOT NULL CHECK (purpose IN ('password_reset', 'email_verify')),
      token_hash bytea        NOT NULL UNIQUE,
      -- email_verify: the address the mail went to (a later email change makes the token useless).
      email      varchar(254),
      created_at timestamptz  NOT NULL,
      expires_at timestamptz  NOT NULL,
      used_at    timestamptz
    );
    CREATE INDEX account_tokens_user_id_idx ON account_tokens (user_id, purpose);
  `);
};

export const down: Migration = async ({ context: sequelize }) => {
  await sequelize.query(`
    DROP TABLE IF EXISTS account_tokens;
    ALTER TABLE users DROP COLUMN IF EXISTS email_verified_at;
  `);
};
