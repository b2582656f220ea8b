import { execFile, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { createSequelize } from '../../shared/db/connection.js';
import { ensureDatabase } from '../../shared/db/ensure-database.js';
import { migrateUp } from '../../shared/db/migrator.js';
import { createLogger, type Logger } from '../../shared/logger.js';
import type { Sequelize } from 'sequelize';

const run = promisify(execFile);

/** The first port the kernel hands out to outgoing connections (Linux's default where unreadable). */
function ephemeralLow(): number {
  try {
    const low = Number(
      fs.readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0],
    );
    return Number.isInteger(low) && low > 12000 ? low : 32768;
  } catch {
    return 32768;
  }
}

/** Binds `port` (0: any) on 127.0.0.1 and releases it: the port bound, or null when taken. */
async function probePort(port: number): Promise<number | null> {
  const probe = net.createServer();
  const bound = await new Promise<boolean>((resolve) => {
    probe.once('error', () => resolve(false));
    probe.listen(port, '127.0.0.1', () => resolve(true));
  });
  if (!bound) return null;
  const { port: got } = probe.address() as net.AddressInfo;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return got;
}

/**
 * A free TCP port on 127.0.0.1 (probed, then released for the caller to bind), chosen at random
 * below the kernel's ephemeral range: a port from that range may be handed to an outgoing
 * connection (a client of Postgres or Redis) before a slow-booting process binds it (EADDRINUSE,
 * seen in CI); one below it can only be taken by another listener.
 */
export async function freePort(): Promise<number> {
  const low = ephemeralLow();
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = await probePort(10000 + Math.floor(Math.random() * (low - 10000)));
    if (port !== null) return port;
  }
  return (await probePort(0)) as number;
}

/** Whether something accepts TCP connections on 127.0.0.1:`port`. */
export function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1', () => {
      socket.end();
      resolve(true);
    });
    socket.on('error', () => resolve(false));
  });
}

/** Polls `check` every 50 ms until it holds; throws naming `what` after `timeoutMs`. */
export async function until(
  check: () => Promise<boolean> | boolean,
  what: string,
  timeoutMs = 20000,
): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

/** A redis-server of the test's own, on its own port: stopping it touches nobody else's Redis. */
export interface PrivateRedis {
  port: number;
  url: string;
  /** Its data directory (the append-only file lives there with `appendonly`). */
  dir: string;
  /** Stops it: SIGTERM writes and syncs the AOF first (a restart); SIGKILL is a crash. */
  stop(signal?: NodeJS.Signals): Promise<void>;
  /** Starts it again on the same port and directory (replaying the AOF). */
  start(): Promise<void>;
  /** Stops it (if running) and removes its files. */
  destroy(): Promise<void>;
}

