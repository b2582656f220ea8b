import pg from 'pg';
import { Sequelize } from 'sequelize';
import type { Config } from '../config/index.js';
import type { Logger } from '../logger.js';

/** The Postgres URL in effect: the configured one, or the local server's `database.name`. */
export function databaseUrl(config: Pick<Config, 'database'>): string {
  return config.database.url ?? `postgres://postgres@127.0.0.1:5432/${config.database.name}`;
}

/**
 * pg's client as Sequelize's pool gets it: listening for 'error' from the moment it exists.
 * Sequelize adds its own listener only once the connection is established, a turn later; a
 * Postgres shutting down just then (a restart's "terminating connection due to administrator
 * command", which can arrive with the handshake's last message) emitted 'error' on a client
 * nobody listened to, and an EventEmitter's unheard 'error' is thrown: the process went down with
 * it (seen once in CI, in test/api/health.test.ts's Postgres outage). The client is marked invalid
 * as Sequelize's own listener marks one (its pool's validate reads `_invalid`), so the pool
 * replaces it instead of handing it out.
 */
export class GuardedClient extends pg.Client {
  constructor(config?: string | pg.ClientConfig) {
    super(config);
    this.on('error', () => {
      (this as unknown as { _invalid: boolean })._invalid = true;
    });
  }
}

/** The pg module Sequelize loads, with GuardedClient as its client. */
const guardedPg = { ...pg, Client: GuardedClient };

/** A Sequelize instance on pg with the configured pool. */
export function createSequelize(config: Pick<Config, 'database'>, logger: Logger): Sequelize {
  const { pool, ssl, log_sql } = config.database;
  return new Sequelize(databaseUrl(config), {
    dialect: 'postgres',
    dialectModule: guardedPg,
    logging: log_sql ? (sql: string) => logger.debug({ sql }, 'sql') : false,
    pool: { max: pool.max, min: pool.min, idle: pool.idle_ms, acquire: pool.acquire_ms },
    dialectOptions: ssl ? { ssl: { require: true, rejectUnauthorized: true } } : {},
    define: { underscored: true, freezeTableName: true },
  });
}
