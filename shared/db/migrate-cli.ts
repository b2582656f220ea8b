import { fail, loadConfigOrExit } from '../boot.js';
import { resolveLocalDatabase } from '../local-services/postgres.js';
import { createLogger } from '../logger.js';
import { createSequelize } from './connection.js';
import { migrateUp } from './migrator.js';

/**
 * `npm run migrate`: applies pending migrations to the configured database (or the local/embedded
 * one `npm start` would use, creating it if missing).
 */
const config = loadConfigOrExit();
const logger = createLogger(config, 'migrate');
try {
  const database = await resolveLocalDatabase(config, logger);
  const sequelize = createSequelize({ database: { ...config.database, url: database.url } }, logger);
  try {
    const applied = await migrateUp(sequelize, logger);
    process.stdout.write(applied.length ? `applied: ${applied.join(', ')}\n` : 'database is up to date\n');
  } finally {
    await sequelize.close();
    await database.stop();
  }
} catch (err) {
  fail(`migrate failed: ${err instanceof Error ? err.message : String(err)}`);
}
