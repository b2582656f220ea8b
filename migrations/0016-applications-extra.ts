import type { Migration } from './types.js';

/**
 * Managed roles: the role a bot gets when it is added to a server with permissions
 * (api/applications/add-bot.ts). `managed_bot_id` names the bot; such a role cannot be assigned,
 * removed or deleted by hand and goes when the bot leaves the server. One per bot per server.
 */
export const up: Migration = async ({ context: sequelize }) => {
  await sequelize.query(`
    ALTER TABLE roles ADD COLUMN IF NOT EXISTS managed_bot_id bigint REFERENCES users (id) ON DELETE CASCADE;
    CREATE UNIQUE INDEX IF NOT EXISTS roles_managed_bot_idx ON roles (server_id, managed_bot_id)
      WHERE managed_bot_id IS NOT NULL;
  `);
};

export const down: Migration = async ({ context: sequelize }) => {
  await sequelize.query(`
    DROP INDEX IF EXISTS roles_managed_bot_idx;
    ALTER TABLE roles DROP COLUMN IF EXISTS managed_bot_id;
  `);
};
