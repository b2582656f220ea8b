import type { Sequelize } from 'sequelize';
import { SequelizeStorage, Umzug } from 'umzug';
import { migrations } from '../../migrations/index.js';
import type { Logger } from '../logger.js';

/** Umzug over the migration list, recording applied names in the `migrations_meta` table. */
export function createMigrator(sequelize: Sequelize, logger?: Logger): Umzug<Sequelize> {
  return new Umzug({
    migrations: migrations.map((m) => ({ name: m.name, up: m.up, down: m.down })),
    context: sequelize,
    storage: new SequelizeStorage({ sequelize, tableName: 'migrations_meta' }),
    logger: logger
      ? {
          info: (msg) => logger.info(msg, 'migration'),
          warn: (msg) => logger.warn(msg, 'migration'),
          error: (msg) => logger.error(msg, 'migration'),
          debug: (msg) => logger.debug(msg, 'migration'),
        }
      : undefined,
  });
}

/** Applies every pending migration; returns the names applied. */
export async function migrateUp(sequelize: Sequelize, logger?: Logger): Promise<string[]> {
  const applied = await createMigrator(sequelize, logger).up();
  return applied.map((m) => m.name);
}

/** Refuses to boot on a database whose schema is behind this code. */
export async function assertMigrated(sequelize: Sequelize): Promise<void> {
  const pending = await createMigrator(sequelize).pending();
  if (pending.length > 0) {
    throw new Error(
      `database is ${pending.length} migration(s) behind (next: ${pending[0]?.name}); run \`npm run migrate\``,
    );
  }
}
