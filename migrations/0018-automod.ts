import type { Migration } from './types.js';

/**
 * AutoMod rules per server (shared/automod/rules.ts evaluates them in the `automod` worker).
 * `trigger` holds the settings of `trigger_type`; `actions` is a list of {type, ...}.
 */
export const up: Migration = async ({ context: sequelize }) => {
  await sequelize.query(`
    CREATE TABLE automod_rules (
      id               bigint PRIMARY KEY,
      server_id        bigint NOT NULL REFERENCES servers (id) ON DELETE CASCADE,
      creator_id       bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
      name             varchar(100) NOT NULL,
      enabled          boolean NOT NULL DEFAULT true,
      trigger_type     varchar(16) NOT NULL
                       CHECK (trigger_type IN ('keyword', 'regex', 'mention_spam', 'link', 'spam')),
      trigger          jsonb NOT NULL DEFAULT '{}',
      actions          jsonb NOT NULL,
      exempt_roles     bigint[] NOT NULL DEFAULT '{}',
      exempt_channels  bigint[] NOT NULL DEFAULT '{}',
      created_at       timestamptz NOT NULL,
      updated_at       timestamptz
    );
    CREATE INDEX automod_rules_server_idx ON automod_rules (server_id);
  `);
};

export const down: Migration = async ({ context: sequelize }) => {
  await sequelize.query(`DROP TABLE IF EXISTS automod_rules;`);
};
