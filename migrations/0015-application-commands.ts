import type { Migration } from './types.js';

/**
 * Slash commands. A command is global (server_id null: usable wherever the application's bot is a
 * member) or belongs to one server; a server command overrides a global one of the same name of the
 * same application. Names are unique per application and scope, hence the COALESCE in the index
 * (NULLs are distinct in a plain unique constraint). `options` holds the validated option
 * definitions (api/routes/interactions/schema.ts).
 *
 * `messages.interaction` marks a bot's answer to an interaction: `{id, name, user_id}` of the
 * invocation. Ephemeral answers are never stored.
 */
export const up: Migration = async ({ context: sequelize }) => {
  await sequelize.query(`
    CREATE TABLE application_commands (
      id              bigint PRIMARY KEY,
      application_id  bigint NOT NULL REFERENCES applications (id) ON DELETE CASCADE,
      server_id       bigint REFERENCES servers (id) ON DELETE CASCADE,
      name            varchar(32) NOT NULL CHECK (name ~ '^[a-z0-9_-]{1,32}$'),
      description     varchar(100) NOT NULL CHECK (char_length(description) BETWEEN 1 AND 100),
      options         jsonb NOT NULL DEFAULT '[]',
      created_at      timestamptz NOT NULL,
      updated_at      timestamptz
    );
    CREATE UNIQUE INDEX application_commands_name_idx
      ON application_commands (application_id, COALESCE(server_id, 0), name);
    CREATE INDEX application_commands_server_idx ON application_commands (server_id)
      WHERE server_id IS NOT NULL;
    ALTER TABLE messages ADD COLUMN IF NOT EXISTS interaction jsonb;
  `);
};

export const down: Migration = async ({ context: sequelize }) => {
  await sequelize.query(`
    ALTER TABLE messages DROP COLUMN IF EXISTS interaction;
    DROP TABLE IF EXISTS application_commands;
  `);
};
