import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import { testConfig } from '../helpers/config.js';
import { startTestApp, type TestApp } from '../helpers/app.js';

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** A private redis-server on its own port, so the test can stop it without touching anyone else's. */
async function startRedis(port: number): Promise<ChildProcess> {
  const child = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    {
      stdio: 'ignore',
    },
  );
  for (let i = 0; i < 100; i++) {
    const up = await new Promise<boolean>((resolve) => {
      const socket = net.connect(port, '127.0.0.1', () => {
        socket.end();
        resolve(true);
      });
      socket.on('error', () => resolve(false));
    });
    if (up) return child;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('redis-server did not start');
}

async function stopRedis(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGKILL');
  await exited;
}

async function getJson(url: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(url);
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

describe('GET /api/v1/health', () => {
  let app: TestApp;
  afterAll(() => app.close());

  it('answers 200 with every check ok against the real services', async () => {
    app = await startTestApp();
    const { status, body } = await getJson(`${app.api}/health`);
    expect(status).toBe(200);
    expect(body.status).toBe('ok');
    expect(body.version).toMatch(/^[abcr]\.\d+\.\d+-\d+$/);
    const checks = body.checks as Record<string, { status: string; details?: Record<string, unknown> }>;
    expect(Object.keys(checks).sort()).toEqual(['database', 'queues', 'redis', 'storage']);
    for (const check of Object.values(checks)) expect(check.status).toBe('ok');
    expect(checks.queues?.details?.messages).toMatchObject({ workers: 1, failed: 0 });
  });

  it('GET /ready and /version answer', async () => {
    expect(await getJson(`${app.api}/ready`)).toEqual({ status: 200, body: { status: 'ready' } });
    const version = await getJson(`${app.api}/version`);
    expect(version.status).toBe(200);
    expect(version.body).toEqual({
      version: expect.stringMatching(/^[abcr]\.\d+\.\d+-\d+$/) as string,
      api: 1,
    });
  });
});

describe('health when Redis goes away', () => {
  let redis: ChildProcess;
  let app: TestApp;
  let port: number;

  beforeAll(async () => {
    port = await freePort();
    redis = await startRedis(port);
    app = await startTestApp({ config: testConfig({ redis: { url: `redis://127.0.0.1:${port}` } }) });
  });
  afterAll(async () => {
    await app.close();
    await stopRedis(redis);
  });

  it('answers 503 naming redis (and the queues on it), then recovers when Redis is back', async () => {
    expect((await getJson(`${app.api}/health`)).status).toBe(200);

    await stopRedis(redis);
    const down = await getJson(`${app.api}/health`);
    expect(down.status).toBe(503);
    expect(down.body.code).toBe('service_unavailable');
    expect(down.body.message).toMatch(/redis/);
    const checks = down.body.checks as Record<string, { status: string; error?: string }>;
    expect(checks.redis?.status).toBe('error');
    expect(checks.redis?.error).toBeTruthy();
    expect(checks.queues?.status).toBe('error');
    expect(checks.database?.status).toBe('ok');
    expect((await getJson(`${app.api}/ready`)).status).toBe(503);
    // Request-path queue connections fail fast instead of queueing commands in memory.
    const started = Date.now();
    await expect(
      app.rt.queues.messages.add('create', {
        kind: 'create',
        message: { id: '1', channel_id: '1', author_id: '1', content: 'x', nonce: null },
      }),
    ).rejects.toThrow();
    expect(Date.now() - started).toBeLessThan(5000);

    redis = await startRedis(port);
    let recovered = 0;
    for (let i = 0; i < 50 && recovered !== 200; i++) {
      await new Promise((r) => setTimeout(r, 200));
      recovered = (await getJson(`${app.api}/health`)).status;
    }
    expect(recovered).toBe(200);
  });
});
