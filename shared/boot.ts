import { ConfigError, loadConfig, type Config } from './config/index.js';
import { createLogger } from './logger.js';
import { guardProcess } from './process-guards.js';
import { createRuntime, type Runtime } from './runtime.js';

/** Prints one line and exits: how every entry point reports a bad config or an unusable database. */
export function fail(message: string): never {
  process.stderr.write(`plexichat: ${message}\n`);
  process.exit(1);
}

/** Loads and validates the config, or exits naming the bad key. */
export function loadConfigOrExit(): Config {
  try {
    return loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) fail(err.message);
    throw err;
  }
}

/**
 * The production entry of one role (every role's main.ts, and each process `npm start` supervises):
 * config, the process guards (shared/process-guards.ts) from the moment there is a logger, runtime,
 * the role itself, shutdown on signals.
 */
export async function startRole(
  role: string,
  start: (rt: Runtime) => Promise<void> | void,
): Promise<Runtime> {
  const config = loadConfigOrExit();
  const logger = createLogger(config, role);
  guardProcess(logger);
  let rt: Runtime;
  try {
    rt = await createRuntime(config, role, { logger });
  } catch (err) {
    fail(`${role} cannot start: ${err instanceof Error ? err.message : String(err)}`);
  }
  guardProcess(logger, rt.metrics);
  rt.lifecycle.exitOnSignals();
  try {
    await start(rt);
  } catch (err) {
    rt.logger.fatal({ err }, `${role} failed to start`);
    await rt.lifecycle.close();
    fail(`${role} cannot start: ${err instanceof Error ? err.message : String(err)}`);
  }
  return rt;
}
