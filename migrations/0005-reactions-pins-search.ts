import type { Migration } from './types.js';

/** Reactions, pin order, and the indexes of message search. */
export const up: Migration = async ({ context: sequelize }) => {
  await sequelize.query(`
    -- One row per (message, emoji, user). emoji is the unicode sequence or a custom emoji's
    -- "name:id"; the primary key makes a repeated add a no-op and serves "who reacted with X" in
    -- user id order.
    CREATE TABLE message_reactions (
      message_id bigint       NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
      emoji      varchar(100) NOT NULL,
      user_id    bigint       NOT NULL REFERENCES users (id) ON DELETE CASCADE,
      created_at timestamptz  NOT NULL DEFAULT now(),
      PRIMARY KEY (message_id, emoji, user_id)
    );

    -- When the message was pinned (null when it is not): the pins list is newest pin first.
    ALTER TABLE messages ADD COLUMN pinned_at timestamptz;
    UPDATE messages SET pinned_at = created_at WHERE pinned;
    CREATE INDEX messages_pins_idx ON messages (channel_id, pinned_at DESC) WHERE pinned;

    -- Search: full text with the 'simple' configuration (no stemming: servers mix languages), so
    -- queries must use to_tsvector('simple', content) to hit this index; and by author.
    CREATE INDEX messages_content_fts_idx ON messages USING GIN (to_tsvector('simple', content));
    CREATE INDEX messages_author_id_id_idx ON messages (author_id, id DESC);
  `);
};

export const down: Migration = async ({ context: sequelize }) => {
  await sequelize.query(`
    DROP INDEX IF EXISTS messages_author_id_id_idx;
    DROP INDEX IF EXISTS messages_content_fts_idx;
    DROP INDEX IF EXISTS messages_pins_idx;
    ALTER TABLE messages DROP COLUMN IF EXISTS pinned_at;
    DROP TABLE IF EXISTS message_reactions;
  `);
};
