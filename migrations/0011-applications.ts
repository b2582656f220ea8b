import type { Migration } from './types.js';

/**
 * Applications: each owns exactly one bot user (users.is_bot) whose tokens are `bot` sessions.
 * The same row is the OAuth2 client (client id = application id; only the secret's SHA-256 is kept)
 * and, for HTTP interactions, carries a sealed signing secret (shared/auth/secret-box.ts).
 * `intents` holds the privileged gateway intents the owner enabled (gateway/intents.ts).
 */
export const up: Migration = async ({ context: sequelize }) => {
  await sequelize.query(`
    CREATE TABLE applications (
      id                   bigint PRIMARY KEY,
      owner_id             bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
      bot_user_id          bigint NOT NULL UNIQUE REFERENCES users (id) ON DELETE CASCADE,
      name                 varchar(80) NOT NULL CHECK (char_length(name) BETWEEN 1 AND 80),
      description          varchar(400) NOT NULL DEFAULT '',
      icon_url             varchar(2048),
      public_bot           boolean NOT NULL DEFAULT true,
      intents              bigint NOT NULL DEFAULT 0,
      interactions_url     varchar(2048),
      interactions_secret  text,
      client_secret_hash   bytea,
      redirect_uris        text[] NOT NULL DEFAULT '{}',
      created_at           timestamptz NOT NULL,
      updated_at           timestamptz
    );
    CREATE INDEX applications_owner_idx ON applications (owner_id);
  `);
};

export const down: Migration = async ({ context: sequelize }) => {
  await sequelize.query(`DROP TABLE IF EXISTS applications;`);
};
