import type { Migration } from './types.js';

/**
 * The seed's objects: users, sessions, servers, channels, members, roles, messages. IDs are bigint
 * snowflakes assigned by the application; timestamps are timestamptz, presented as unix seconds.
 */
export const up: Migration = async ({ context: sequelize }) => {
  await sequelize.query(`
    CREATE TABLE users (
      id            bigint PRIMARY KEY,
      username      varchar(32)  NOT NULL,
      email         varchar(254),
      password_hash text,
      avatar_url    text,
      is_bot        boolean      NOT NULL DEFAULT false,
      is_admin      boolean      NOT NULL DEFAULT false,
      disabled_at   timestamptz,
      created_at    timestamptz  NOT NULL DEFAULT now(),
      updated_at    timestamptz  NOT NULL DEFAULT now()
    );
    CREATE UNIQUE INDEX users_username_lower_key ON users (lower(username));
    CREATE UNIQUE INDEX users_email_lower_key ON users (lower(email)) WHERE email IS NOT NULL;

    CREATE TABLE sessions (
      id           bigint PRIMARY KEY,
      user_id      bigint      NOT NULL REFERENCES users (id) ON DELETE CASCADE,
      token_hash   bytea       NOT NULL UNIQUE,
      ip           inet,
      user_agent   text,
      created_at   timestamptz NOT NULL DEFAULT now(),
      last_used_at timestamptz NOT NULL DEFAULT now(),
      revoked_at   timestamptz
    );
    CREATE INDEX sessions_user_id_idx ON sessions (user_id);

    CREATE TABLE servers (
      id          bigint PRIMARY KEY,
      name        varchar(100)  NOT NULL,
      description varchar(1000),
      icon_url    text,
      owner_id    bigint        NOT NULL REFERENCES users (id),
      created_at  timestamptz   NOT NULL DEFAULT now(),
      updated_at  timestamptz   NOT NULL DEFAULT now()
    );
    CREATE INDEX servers_owner_id_idx ON servers (owner_id);

    CREATE TABLE channels (
      id               bigint PRIMARY KEY,
      server_id        bigint       REFERENCES servers (id) ON DELETE CASCADE,
      parent_id        bigint       REFERENCES channels (id) ON DELETE SET NULL,
      name             varchar(100) NOT NULL,
      channel_type     varchar(16)  NOT NULL
                       CHECK (channel_type IN ('text', 'voice', 'category', 'dm', 'notes')),
      topic            varchar(1024),
      position         integer      NOT NULL DEFAULT 0,
      nsfw             boolean      NOT NULL DEFAULT false,
      slowmode_seconds integer      NOT NULL DEFAULT 0 CHECK (slowmode_seconds BETWEEN 0 AND 21600),
      created_at       timestamptz  NOT NULL DEFAULT now(),
      updated_at       timestamptz  NOT NULL DEFAULT now()
    );
    CREATE INDEX channels_server_id_idx ON channels (server_id, position);

    CREATE TABLE roles (
      id          bigint PRIMARY KEY,
      server_id   bigint       NOT NULL REFERENCES servers (id) ON DELETE CASCADE,
      name        varchar(100) NOT NULL,
      permissions bigint       NOT NULL DEFAULT 0,
      position    integer      NOT NULL DEFAULT 0,
      color       integer      NOT NULL DEFAULT 0,
      hoist       boolean      NOT NULL DEFAULT false,
      mentionable boolean      NOT NULL DEFAULT false,
      created_at  timestamptz  NOT NULL DEFAULT now(),
      updated_at  timestamptz  NOT NULL DEFAULT now()
    );
    CREATE INDEX roles_server_id_idx ON roles (server_id, position);

    CREATE TABLE members (
      server_id     bigint      NOT NULL REFERENCES servers (id) ON DELETE CASCADE,
      user_id       bigint      NOT NULL REFERENCES users (id) ON DELETE CASCADE,
      nick          varchar(32),
      timeout_until timestamptz,
      joined_at     timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (server_id, user_id)
    );
    CREATE INDEX members_user_id_idx ON members (user_id);

    CREATE TABLE member_roles (
      server_id bigint NOT NULL,
      user_id   bigint NOT NULL,
      role_id   bigint NOT NULL REFERENCES roles (id) ON DELETE CASCADE,
      PRIMARY KEY (server_id, user_id, role_id),
      FOREIGN KEY (server_id, user_id) REFERENCES members (server_id, user_id) ON DELETE CASCADE
    );
    CREATE INDEX member_roles_role_id_idx ON member_roles (role_id);

    CREATE TABLE messages (
      id          bigint PRIMARY KEY,
      channel_id  bigint      NOT NULL REFERENCES channels (id) ON DELETE CASCADE,
      author_id   bigint      NOT NULL REFERENCES users (id),
      type        varchar(32) NOT NULL DEFAULT 'default',
      content     text        NOT NULL DEFAULT '',
      nonce       varchar(64),
      attachments jsonb       NOT NULL DEFAULT '[]',
      embeds      jsonb       NOT NULL DEFAULT '[]',
      pinned      boolean     NOT NULL DEFAULT false,
      created_at  timestamptz NOT NULL,
      edited_at   timestamptz
    );
    -- History pages are "WHERE channel_id = $1 AND id < $2 ORDER BY id DESC LIMIT n": one index range scan.
    CREATE INDEX messages_channel_id_id_idx ON messages (channel_id, id DESC);
  `);
};

export const down: Migration = async ({ context: sequelize }) => {
  await sequelize.query(`
    DROP TABLE IF EXISTS messages, member_roles, members, roles, channels, servers, sessions, users CASCADE;
  `);
};
