import type { Migration } from './types.js';

/**
 * The system user (shared/messages/system-messages.ts, SYSTEM_USER_ID): the author of notices the
 * server posts on no member's behalf (AutoMod alerts). No password, email or session can sign in as
 * it, and the `-` in its name is one no registration accepts. It counts as a bot account. Its id is
 * 1 << 22 (the epoch's first millisecond), below any generated snowflake.
 */
export const up: Migration = async ({ context: sequelize }) => {
  await sequelize.query(`
    INSERT INTO users (id, username, is_bot, created_at, updated_at)
    VALUES (4194304, 'Plexichat-System', true, '2024-01-01T00:00:00Z', now())
    ON CONFLICT DO NOTHING;
  `);
};

export const down: Migration = async ({ context: sequelize }) => {
  await sequelize.query(`
    DELETE FROM messages WHERE author_id = 4194304;
    DELETE FROM users WHERE id = 4194304;
  `);
};
