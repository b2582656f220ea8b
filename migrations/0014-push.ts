import type { Migration } from './types.js';

/**
 * Web Push: the browsers (push subscriptions) each user registered, and per-user mute settings
 * for servers and channels. An endpoint belongs to one browser profile, so it is unique across
 * users: re-registering it moves it to whoever registered it last; it also belongs to the session
 * that registered it, and goes when that session is revoked. A channel setting, when one
 * exists, decides on its own (an explicit unmute wins over a muted server).
 */
export const up: Migration = async ({ context: sequelize }) => {
  await sequelize.query(`
    CREATE TABLE push_subscriptions (
      id              bigint PRIMARY KEY,
      user_id         bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
      -- The session that registered it: logging out (revoking it) stops pushes to that browser.
      session_id      bigint NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
      endpoint        varchar(2048) NOT NULL UNIQUE,
      p256dh          varchar(128) NOT NULL,
      auth            varchar(64) NOT NULL,
      user_agent      varchar(512),
      created_at      timestamptz NOT NULL,
      updated_at      timestamptz NOT NULL,
      last_success_at timestamptz,
      failure_count   integer NOT NULL DEFAULT 0 CHECK (failure_count >= 0)
    );
    CREATE INDEX push_subscriptions_user_id_idx ON push_subscriptions (user_id);
    CREATE INDEX push_subscriptions_session_id_idx ON push_subscriptions (session_id);

    CREATE TABLE server_notification_settings (
      user_id     bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
      server_id   bigint NOT NULL REFERENCES servers (id) ON DELETE CASCADE,
      muted       boolean NOT NULL,
      -- While muted: until when (null: until unmuted).
      muted_until timestamptz,
      updated_at  timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (user_id, server_id)
    );
    CREATE INDEX server_notification_settings_server_idx ON server_notification_settings (server_id);

    CREATE TABLE channel_notification_settings (
      user_id     bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
      channel_id  bigint NOT NULL REFERENCES channels (id) ON DELETE CASCADE,
      muted       boolean NOT NULL,
      muted_until timestamptz,
      updated_at  timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (user_id, channel_id)
    );
    CREATE INDEX channel_notification_settings_channel_idx ON channel_notification_settings (channel_id);
  `);
};

export const down: Migration = async ({ context: sequelize }) => {
  await sequelize.query(`
    DROP TABLE IF EXISTS channel_notification_settings, server_notification_settings, push_subscriptions;
  `);
};