/** Starts redis-server on a free port; `appendonly` turns on the AOF as production runs it. */
export async function startPrivateRedis(options: { appendonly?: boolean } = {}): Promise<PrivateRedis> {
  const port = await freePort();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'plexichat-redis-'));
  const args = [
    '--port',
    String(port),
    '--bind',
    '127.0.0.1',
    '--dir',
    dir,
    '--save',
    '',
    '--appendonly',
    options.appendonly ? 'yes' : 'no',
    '--maxmemory-policy',
    'noeviction',
  ];
  let child: ChildProcess | null = null;
  const redis: PrivateRedis = {
    port,
    url: `redis://127.0.0.1:${port}`,
    dir,
    async start() {
      child = spawn('redis-server', args, { stdio: 'ignore' });
      await until(() => portOpen(port), `redis-server on ${port}`);
    },
    async stop(signal = 'SIGTERM') {
      if (!child) return;
      const done = exited(child);
      child.kill(signal);
      await done;
      child = null;
    },
    async destroy() {
      await redis.stop('SIGKILL');
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
  await redis.start();
  return redis;
}

/** A Postgres cluster of the test's own (initdb + pg_ctl under a temporary directory). */
export interface PrivatePostgres {
  port: number;
  /** URL of the `postgres` database as the `postgres` superuser (trust auth on loopback). */
  url: string;
  /** A fast shutdown: open connections are terminated (57P01), as in a restart. */
  stop(): Promise<void>;
  start(): Promise<void>;
  /** Stops it (if running) and removes its files. */
  destroy(): Promise<void>;
}

/** The directory of Postgres's server binaries: Debian keeps them out of PATH. */
function postgresBin(name: string): string {
  const root = '/usr/lib/postgresql';
  const versions = fs.existsSync(root) ? fs.readdirSync(root).sort((a, b) => Number(b) - Number(a)) : [];
  for (const v of versions) {
    const candidate = path.join(root, v, 'bin', name);
    if (fs.existsSync(candidate)) return candidate;
  }
  return name;
}

/**
 * initdb refuses to run as root: as root the cluster belongs to the `postgres` OS user (Debian's
 * package creates it); otherwise to the current user.
 */
async function postgresOwner(): Promise<{ uid: number; gid: number } | null> {
  if (process.getuid?.() !== 0) return null;
  const [{ stdout: uid }, { stdout: gid }] = await Promise.all([
    run('id', ['-u', 'postgres']),
    run('id', ['-g', 'postgres']),
  ]);
  return { uid: Number(uid.trim()), gid: Number(gid.trim()) };
}

/** Creates and starts a throwaway Postgres cluster on a free port (fsync off: test data only). */
export async function startPrivatePostgres(): Promise<PrivatePostgres> {
  const port = await freePort();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'plexichat-pg-'));
  const data = path.join(dir, 'data');
  const owner = await postgresOwner();
  if (owner) fs.chownSync(dir, owner.uid, owner.gid);
  const as = owner ?? {};
  await run(
    postgresBin('initdb'),
    ['-D', data, '-U', 'postgres', '-A', 'trust', '-E', 'UTF8', '--no-sync'],
    as,
  );
  const pgCtl = (...args: string[]) => run(postgresBin('pg_ctl'), ['-D', data, ...args], as);
  const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off`;
  const pg: PrivatePostgres = {
    port,
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    async start() {
      await pgCtl('-l', path.join(dir, 'postgres.log'), '-o', options, '-w', 'start');
    },
    async stop() {
      await pgCtl('-m', 'fast', '-w', 'stop');
    },
    async destroy() {
      await pgCtl('-m', 'immediate', '-w', 'stop').catch(() => undefined);
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
  await pg.start();
  return pg;
}

/** A Sequelize of two connections at most on the database at `url`, as the runtime builds one. */
export function smallSequelize(url: string, logger: Logger): Sequelize {
  return createSequelize(
    {
      database: {
        url,
        name: 'plexichat',
        pool: { max: 2, min: 0, idle_ms: 1000, acquire_ms: 10000 },
        embedded_port: 0,
        ssl: false,
        log_sql: false,
      },
    },
    logger,
  );
}

/** Applies every migration to the database at `url` (which must exist). */
export async function migrateDatabase(url: string): Promise<void> {
  const logger = createLogger({ log: { level: 'warn', pretty: false } }, 'test-setup');
  const sequelize = smallSequelize(url, logger);
  try {
    await migrateUp(sequelize, logger);
  } finally {
    await sequelize.close();
  }
}

/** A private cluster with a migrated `plexichat` database; `url` points at that database. */
export async function startMigratedPostgres(): Promise<PrivatePostgres & { databaseUrl: string }> {
  const pg = await startPrivatePostgres();
  const databaseUrl = pg.url.replace(/\/postgres$/, '/plexichat');
  await ensureDatabase(databaseUrl);
  await migrateDatabase(databaseUrl);
  return Object.assign(pg, { databaseUrl });
}

/** An nginx of the test's own, under a temporary directory. */
export interface PrivateNginx {
  dir: string;
  /** Its error log so far (for failure messages). */
  errors(): string;
  /** `nginx -s stop`, then waits for the master to exit. */
  stop(): Promise<void>;
}

/** Where Debian's package installs nginx (scripts/local-services.sh installs it when missing). */
const NGINX = fs.existsSync('/usr/sbin/nginx') ? '/usr/sbin/nginx' : 'nginx';

/**
 * Runs `site` (an http-context configuration such as deploy/nginx.conf) in nginx listening on
 * 127.0.0.1:`port`: a main configuration under a temporary directory holds the pid file, logs and
 * temp paths, so nothing of the machine's own nginx is touched.
 */
export async function startNginx(site: string, port: number): Promise<PrivateNginx> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'plexichat-nginx-'));
  // Workers drop to an unprivileged user when nginx starts as root; they read and write under dir.
  fs.chmodSync(dir, 0o755);
  fs.writeFileSync(path.join(dir, 'site.conf'), site);
  const conf = path.join(dir, 'nginx.conf');
  const temp = (name: string) => `${name}_temp_path ${path.join(dir, name)};`;
  fs.writeFileSync(
    conf,
    [
      'worker_processes 1;',
      'daemon off;',
      `pid ${path.join(dir, 'nginx.pid')};`,
      `error_log ${path.join(dir, 'error.log')} warn;`,
      'events { worker_connections 1024; }',
      'http {',
      `  access_log ${path.join(dir, 'access.log')};`,
      ...['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map((n) => `  ${temp(n)}`),
      `  include ${path.join(dir, 'site.conf')};`,
      '}',
      '',
    ].join('\n'),
  );
  const args = ['-p', dir, '-c', conf];
  const errors = () => {
    try {
      return fs.readFileSync(path.join(dir, 'error.log'), 'utf8');
    } catch {
      return '';
    }
  };
  await run(NGINX, [...args, '-t', '-q']).catch((err: Error & { stderr?: string }) => {
    throw new Error(`nginx rejects the configuration: ${err.stderr ?? err.message}`, { cause: err });
  });
  const child = spawn(NGINX, args, { stdio: 'ignore' });
  const done = exited(child);
  await until(() => child.exitCode !== null || portOpen(port), `nginx on ${port}`);
  if (child.exitCode !== null) throw new Error(`nginx exited: ${errors()}`);
  return {
    dir,
    errors,
    async stop() {
      await run(NGINX, [...args, '-s', 'stop']).catch(() => child.kill('SIGTERM'));
      await done;
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
