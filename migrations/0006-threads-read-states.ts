import type { Migration } from './types.js';

/**
 * Threads (channels of type public_thread / private_thread under a text channel, with their
 * metadata and members), the thread a message started, per-user read states with each channel's
 * latest message id, and mention/reply notifications.
 */
export const up: Migration = async ({ context: sequelize }) => {
  await sequelize.query(`
    ALTER TABLE channels DROP CONSTRAINT IF EXISTS channels_channel_type_check;
    ALTER TABLE channels ADD CONSTRAINT channels_channel_type_check
      CHECK (channel_type IN ('text', 'voice', 'category', 'dm', 'notes', 'public_thread', 'private_thread'));
    -- Maintained by the messages worker; "is there anything unread" compares it with a read state.
    ALTER TABLE channels ADD COLUMN last_message_id bigint;
    UPDATE channels c SET last_message_id = (SELECT max(m.id) FROM messages m WHERE m.channel_id = c.id);
    -- Threads are listed per parent.
    CREATE INDEX channels_parent_id_idx ON channels (parent_id) WHERE parent_id IS NOT NULL;

    -- The thread this message started (the starter message of a thread, or a thread_created notice).
    ALTER TABLE messages ADD COLUMN thread_id bigint;

    CREATE TABLE thread_metadata (
      channel_id           bigint PRIMARY KEY REFERENCES channels (id) ON DELETE CASCADE,
      owner_id             bigint      REFERENCES users (id) ON DELETE SET NULL,
      -- A message starts at most one thread.
      starter_message_id   bigint      UNIQUE,
      archived             boolean     NOT NULL DEFAULT false,
      archived_at          timestamptz,
      auto_archive_minutes integer     NOT NULL DEFAULT 1440
                           CHECK (auto_archive_minutes IN (60, 1440, 4320, 10080)),
      locked               boolean     NOT NULL DEFAULT false,
      message_count        integer     NOT NULL DEFAULT 0,
      member_count         integer     NOT NULL DEFAULT 0,
      last_activity_at     timestamptz NOT NULL DEFAULT now()
    );
    -- The auto-archive sweep looks only at active threads.
    CREATE INDEX thread_metadata_active_idx ON thread_metadata (last_activity_at) WHERE NOT archived;

    CREATE TABLE thread_members (
      thread_id bigint      NOT NULL REFERENCES channels (id) ON DELETE CASCADE,
      user_id   bigint      NOT NULL REFERENCES users (id) ON DELETE CASCADE,
      joined_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (thread_id, user_id)
    );
    CREATE INDEX thread_members_user_id_idx ON thread_members (user_id);

    CREATE TABLE read_states (
      user_id              bigint      NOT NULL REFERENCES users (id) ON DELETE CASCADE,
      channel_id           bigint      NOT NULL REFERENCES channels (id) ON DELETE CASCADE,
      last_read_message_id bigint,
      mention_count        integer     NOT NULL DEFAULT 0 CHECK (mention_count >= 0),
      updated_at           timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (user_id, channel_id)
    );
    CREATE INDEX read_states_channel_id_idx ON read_states (channel_id);

    CREATE TABLE notifications (
      id         bigint PRIMARY KEY,
      user_id    bigint      NOT NULL REFERENCES users (id) ON DELETE CASCADE,
      type       varchar(16) NOT NULL CHECK (type IN ('mention', 'reply')),
      message_id bigint      NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
      channel_id bigint      NOT NULL REFERENCES channels (id) ON DELETE CASCADE,
      server_id  bigint      REFERENCES servers (id) ON DELETE CASCADE,
      author_id  bigint      NOT NULL REFERENCES users (id) ON DELETE CASCADE,
      created_at timestamptz NOT NULL,
      read       boolean     NOT NULL DEFAULT false,
      UNIQUE (user_id, message_id)
    );
    -- The inbox: "WHERE user_id = $1 AND id < $2 ORDER BY id DESC".
    CREATE INDEX notifications_user_id_id_idx ON notifications (user_id, id DESC);
    -- Mentions after a read position, when an ack recounts them.
    CREATE INDEX notifications_user_channel_idx ON notifications (user_id, channel_id, message_id);
    CREATE INDEX notifications_message_id_idx ON notifications (message_id);
  `);
};

export const down: Migration = async ({ context: sequelize }) => {
  await sequelize.query(`
    DROP TABLE IF EXISTS notifications, read_states, thread_members, thread_metadata;
    ALTER TABLE messages DROP COLUMN IF EXISTS thread_id;
    DROP INDEX IF EXISTS channels_parent_id_idx;
    ALTER TABLE channels DROP COLUMN IF EXISTS last_message_id;
    DELETE FROM channels WHERE channel_type IN ('public_thread', 'private_thread');
    ALTER TABLE channels DROP CONSTRAINT IF EXISTS channels_channel_type_check;
    ALTER TABLE channels ADD CONSTRAINT channels_channel_type_check
      CHECK (channel_type IN ('text', 'voice', 'category', 'dm', 'notes'));
  `);
};
