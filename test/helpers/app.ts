import { startApi } from '../../api/server.js';
import { startGateway } from '../../gateway/server.js';
import type { Config } from '../../shared/config/index.js';
import { createRuntime, type Runtime } from '../../shared/runtime.js';
import { startVoice, type VoiceService } from '../../voice/service.js';
import { startWorkers } from '../../workers/runner.js';
import { testConfig } from './config.js';
import { startMigratedPostgres, type PrivatePostgres } from './services.js';

/** A running Plexichat (API + gateway + workers, as `npm start` wires them) on a free port. */
export interface TestApp {
  rt: Runtime;
  config: Config;
  port: number;
  /** `http://127.0.0.1:<port>` */
  origin: string;
  /** `http://127.0.0.1:<port>/api/v1` */
  api: string;
  /** The voice role on the same HTTP server, when started with `voice: true`. */
  voice: VoiceService | null;
  close(): Promise<void>;
}

export interface TestAppOptions {
  config?: Config;
  workers?: boolean;
  gateway?: boolean;
  /** Also run the voice role (mediasoup) on the API's HTTP server, as `npm start` does. */
  voice?: boolean;
}

/** Boots the roles in this process against the real test Postgres and Redis. */
export async function startTestApp(options: TestAppOptions = {}): Promise<TestApp> {
  const config = options.config ?? testConfig();
  const rt = await createRuntime(config, 'test');
  if (options.workers !== false) {
    const pool = startWorkers(rt);
    rt.lifecycle.add('workers', () => pool.close());
  }
  const server = await startApi(rt, 0);
  rt.lifecycle.add('api', () => server.close());
  if (options.gateway !== false) {
    const gateway = await startGateway(rt, server.server);
    rt.lifecycle.add('gateway', () => gateway.close());
  }
  let voice: VoiceService | null = null;
  if (options.voice) {
    const started = await startVoice(rt, server.server, { required: true });
    voice = started;
    rt.lifecycle.add('voice', () => started.close());
  }
  const origin = `http://127.0.0.1:${server.port}`;
  return {
    rt,
    config,
    port: server.port,
    origin,
    api: `${origin}/api/v1`,
    voice,
    close: () => rt.lifecycle.close(),
  };
}

/**
 * The app a suite (or one describe block) runs against: registers the beforeAll that starts it and
 * the afterAll that closes it, and returns a stand-in that tests use as the TestApp itself. Every
 * suite shares this one set-up instead of carrying its own copy of the same pair of hooks.
 *
 * `options` may be a function, read when the app starts, for options built by earlier set-up (a
 * receiver's port, say). Hooks run in the order they are registered, so a beforeAll written after
 * this call sees the started app, and an afterAll written after it runs once the app has closed.
 */
export function useTestApp(
  options: TestAppOptions | (() => TestAppOptions) = {},
  timeoutMs?: number,
): TestApp {
  return useStarted(
    'app',
    () => startTestApp(typeof options === 'function' ? options() : options),
    (app) => app.close(),
    timeoutMs,
  );
}

/**
 * useTestApp on a Postgres of its own (a private server, migrated, destroyed once the app has
 * closed): for a suite that stops the database, or whose rows no other test app may take.
 */
export function useTestAppOnOwnPostgres(timeoutMs = 60000): {
  app: TestApp;
  postgres: PrivatePostgres & { databaseUrl: string };
} {
  let started: (PrivatePostgres & { databaseUrl: string }) | undefined;
  beforeAll(async () => {
    started = await startMigratedPostgres();
  }, timeoutMs);
  const postgres = standIn('private Postgres', (key) => {
    if (started) return started;
    throw new Error(`private Postgres.${String(key)} was read before it started`);
  });
  const app = useTestApp(
    () => ({ config: testConfig({ database: { url: postgres.databaseUrl } }) }),
    timeoutMs,
  );
  afterAll(async () => {
    await started?.destroy();
  });
  return { app, postgres };
}

/**
 * Something a suite starts in a beforeAll and closes in an afterAll (an app, an app with its mail
 * server), used through a stand-in that reads the started value; `label` names it in the errors
 * a read at the wrong time throws.
 */
export function useStarted<T extends object>(
  label: string,
  start: () => Promise<T>,
  close: (started: T) => Promise<void>,
  timeoutMs?: number,
): T {
  let value: T | undefined;
  let state: 'not started' | 'failed' | 'closed' = 'not started';
  beforeAll(async () => {
    try {
      value = await start();
    } catch (err) {
      state = 'failed';
      throw err;
    }
  }, timeoutMs);
  // Nothing to close when the start failed: its error is the one the suite reports.
  afterAll(async () => {
    const started = value;
    value = undefined;
    if (started) {
      state = 'closed';
      await close(started);
    }
  });
  const why = {
    'not started': `before the ${label} started; read it in a test or hook, not while the suite is being defined`,
    failed: `but the ${label} failed to start (see the beforeAll error)`,
    closed: `after the ${label} closed`,
  };
  return standIn(label, (key) => {
    if (value) return value;
    throw new Error(`${label}.${String(key)} was read ${why[state]}`);
  });
}

/**
 * A read-only stand-in for the object `current` returns at the moment of each read (it throws,
 * naming the property, when there is none): what useStarted hands out, and views of a part of
 * what it started.
 */
export function standIn<T extends object>(label: string, current: (key: PropertyKey) => T): T {
  return new Proxy({} as T, {
    get(_target, key) {
      // Not a thenable: `await` or a promise resolved with the stand-in must not touch the value.
      if (key === 'then') return undefined;
      const started = current(key);
      const value: unknown = Reflect.get(started, key, started);
      // Methods run against the real object, wherever the stand-in's property is called from.
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(started) : value;
    },
    has: (_target, key) => Reflect.has(current(key), key),
    ownKeys: () => Reflect.ownKeys(current('ownKeys')),
    getOwnPropertyDescriptor: (_target, key) => Reflect.getOwnPropertyDescriptor(current(key), key),
    set(_target, key) {
      throw new Error(
        `${label}.${String(key)} cannot be assigned; the stand-in only reads the started ${label}`,
      );
    },
  });
}
