import { startApi } from '../../api/server.js';
import { startGateway } from '../../gateway/server.js';
import type { Config } from '../../shared/config/index.js';
import { createRuntime, type Runtime } from '../../shared/runtime.js';
import { startVoice, type VoiceService } from '../../voice/service.js';
import { startWorkers } from '../../workers/runner.js';
import { testConfig } from './config.js';

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
