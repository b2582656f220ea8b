/**
 * `npm start`: every role in one process on local Postgres and Redis, the embedded default for a
 * single machine. Composition root: the only module that imports more than one role.
 */
import { startApi } from './api/server.js';
import { startGateway } from './gateway/server.js';
import { fail, loadConfigOrExit } from './shared/boot.js';
import type { Config } from './shared/config/index.js';
import { createSequelize } from './shared/db/connection.js';
import { migrateUp } from './shared/db/migrator.js';
import { Lifecycle } from './shared/lifecycle.js';
import { resolveLocalDatabase } from './shared/local-services/postgres.js';
import { resolveLocalRedis } from './shared/local-services/redis.js';
import { createLogger } from './shared/logger.js';
import { createRuntime } from './shared/runtime.js';
import { startVoice } from './voice/service.js';
import { startWorkers } from './workers/runner.js';

const baseConfig = loadConfigOrExit();
const logger = createLogger(baseConfig, 'all');
const lifecycle = new Lifecycle(logger);
lifecycle.exitOnSignals();

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

  const rt = await createRuntime(config, 'all', { logger, lifecycle });
  const workers = startWorkers(rt);
  lifecycle.add('workers', () => workers.close());
  const api = await startApi(rt);
  lifecycle.add('api', () => api.close());
  const gateway = await startGateway(rt, api.server);
  lifecycle.add('gateway', () => gateway.close());
  // Voice signaling shares the API's HTTP server; without mediasoup installed, voice is off.
  const voice = await startVoice(rt, api.server, { fallbackUrl: config.server.public_url });
  lifecycle.add('voice', () => voice.close());
  const host = config.server.host === '0.0.0.0' ? '127.0.0.1' : config.server.host;
  process.stdout.write(
    `Plexichat is running: http://${host}:${api.port}/api/v1 (docs: http://${host}:${api.port}/docs, gateway path ${config.gateway.path})\n`,
  );
} catch (err) {
  logger.fatal({ err }, 'startup failed');
  await lifecycle.close();
  fail(err instanceof Error ? err.message : String(err));
}
