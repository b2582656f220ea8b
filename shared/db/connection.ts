import { Sequelize } from 'sequelize';
import type { Config } from '../config/index.js';
import type { Logger } from '../logger.js';

/** The Postgres URL in effect: the configured one, or the local server's `database.name`. */
export function databaseUrl(config: Pick<Config, 'database'>): string {
  return config.database.url ?? `postgres://postgres@127.0.0.1:5432/${config.database.name}`;
}

/** A Sequelize instance on pg with the configured pool. */
export function createSequelize(config: Pick<Config, 'database'>, logger: Logger): Sequelize {
  const { pool, ssl, log_sql } = config.database;
  return new Sequelize(databaseUrl(config), {
    dialect: 'postgres',
    logging: log_sql ? (sql: string) => logger.debug({ sql }, 'sql') : false,
    pool: { max: pool.max, min: pool.min, idle: pool.idle_ms, acquire: pool.acquire_ms },
    dialectOptions: ssl ? { ssl: { require: true, rejectUnauthorized: true } } : {},
    define: { underscored: true, freezeTableName: true },
  });
}
