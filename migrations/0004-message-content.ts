import type { Migration } from './types.js';

/** Rendered content, resolved mentions and replies on messages. */
export const up: Migration = async ({ context: sequelize }) => {
  await sequelize.query(`
    ALTER TABLE messages
      ADD COLUMN content_html     text     NOT NULL DEFAULT '',
      ADD COLUMN mentions         bigint[] NOT NULL DEFAULT '{}',
      ADD COLUMN mention_roles    bigint[] NOT NULL DEFAULT '{}',
      ADD COLUMN mention_everyone boolean  NOT NULL DEFAULT false,
      ADD COLUMN reply_to         bigint;
  `);
};

export const down: Migration = async ({ context: sequelize }) => {
  await sequelize.query(`
    ALTER TABLE messages
      DROP COLUMN IF EXISTS content_html, DROP COLUMN IF EXISTS mentions,
      DROP COLUMN IF EXISTS mention_roles, DROP COLUMN IF EXISTS mention_everyone,
      DROP COLUMN IF EXISTS reply_to;
  `);
};
