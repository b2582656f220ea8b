import fs from 'node:fs';
import path from 'node:path';
import type Joi from 'joi';
import YAML from 'yaml';
import { productionProblems } from './production.js';
import { configSchema, DEFAULT_HOME, type Config } from './schema.js';

/** Default location of the configuration file (`PLEXICHAT_CONFIG` overrides it). */
export const DEFAULT_CONFIG_PATH = path.join(DEFAULT_HOME, 'config', 'config.yaml');

/** The default config file for a given environment's HOME. */
function defaultConfigPath(env: NodeJS.ProcessEnv): string {
  return env.HOME ? path.join(env.HOME, '.plexichat', 'config', 'config.yaml') : DEFAULT_CONFIG_PATH;
}

/** Environment variables override file values: PLEXICHAT_SERVER__PORT=9000 sets server.port. */
export const ENV_PREFIX = 'PLEXICHAT_';

/** A configuration that cannot be used; `message` is the one line printed before exiting. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

type Tree = Record<string, unknown>;

/** PLEXICHAT_* variables that are not settings: the config path, the CLI's password, what a supervised process runs, test targets. */
const NOT_SETTINGS = /^PLEXICHAT_(CONFIG|ADMIN_PASSWORD|SUPERVISED_ROLE|SUPERVISOR_ORIGIN|TEST_[A-Z0-9_]+)$/;

export interface LoadOptions {
  /** Config file to read; defaults to PLEXICHAT_CONFIG or ~/.plexichat/config/config.yaml. */
  path?: string;
  env?: NodeJS.ProcessEnv;
  /** Values applied on top of file and environment (used by tests and the all-in-one runner). */
  overrides?: Tree;
}

function readFile(file: string, explicit: boolean): Tree {
  if (!fs.existsSync(file)) {
    if (explicit) throw new ConfigError(`config: file ${file} does not exist`);
    return {};
  }
  let parsed: unknown;
  try {
    parsed = YAML.parse(fs.readFileSync(file, 'utf8'));
  } catch (err) {
    const why = err instanceof Error ? err.message.split('\n')[0] : String(err);
    throw new ConfigError(`config: cannot parse ${file}: ${why}`);
  }
  if (parsed === null || parsed === undefined) return {};
  if (typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new ConfigError(`config: ${file} must hold a mapping of settings at the top level`);
  }
  return parsed as Tree;
}

function isArrayKey(keyPath: string[]): boolean {
  try {
    return configSchema.extract(keyPath).type === 'array';
  } catch {
    return false; // unknown key: left as a string so validation names it
  }
}

function setPath(tree: Tree, keyPath: string[], value: unknown): void {
  let node = tree;
  for (const key of keyPath.slice(0, -1)) {
    const next = node[key];
    if (typeof next !== 'object' || next === null || Array.isArray(next)) node[key] = {};
    node = node[key] as Tree;
  }
  node[keyPath[keyPath.length - 1] as string] = value;
}

function applyEnv(tree: Tree, env: NodeJS.ProcessEnv, sources: Map<string, string>): void {
  for (const [name, raw] of Object.entries(env)) {
    if (!name.startsWith(ENV_PREFIX) || NOT_SETTINGS.test(name) || raw === undefined) continue;
    const keyPath = name.slice(ENV_PREFIX.length).toLowerCase().split('__');
    let value: unknown = raw;
    if (raw === 'null') value = null;
    else if (isArrayKey(keyPath)) value = raw.trim() === '' ? [] : raw.split(',').map((s) => s.trim());
    setPath(tree, keyPath, value);
    sources.set(keyPath.join('.'), name);
  }
}

function mergeInto(target: Tree, source: Tree): void {
  for (const [key, value] of Object.entries(source)) {
    const existing = target[key];
    if (
      value &&
      typeof value === 'object' &&
      !Array.isArray(value) &&
      existing &&
      typeof existing === 'object'
    ) {
      mergeInto(existing as Tree, value as Tree);
    } else {
      target[key] = value;
    }
  }
}

/**
 * Reads file + environment + overrides, validates with joi, and throws ConfigError naming the bad keys;
 * in production mode also refuses unsafe settings (shared/config/production.ts).
 */
export function loadConfig(options: LoadOptions = {}): Config {
  const env = options.env ?? process.env;
  const explicit = options.path ?? env[`${ENV_PREFIX}CONFIG`];
  const file = explicit ?? defaultConfigPath(env);
  const tree = readFile(file, explicit !== undefined);
  const sources = new Map<string, string>();
  applyEnv(tree, env, sources);
  if (options.overrides) mergeInto(tree, structuredClone(options.overrides));

  const result: Joi.ValidationResult<Config> = configSchema.validate(tree, {
    abortEarly: false,
    convert: true,
  });
  if (result.error) {
    const problems = result.error.details.map((d) => {
      const key = d.path.join('.');
      const from = sources.get(key);
      return `${d.message}${from ? ` (from ${from})` : ''}`;
    });
    throw new ConfigError(`config: ${problems.join('; ')} [${file}]`);
  }
  if (result.value.mode === 'production') {
    const unsafe = productionProblems(result.value);
    if (unsafe.length > 0) {
      throw new ConfigError(
        `config: unsafe for production (set mode: development to run anyway on a machine without real users): ${unsafe.join('; ')} [${file}]`,
      );
    }
  }
  return result.value;
}
