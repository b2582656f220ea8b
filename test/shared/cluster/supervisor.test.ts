import crypto from 'node:crypto';
import { registerUser, type TestUser } from '../../helpers/accounts.js';
import type { TestApp } from '../../helpers/app.js';
import { configEnv, testConfig } from '../../helpers/config.js';
import { connectGateway, type GatewayClient } from '../../helpers/gateway-client.js';
import { spawnEntry, type RoleProcess } from '../../helpers/processes.js';
import { tryVoiceCommand } from '../../helpers/voice-client.js';

// `npm start`'s default: main.ts as a supervisor of 2 web processes, 1 workers and 1 voice process on one port.
let main: RoleProcess;
let app: TestApp;
const clients: GatewayClient[] = [];

/** Pids of ready processes by role, from the supervisor's log lines. */
function readyPids(role: string): number[] {
  const pids: number[] = [];
  for (const line of main.output().split('\n')) {
    if (!line.includes('"process ready"') || !line.includes(`"role":"${role}"`)) continue;
    const pid = /"pid":(\d+)/.exec(line)?.[1];
    if (pid) pids.push(Number(pid));
  }
  return pids;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function until(check: () => boolean | Promise<boolean>, timeoutMs = 30000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 100));
  }
}

beforeAll(async () => {
  const config = testConfig();
  main = spawnEntry('main.ts', {
    ...configEnv(config),
    PLEXICHAT_LOG__LEVEL: 'info',
    PLEXICHAT_SERVER__PORT: '0',
    PLEXICHAT_START__MODE: 'multi',
    PLEXICHAT_START__WEB_PROCESSES: '2',
    PLEXICHAT_VOICE__WORKERS: '1',
  });
  const [, port] = await main.waitFor(/Plexichat is running: http:\/\/127\.0\.0\.1:(\d+)\/api\/v1/, 90000);
  const origin = `http://127.0.0.1:${port}`;
  // Only the addresses are used by the request helpers.
  app = { origin, api: `${origin}/api/v1`, port: Number(port) } as TestApp;
}, 120000);

afterAll(async () => {
  for (const c of clients) c.close();
  await main?.kill('SIGTERM');
});

async function send(user: TestUser, channelId: string, content: string): Promise<Response> {
  return fetch(`${app.api}/channels/${channelId}/messages`, {
    method: 'POST',
    headers: { ...user.headers, 'content-type': 'application/json' },
    body: JSON.stringify({ content }),
  });
}

async function serverWithChannel(user: TestUser): Promise<string> {
  const res = await fetch(`${app.api}/servers`, {
    method: 'POST',
    headers: { ...user.headers, 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'supervised' }),
  });
  expect(res.status).toBe(201);
  const server = (await res.json()) as { id: string };
  const channels = (await (
    await fetch(`${app.api}/servers/${server.id}/channels`, { headers: user.headers })
  ).json()) as Array<{
    id: string;
    name: string;
  }>;
  return channels.find((c) => c.name === 'general')!.id;
}

