import type { Migration } from './types.js';

/**
 * Accounts and sessions: TOTP 2FA, backup codes, IP rules, security events, relationships, and
 * the uniqueness keys of DM and notes channels.
 */
export const up: Migration = async ({ context: sequelize }) => {
  await sequelize.query(`
    ALTER TABLE users
      ADD COLUMN mfa_enabled        boolean NOT NULL DEFAULT false,
      ADD COLUMN mfa_secret         text,
      ADD COLUMN mfa_pending_secret text,
      ADD COLUMN mfa_last_time_step bigint,
      ADD COLUMN password_changed_at timestamptz;

    ALTER TABLE sessions ADD COLUMN kind varchar(8) NOT NULL DEFAULT 'user' CHECK (kind IN ('user', 'bot'));

    CREATE TABLE mfa_backup_codes (
      id        bigint PRIMARY KEY,
      user_id   bigint      NOT NULL REFERENCES users (id) ON DELETE CASCADE,
      code_hash bytea       NOT NULL,
      used_at   timestamptz
    );
    CREATE INDEX mfa_backup_codes_user_id_idx ON mfa_backup_codes (user_id);

    CREATE TABLE ip_rules (
      id         bigint PRIMARY KEY,
      cidr       cidr        NOT NULL,
      action     varchar(8)  NOT NULL CHECK (action IN ('allow', 'deny')),
      note       varchar(200),
      created_by bigint REFERENCES users (id) ON DELETE SET NULL,
      created_at timestamptz NOT NULL
    );

    CREATE TABLE security_events (
      id         bigint PRIMARY KEY,
      type       varchar(40) NOT NULL,
      user_id    bigint,
      ip         inet,
      details    jsonb       NOT NULL DEFAULT '{}',
      created_at timestamptz NOT NULL
    );
    CREATE INDEX security_events_user_id_idx ON security_events (user_id, id DESC);
    CREATE INDEX security_events_type_idx ON security_events (type, id DESC);
    CREATE INDEX security_events_ip_idx ON security_events (ip, id DESC);

    CREATE TABLE relationships (
      user_id    bigint      NOT NULL REFERENCES users (id) ON DELETE CASCADE,
      target_id  bigint      NOT NULL REFERENCES users (id) ON DELETE CASCADE,
      status     varchar(20) NOT NULL
                 CHECK (status IN ('friend', 'pending_incoming', 'pending_outgoing', 'blocked')),
      created_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (user_id, target_id),
      CHECK (user_id <> target_id)
    );
    CREATE INDEX relationships_target_id_idx ON relationships (target_id);

    -- Private channels: who is in a DM or owns a notes channel.
    CREATE TABLE channel_recipients (
      channel_id bigint NOT NULL REFERENCES channels (id) ON DELETE CASCADE,
      user_id    bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
      PRIMARY KEY (channel_id, user_id)
    );
    CREATE INDEX channel_recipients_user_id_idx ON channel_recipients (user_id);
    -- 'dm:<lower id>:<higher id>' or 'notes:<user id>': one DM per pair, one notes channel per user.
    ALTER TABLE channels ADD COLUMN private_key varchar(64) UNIQUE;
  `);
};

export const down: Migration = async ({ context: sequelize }) => {
  await sequelize.query(`
    ALTER TABLE channels DROP COLUMN IF EXISTS private_key;
    DROP TABLE IF EXISTS channel_recipients, relationships, security_events, ip_rules, mfa_backup_codes;
    ALTER TABLE sessions DROP COLUMN IF EXISTS kind;
    ALTER TABLE users
      DROP COLUMN IF EXISTS mfa_enabled, DROP COLUMN IF EXISTS mfa_secret,
      DROP COLUMN IF EXISTS mfa_pending_secret, DROP COLUMN IF EXISTS mfa_last_time_step,
      DROP COLUMN IF EXISTS password_changed_at;
  `);
};
