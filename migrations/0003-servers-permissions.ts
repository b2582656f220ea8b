import type { Migration } from './types.js';

/** Permission overwrites, invites, bans and the audit log. */
export const up: Migration = async ({ context: sequelize }) => {
  await sequelize.query(`
    CREATE TABLE permission_overwrites (
      channel_id bigint     NOT NULL REFERENCES channels (id) ON DELETE CASCADE,
      target_id  bigint     NOT NULL,
      type       varchar(8) NOT NULL CHECK (type IN ('role', 'member')),
      allow      bigint     NOT NULL DEFAULT 0,
      deny       bigint     NOT NULL DEFAULT 0,
      PRIMARY KEY (channel_id, target_id)
    );

    CREATE TABLE invites (
      code       varchar(16) PRIMARY KEY,
      server_id  bigint      NOT NULL REFERENCES servers (id) ON DELETE CASCADE,
      channel_id bigint      NOT NULL REFERENCES channels (id) ON DELETE CASCADE,
      inviter_id bigint      REFERENCES users (id) ON DELETE SET NULL,
      max_age    integer     NOT NULL DEFAULT 86400,
      max_uses   integer     NOT NULL DEFAULT 0,
      uses       integer     NOT NULL DEFAULT 0,
      created_at timestamptz NOT NULL DEFAULT now(),
      expires_at timestamptz,
      revoked_at timestamptz
    );
    CREATE INDEX invites_server_id_idx ON invites (server_id);

    CREATE TABLE bans (
      server_id  bigint      NOT NULL REFERENCES servers (id) ON DELETE CASCADE,
      user_id    bigint      NOT NULL REFERENCES users (id) ON DELETE CASCADE,
      reason     varchar(512),
      banned_by  bigint      REFERENCES users (id) ON DELETE SET NULL,
      created_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (server_id, user_id)
    );

    CREATE TABLE audit_logs (
      id          bigint PRIMARY KEY,
      server_id   bigint      NOT NULL REFERENCES servers (id) ON DELETE CASCADE,
      actor_id    bigint      REFERENCES users (id) ON DELETE SET NULL,
      action      varchar(40) NOT NULL,
      target_type varchar(20),
      target_id   bigint,
      changes     jsonb       NOT NULL DEFAULT '[]',
      reason      varchar(512),
      created_at  timestamptz NOT NULL
    );
    CREATE INDEX audit_logs_server_id_idx ON audit_logs (server_id, id DESC);
    CREATE INDEX audit_logs_actor_idx ON audit_logs (server_id, actor_id, id DESC);
  `);
};

export const down: Migration = async ({ context: sequelize }) => {
  await sequelize.query(`DROP TABLE IF EXISTS audit_logs, bans, invites, permission_overwrites;`);
};