describe('npm start in multi mode: roles as processes on every core behind one port', () => {
  it('runs two web processes, a workers and a voice process, each its own OS process', async () => {
    // The supervisor's log is written asynchronously: its "process ready" lines may trail the banner.
    await until(
      () =>
        readyPids('web').length === 2 && readyPids('workers').length === 1 && readyPids('voice').length === 1,
    );
    const web = readyPids('web');
    const workers = readyPids('workers');
    const voice = readyPids('voice');
    expect([web.length, workers.length, voice.length]).toEqual([2, 1, 1]);
    expect(new Set([...web, ...workers, ...voice, main.child.pid]).size).toBe(5);
  });

  it('sends voice signaling to the voice process, on voice.path and on socket.io’s default path', async () => {
    const user = await registerUser(app);
    const channelId = await serverWithChannel(user);
    const { server_id: serverId } = (await (
      await fetch(`${app.api}/channels/${channelId}`, { headers: user.headers })
    ).json()) as { server_id: string };
    const created = await fetch(`${app.api}/servers/${serverId}/channels`, {
      method: 'POST',
      headers: { ...user.headers, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'talk', channel_type: 'voice' }),
    });
    const voiceChannel = (await created.json()) as { id: string };
    const gw = await connectGateway(app.origin, { token: user.token });
    clients.push(gw);
    const outcomes: string[] = [];
    for (const [i, path] of ['/voice-signal', undefined].entries()) {
      await gw.command('voice_state_update', { channel_id: null, self_mute: false, self_deaf: false });
      await gw.command('voice_state_update', {
        channel_id: voiceChannel.id,
        self_mute: false,
        self_deaf: false,
      });
      const updates = await gw.waitForFrames(i + 1, (f) => f.t === 'VOICE_SERVER_UPDATE');
      const info = updates[i]!.d as { endpoint: string; path: string; token: string };
      expect([info.endpoint, info.path]).toEqual([app.origin, '/voice-signal']);
      outcomes.push(await tryVoiceCommand(info, path));
    }
    expect(outcomes).toEqual(['ok', 'ok']);
  });

  it('keeps a long-polling gateway session on one process: READY, then a message sent over REST arrives', async () => {
    const user = await registerUser(app);
    const channelId = await serverWithChannel(user);
    // Polling alternates requests across connections; without sticky routing they would reach a
    // process that does not know the session.
    const polling = await connectGateway(app.origin, { token: user.token }, '/gateway', undefined, {
      transports: ['polling'],
    });
    const ws = await connectGateway(app.origin, { token: user.token });
    clients.push(polling, ws);
    for (let i = 0; i < 5; i++) expect((await send(user, channelId, `hello ${i}`)).status).toBe(200);
    for (const c of [polling, ws]) {
      const frames = await c.waitForFrames(5, (f) => f.t === 'MESSAGE_CREATE');
      expect(frames.map((f) => (f.d as { content: string }).content)).toEqual(
        [0, 1, 2, 3, 4].map((i) => `hello ${i}`),
      );
    }
  });

  it('hands over requests whose bodies span many packets without losing a byte', async () => {
    const user = await registerUser(app);
    const data = crypto.randomBytes(3 * 1024 * 1024);
    const form = new FormData();
    form.append('file', new Blob([data], { type: 'application/octet-stream' }), 'blob.bin');
    const res = await fetch(`${app.api}/attachments`, { method: 'POST', headers: user.headers, body: form });
    expect(res.status).toBe(201);
    const { url, size } = (await res.json()) as { url: string; size: number };
    expect(size).toBe(data.length);
    // Absolute, naming the port the supervisor picked for server.port 0: fetched as given.
    expect(url.startsWith(`${app.origin}/api/v1/media/`)).toBe(true);
    const got = await fetch(url);
    const back = Buffer.from(await got.arrayBuffer());
    expect([got.status, url, back.length]).toEqual([200, url, data.length]);
    expect(back.equals(data)).toBe(true);
  });

  it('restarts a web process killed with SIGKILL while the other keeps serving', async () => {
    const [victim] = readyPids('web');
    process.kill(victim!, 'SIGKILL');
    // Every request meanwhile is answered by the survivor (or a 503 while none is ready: never a hang).
    // A kept-alive connection to the dead process resets, as with any backend dying: clients retry.
    const health = (): Promise<Response> =>
      fetch(`${app.api}/health`).catch(() => fetch(`${app.api}/health`));
    for (let i = 0; i < 10; i++) expect([200, 503]).toContain((await health()).status);
    await until(() => readyPids('web').length === 3);
    const user = await registerUser(app);
    expect(user.token).toBeTruthy();
  });

  it('stops every process on SIGTERM and exits 0', async () => {
    const pids = [...readyPids('web'), ...readyPids('workers')].filter(alive);
    expect(pids.length).toBeGreaterThanOrEqual(3);
    expect(await main.kill('SIGTERM')).toBe(0);
    await until(() => pids.every((pid) => !alive(pid)), 10000);
  });
});
