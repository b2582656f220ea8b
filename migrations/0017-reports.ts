import type { Migration } from './types.js';

/**
 * Reports of users and messages. `snapshot` keeps what was reported as it was (a message's content,
 * attachments and author) so a report stays reviewable after the message is edited or deleted.
 * A report with a server goes to that server's moderators; one without (a DM, a user reported
 * outside any server) only to instance admins, who see every report.
 */
export const up: Migration = async ({ context: sequelize }) => {
  await sequelize.query(`
    CREATE TABLE reports (
      id                 bigint PRIMARY KEY,
      reporter_id        bigint REFERENCES users (id) ON DELETE SET NULL,
      server_id          bigint REFERENCES servers (id) ON DELETE CASCADE,
      target_type        varchar(16) NOT NULL CHECK (target_type IN ('user', 'message')),
      target_user_id     bigint NOT NULL,
      channel_id         bigint,
      message_id         bigint,
      reason             varchar(1000) NOT NULL,
      snapshot           jsonb NOT NULL,
      status             varchar(16) NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'resolved', 'dismissed')),
      notes              jsonb NOT NULL DEFAULT '[]',
      action_taken       varchar(32),
      resolved_by        bigint REFERENCES users (id) ON DELETE SET NULL,
      resolved_at        timestamptz,
      created_at         timestamptz NOT NULL,
      updated_at         timestamptz
    );
    CREATE INDEX reports_server_status_idx ON reports (server_id, status, id DESC);
    CREATE INDEX reports_status_idx ON reports (status, id DESC);
    CREATE INDEX reports_reporter_idx ON reports (reporter_id, id DESC);
    CREATE UNIQUE INDEX reports_one_open_per_target ON reports (reporter_id, target_type, COALESCE(message_id, target_user_id))
      WHERE status = 'open';
  `);
};

export const down: Migration = async ({ context: sequelize }) => {
  await sequelize.query(`DROP TABLE IF EXISTS reports;`);
};
