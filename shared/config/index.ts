export { loadConfig, ConfigError, DEFAULT_CONFIG_PATH, ENV_PREFIX, type LoadOptions } from './load.js';
export {
  configSchema,
  QUEUE_CONCURRENCY_DEFAULTS,
  THROTTLE_DEFAULTS,
  type Config,
  type RateLimit,
  type Throttle,
  type ThrottleName,
} from './schema.js';
