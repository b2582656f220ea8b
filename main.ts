/**
 * `npm start`: Plexichat on one machine with local Postgres and Redis, the embedded default.
 * By default (start.mode: multi) this process is a supervisor that runs the roles as processes on
 * every core and shares server.port among them; with start.mode: single every role runs here.
 * The supervised processes run this same file with PLEXICHAT_SUPERVISED_ROLE set.
 * Composition root: the only module that imports more than one role.
 */
import http from 'node:http';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { createApiServer, startApi } from './api/server.js';
import { startGateway } from './gateway/server.js';
import { fail, loadConfigOrExit, startRole } from './shared/boot.js';
import { acceptHandoffs, reportReady, reportSessions } from './shared/cluster/handoff.js';
import { SUPERVISED_ROLE_ENV, Supervisor, type SupervisedRole } from './shared/cluster/supervisor.js';
import type { Config } from './shared/config/index.js';
import { createSequelize } from './shared/db/connection.js';
import { migrateUp } from './shared/db/migrator.js';
import { Lifecycle } from './shared/lifecycle.js';
import { resolveLocalDatabase } from './shared/local-services/postgres.js';
import { resolveLocalRedis } from './shared/local-services/redis.js';
import { createLogger } from './shared/logger.js';
import { guardProcess } from './shared/process-guards.js';
import { capServerConnections } from './shared/net/connection-cap.js';
import { createRuntime } from './shared/runtime.js';
import { voiceSignalPaths } from './shared/voice-chat/signal-paths.js';
import { startVoice } from './voice/service.js';
import { startWorkers } from './workers/runner.js';

/** The origin clients use (printed, and the voice endpoint when voice.public_url is unset). */
function originOf(config: Config, port: number): string {
  const host = config.server.host === '0.0.0.0' ? '127.0.0.1' : config.server.host;
  return `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
}

function announce(config: Config, port: number, detail: string): void {
  const origin = originOf(config, port);
  process.stdout.write(
    `Plexichat is running: ${origin}/api/v1 (docs: ${origin}/docs, gateway path ${config.gateway.path}; ${detail})\n`,
  );
}

/** One supervised process: a role on connections handed over by the supervisor. */
async function runSupervised(role: SupervisedRole): Promise<void> {
  await startRole(role, async (rt) => {
    if (role === 'workers') {
      const pool = startWorkers(rt);
      rt.lifecycle.add('workers', () => pool.close());
    } else if (role === 'web') {
      const server = createApiServer(rt);
      rt.lifecycle.add('api', () => {
        server.closeAllConnections();
      });
      const gateway = await startGateway(rt, server);
      rt.lifecycle.add('gateway', () => gateway.close());
      reportSessions(gateway.io.engine);
      rt.lifecycle.add('handoffs', acceptHandoffs(server));
    } else {
      const server = http.createServer((_req, res) => {
        res.writeHead(404, { 'content-type': 'application/json' });
        res.end('{"code":"unknown_route","message":"Unknown route"}');
      });
      capServerConnections(rt, server);
      const origin = process.env.PLEXICHAT_SUPERVISOR_ORIGIN ?? rt.config.server.public_url;
      const voice = await startVoice(rt, server, { fallbackUrl: origin });
      rt.lifecycle.add('voice', () => voice.close());
      rt.lifecycle.add('handoffs', acceptHandoffs(server));
    }
    // A supervisor that died without stopping us (SIGKILL) closes the IPC channel: stop too, rather
    // than serve on as an orphan nobody restarts or stops.
    process.once('disconnect', () => {
      void rt.lifecycle.close().then(() => process.exit(0));
    });
    reportReady();
  });
}

/** The supervisor (multi) or every role in this process (single). */
async function runMain(): Promise<void> {
  const baseConfig = loadConfigOrExit();
  const logger = createLogger(baseConfig, 'all');
  // The supervisor too: it routes every connection of the instance (shared/process-guards.ts).
  guardProcess(logger);
  const lifecycle = new Lifecycle(logger);
  lifecycle.exitOnSignals(30_000);

  try {
    const database = await resolveLocalDatabase(baseConfig, logger);
    lifecycle.add('postgres', () => database.stop());
    const redis = await resolveLocalRedis(baseConfig, logger);
    lifecycle.add('redis-server', () => redis.stop());
    const config: Config = {
      ...baseConfig,
      database: { ...baseConfig.database, url: database.url },
      redis: { ...baseConfig.redis, url: redis.url },
    };

    // The single-machine default keeps itself current; role entries refuse a database that is behind.
    const migrator = createSequelize(config, logger);
    const applied = await migrateUp(migrator, logger).finally(() => migrator.close());
    if (applied.length) logger.info({ applied }, 'migrations applied');

    if (config.start.mode === 'multi') {
      const web = config.start.web_processes || os.availableParallelism();
      const workers = config.start.worker_processes;
      const supervisor = new Supervisor({
        entry: fileURLToPath(import.meta.url),
        host: config.server.host,
        port: config.server.port,
        copies: { web, workers, voice: config.voice.enabled ? 1 : 0 },
        // The port listened on, which differs from server.port 0: URLs built from it name it.
        env: (port) => ({
          PLEXICHAT_DATABASE__URL: database.url,
          PLEXICHAT_REDIS__URL: redis.url,
          PLEXICHAT_SERVER__PORT: String(port),
          PLEXICHAT_SUPERVISOR_ORIGIN: originOf(config, port),
        }),
        // Each process leases its own snowflake worker id from Redis (or uses a configured one).
        voicePaths: config.voice.enabled ? voiceSignalPaths(config) : [],
        logger,
      });
      lifecycle.add('processes', () => supervisor.stop());
      const port = await supervisor.start();
      announce(
        config,
        port,
        `${web} web, ${workers} workers${config.voice.enabled ? ', 1 voice' : ''} processes`,
      );
      return;
    }

    const rt = await createRuntime(config, 'all', { logger, lifecycle });
    guardProcess(logger, rt.metrics);
    const workers = startWorkers(rt);
    lifecycle.add('workers', () => workers.close());
    const api = await startApi(rt);
    lifecycle.add('api', () => api.close());
    const gateway = await startGateway(rt, api.server);
    lifecycle.add('gateway', () => gateway.close());
    // Voice signaling shares the API's HTTP server; without mediasoup installed, voice is off.
    const voice = await startVoice(rt, api.server, { fallbackUrl: config.server.public_url });
    lifecycle.add('voice', () => voice.close());
    announce(config, api.port, 'one process');
  } catch (err) {
    logger.fatal({ err }, 'startup failed');
    await lifecycle.close();
    fail(err instanceof Error ? err.message : String(err));
  }
}

const supervised = process.env[SUPERVISED_ROLE_ENV];
if (supervised === 'web' || supervised === 'workers' || supervised === 'voice')
  await runSupervised(supervised);
else await runMain();
