import type { Migration } from './types.js';

/**
 * OAuth2 (Plexichat as the provider) and external OpenID Connect sign-in.
 *
 * An `oauth_grants` row is one approved authorization: the code exchange that created it (only the
 * code's SHA-256 is kept, so a replayed code is recognized and the grant revoked) and the token
 * family it started. Each `oauth_tokens` row is one access + refresh pair of that family, hashes
 * only; a refresh marks its row `rotated_at` and adds the next pair, so a second use of an old
 * refresh token is visible and revokes the grant. Authorization codes themselves live in Redis.
 *
 * `external_identities` ties an account at a configured OpenID provider (`provider` is the
 * configured name, `subject` the provider's `sub`) to a Plexichat user.
 */
export const up: Migration = async ({ context: sequelize }) => {
  await sequelize.query(`
    CREATE TABLE oauth_grants (
      id              bigint PRIMARY KEY,
      application_id  bigint NOT NULL REFERENCES applications (id) ON DELETE CASCADE,
      user_id         bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
      scopes          text[] NOT NULL,
      code_hash       bytea NOT NULL UNIQUE,
      confidential    boolean NOT NULL,
      created_at      timestamptz NOT NULL,
      revoked_at      timestamptz,
      revoked_reason  varchar(40)
    );
    CREATE INDEX oauth_grants_user_idx ON oauth_grants (user_id, application_id);
    CREATE INDEX oauth_grants_application_idx ON oauth_grants (application_id);

    CREATE TABLE oauth_tokens (
      id                  bigint PRIMARY KEY,
      grant_id            bigint NOT NULL REFERENCES oauth_grants (id) ON DELETE CASCADE,
      access_token_hash   bytea NOT NULL UNIQUE,
      refresh_token_hash  bytea NOT NULL UNIQUE,
      scopes              text[] NOT NULL,
      access_expires_at   timestamptz NOT NULL,
      refresh_expires_at  timestamptz NOT NULL,
      rotated_at          timestamptz,
      revoked_at          timestamptz,
      created_at          timestamptz NOT NULL
    );
    CREATE INDEX oauth_tokens_grant_idx ON oauth_tokens (grant_id);

    CREATE TABLE external_identities (
      id          bigint PRIMARY KEY,
      provider    varchar(32) NOT NULL,
      subject     varchar(255) NOT NULL,
      user_id     bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
      email       varchar(254),
      created_at  timestamptz NOT NULL,
      UNIQUE (provider, subject)
    );
    CREATE INDEX external_identities_user_idx ON external_identities (user_id);
  `);
};

export const down: Migration = async ({ context: sequelize }) => {
  await sequelize.query(`DROP TABLE IF EXISTS external_identities, oauth_tokens, oauth_grants;`);
};
