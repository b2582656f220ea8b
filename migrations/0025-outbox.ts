import type { Migration } from './types.js';

/**
 * The transactional outbox (shared/outbox): one row per committed command that caused effects
 * (gateway events, outgoing webhook events, cache invalidation, follow-up jobs), written in the
 * command's own transaction and deleted once relayed. Rows are few and short-lived: the writing
 * process relays its row right after the commit; the relay loop takes what a crashed process left.
 * `id` orders the relay (bigserial: no snowflake needed inside a transaction); `order_key` names
 * what the effects are ordered by (a channel's or a server's room); `scope` is the Redis key prefix
 * of the instance whose gateways and queues receive them (instances may share a database).
 */
export const up: Migration = async ({ context: sequelize }) => {
  await sequelize.query(`
    CREATE TABLE IF NOT EXISTS outbox (
      id          bigserial PRIMARY KEY,
      scope       text NOT NULL,
      order_key   text NOT NULL,
      effects     jsonb NOT NULL,
      created_at  timestamptz NOT NULL DEFAULT now()
    );
    CREATE INDEX IF NOT EXISTS outbox_scope_idx ON outbox (scope, id);
  `);
};

export const down: Migration = async ({ context: sequelize }) => {
  await sequelize.query(`DROP TABLE IF EXISTS outbox;`);
};
