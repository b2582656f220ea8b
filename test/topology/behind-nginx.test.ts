import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { api, registerUser, type TestUser } from '../helpers/accounts.js';
import { configEnv, testConfig } from '../helpers/config.js';
import type { DispatchFrame } from '../../shared/events/index.js';
import {
  connectGateway,
  type ConnectOptions,
  type GatewayClient,
  type OpenedBy,
} from '../helpers/gateway-client.js';
import { ROOT, spawnEntry, type RoleProcess } from '../helpers/processes.js';
import { openRawConnection, requestHead } from '../helpers/raw-http.js';
import {
  freePort,
  startNginx,
  startPrivatePostgres,
  startPrivateRedis,
  until,
  type PrivateNginx,
  type PrivatePostgres,
  type PrivateRedis,
} from '../helpers/services.js';
import {
  NGINX_CONF_PATH,
  PORT_SETTING,
  TOPOLOGY,
  composeServices,
  healthcheckUrl,
  localNginxConf,
  sourceEntry,
  type TopologyService,
} from '../helpers/topology.js';
import { VoiceTestClient, type VoiceServerInfo } from '../helpers/voice-client.js';
import { loadMediasoup } from '../../voice/mediasoup.js';

// The production topology on this machine: 2 API, 2 gateway, 2 workers and a voice process, each
// in its own OS process, behind deploy/nginx.conf on one port, on a Postgres and a Redis (AOF) of
// this file's own so that both can be restarted. Clients speak only to nginx; the test reads
// process output and each gateway's /metrics only to know where things landed.

/** Voice needs the real mediasoup (scripts/voice-deps.sh builds it); without it, voice is skipped. */
const mediasoup = await loadMediasoup();
const services = TOPOLOGY.filter((s) => s.role !== 'voice' || mediasoup);

const READY_LINE: Record<TopologyService['role'], RegExp> = {
  api: /"msg":"api listening"/,
  gateway: /GATEWAY_LISTENING/,
  workers: /"msg":"workers started"/,
  voice: /VOICE_LISTENING/,
};

let postgres: PrivatePostgres;
let redis: PrivateRedis;
let nginx: PrivateNginx;
let origin: string;
/** What the request helpers need: the API base, here through nginx. */
let through: { api: string };
let env: NodeJS.ProcessEnv;
const ports = new Map<string, number>();
const processes = new Map<string, RoleProcess>();
const clients: GatewayClient[] = [];
const voices: VoiceTestClient[] = [];
/** Each client connects from its own loopback address, as distinct users' machines would. */
let nextAddress = 10;

async function startService(service: TopologyService): Promise<RoleProcess> {
  const child = spawnEntry(sourceEntry(service.role), {
    ...env,
    ...service.env,
    [PORT_SETTING[service.role]]: String(ports.get(service.service)),
  });
  processes.set(service.service, child);
  // Generous: seven processes compile and boot at once on a machine that may be busy.
  await child.waitFor(READY_LINE[service.role], 180000);
  return child;
}

const serviceNamed = (name: string) => TOPOLOGY.find((s) => s.service === name) as TopologyService;

beforeAll(async () => {
  [postgres, redis] = await Promise.all([startPrivatePostgres(), startPrivateRedis({ appendonly: true })]);
  const admin = new pg.Client(postgres.url);
  await admin.connect();
  await admin.query('CREATE DATABASE plexichat');
  await admin.end();

  const nginxPort = await freePort();
  origin = `http://127.0.0.1:${nginxPort}`;
  through = { api: `${origin}/api/v1` };
  for (const s of services) ports.set(s.service, await freePort());
  const config = testConfig({
    database: { url: postgres.url.replace(/\/postgres$/, '/plexichat') },
    redis: { url: redis.url },
    queues: { lock_ms: 2000, stalled_interval_ms: 500, wait_timeout_ms: 3000, send_wait_ms: 3000 },
  });
  env = {
    ...configEnv(config),
    // Readiness is read from the log lines.
    PLEXICHAT_LOG__LEVEL: 'info',
    PLEXICHAT_SERVER__TRUSTED_PROXIES: '127.0.0.1',
    PLEXICHAT_SERVER__PUBLIC_URL: origin,
    PLEXICHAT_VOICE__PUBLIC_URL: origin,
    PLEXICHAT_VOICE__WORKERS: '1',
    PLEXICHAT_SECURITY__SCRYPT_COST: '12',
  };
  // As docker-compose's one-shot `migrate` service does before the roles start.
  const migrate = spawnEntry('shared/db/migrate-cli.ts', env);
  if ((await migrate.exited) !== 0) throw new Error(`migrate failed:\n${migrate.output()}`);

  // One process first: tsx caches what it compiles, so the others start from a warm cache.
  const [first, ...rest] = services;
  await startService(first as TopologyService);
  await Promise.all(rest.map(startService));
  const site = localNginxConf(
    nginxPort,
    new Map([...ports].concat(mediasoup ? [] : [['voice', await freePort()]])),
  );
  nginx = await startNginx(site, nginxPort);
}, 480000);

afterAll(async () => {
  for (const v of voices) await v.close();
  for (const c of clients) c.close();
  await nginx?.stop();
  await Promise.all([...processes.values()].map((p) => p.kill('SIGKILL')));
  await Promise.all([redis?.destroy(), postgres?.destroy()]);
}, 60000);

/** How a test connects through nginx: by default a new session from a loopback address of its own. */
interface ThroughNginx extends ConnectOptions {
  /** The handshake's auth (`{token, session_id, seq}` resumes); the user's token by default. */
  auth?: Record<string, unknown>;
  openedBy?: OpenedBy;
}

/** A gateway connection through nginx. */
async function connect(user: TestUser, options: ThroughNginx = {}): Promise<GatewayClient> {
  const { auth = { token: user.token }, openedBy, ...connection } = options;
  const client = await connectGateway(origin, auth, '/gateway', openedBy, {
    localAddress: `127.0.0.${nextAddress++}`,
    ...connection,
  });
  clients.push(client);
  return client;
}

const running = (service: string) => {
  const child = processes.get(service)?.child;
  return child !== undefined && child.exitCode === null && child.signalCode === null;
};

/**
 * Live gateway sessions of each running gateway process, from its own /metrics (read directly, on
 * loopback).
 */
async function liveSessions(): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const s of services.filter((x) => x.role === 'gateway' && running(x.service))) {
    const text = await (await fetch(`http://127.0.0.1:${ports.get(s.service)}/metrics`)).text();
    const match = /plexichat_gateway_sessions\{state="live"\} (\d+)/.exec(text);
    counts[s.service] = Number(match?.[1] ?? 0);
  }
  return counts;
}

const idOf = (f: DispatchFrame) => (f.d as { id: string }).id;
const created = (c: GatewayClient, id: string) =>
  c.frames.filter((f) => f.t === 'MESSAGE_CREATE' && idOf(f) === id);

async function send(user: TestUser, channelId: string, content: string) {
  return api(through, 'POST', `/channels/${channelId}/messages`, { token: user.token, body: { content } });
}

/** Every message id stored in the channel, read back through nginx. */
async function storedIds(user: TestUser, channelId: string): Promise<string[]> {
  const res = await api(through, 'GET', `/channels/${channelId}/messages?limit=100`, { token: user.token });
  if (res.status !== 200) throw new Error(`list messages: ${res.status}`);
  return (res.body as { id: string }[]).map((m) => m.id);
}

/** An owner and their server's text channel, made through nginx. */
async function world(): Promise<{ owner: TestUser; serverId: string; channelId: string }> {
  const owner = await registerUser(through);
  const server = await api(through, 'POST', '/servers', { token: owner.token, body: { name: 'Topology' } });
  expect(server.status).toBe(201);
  const channels = await api(through, 'GET', `/servers/${server.body.id}/channels`, { token: owner.token });
  const text = (channels.body as { id: string; channel_type: string }[]).find(
    (c) => c.channel_type === 'text',
  );
  return { owner, serverId: server.body.id as string, channelId: text?.id as string };
}

/**
 * Joins a new voice channel through the gateway, connects to voice signaling with the token (through
 * nginx) and opens a transport; resolves with what VOICE_SERVER_UPDATE said.
 */
async function joinVoice(owner: TestUser, serverId: string): Promise<VoiceServerInfo> {
  const channel = await api(through, 'POST', `/servers/${serverId}/channels`, {
    token: owner.token,
    body: { name: 'Lounge', channel_type: 'voice' },
  });
  const gw = await connect(owner);
  expect(await gw.command('voice_state_update', { channel_id: channel.body.id })).toMatchObject({ ok: true });
  const [update] = await gw.waitForFrames(1, (f) => f.t === 'VOICE_SERVER_UPDATE');
  const server = update?.d as unknown as VoiceServerInfo;
  const voice = await VoiceTestClient.connect(server);
  voices.push(voice);
  expect(await voice.request('create_transport', { direction: 'send' })).toMatchObject({ ok: true });
  return server;
}

/** A raw request from a chosen loopback address (fetch cannot pick its source address). */
function requestFrom(
  localAddress: string,
  method: string,
  path: string,
  headers: Record<string, string>,
  body?: unknown,
): Promise<{ status: number; body: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      `${origin}${path}`,
      { method, localAddress, headers: { ...headers, 'content-type': 'application/json' } },
      (res) => {
        let text = '';
        res.on('data', (chunk: Buffer) => (text += chunk.toString()));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) as Record<string, unknown> }),
        );
      },
    );
    req.on('error', reject);
    req.end(body === undefined ? undefined : JSON.stringify(body));
  });
}

describe('the roles apart behind nginx (deploy/nginx.conf), one origin', () => {
  it('serves REST, /docs and /redoc, hides /metrics, and gives the API the client’s address', async () => {
    for (const page of ['/docs', '/redoc', '/docs/api']) {
      const res = await fetch(`${origin}${page}`);
      expect([page, res.status, res.headers.get('content-type')]).toEqual([
        page,
        200,
        expect.stringMatching(/text\/html/),
      ]);
    }
    const openapi = await api(through, 'GET', '/openapi.json');
    expect(openapi.body.openapi).toMatch(/^3\./);
    expect((await fetch(`${origin}/metrics`)).status).toBe(404);
    const unknown = await api({ api: origin }, 'GET', '/nowhere');
    expect(unknown).toMatchObject({ status: 404, body: { code: 'unknown_route' } });

    // A client on 127.0.0.5 claiming another address: nginx appends the one it saw, and the API
    // (trusting only the proxy) records that one.
    const registered = await requestFrom(
      '127.0.0.5',
      'POST',
      '/api/v1/auth/register',
      { 'x-forwarded-for': '203.0.113.9' },
      { username: `topo_${Date.now()}`, password: 'a long enough password' },
    );
    expect(registered.status).toBe(201);
    const sessions = await api(through, 'GET', '/users/@me/sessions', {
      token: registered.body.token as string,
    });
    expect(sessions.body).toEqual([expect.objectContaining({ ip: '127.0.0.5', current: true })]);
  });

  it('delivers a REST send to clients spread over both gateways, each once', async () => {
    const { owner, channelId } = await world();
    const watching: GatewayClient[] = [];
    // nginx hashes on the client address: connect from new addresses until both gateways hold some.
    const before = await liveSessions();
    for (let i = 0; i < 40; i++) {
      watching.push(await connect(owner));
      const now = await liveSessions();
      if (watching.length >= 4 && Object.keys(now).every((g) => (now[g] ?? 0) - (before[g] ?? 0) >= 2)) break;
    }
    const spread = await liveSessions();
    for (const g of Object.keys(spread))
      expect((spread[g] ?? 0) - (before[g] ?? 0)).toBeGreaterThanOrEqual(2);

    const sent = await send(owner, channelId, 'hello through one origin');
    expect(sent.status).toBe(200);
    for (const c of watching) {
      await c.waitForFrames(
        1,
        (f) => f.t === 'MESSAGE_CREATE' && (f.d as { id: string }).id === sent.body.id,
      );
    }
    // A second message bounds the wait for any duplicate of the first.
    const marker = await send(owner, channelId, 'marker');
    for (const c of watching) {
      await c.waitForFrames(
        1,
        (f) => f.t === 'MESSAGE_CREATE' && (f.d as { id: string }).id === marker.body.id,
      );
      expect(created(c, sent.body.id as string)).toHaveLength(1);
    }
  }, 60000);

  it('caps the requests one address has in progress (limit_conn): past it 429 too_many_connections, others still served', async () => {
    const cap = Number(
      /^\s*limit_conn\s+plexichat_per_address\s+(\d+);/m.exec(readFileSync(NGINX_CONF_PATH, 'utf8'))?.[1],
    );
    expect(cap).toBeGreaterThan(0);
    // Requests whose bodies never finish: nginx streams them to the API, which waits for the rest.
    const crowded = '127.0.1.1';
    const held = Array.from({ length: cap + 3 }, () => {
      const c = openRawConnection(origin, crowded);
      c.write(
        requestHead('POST', `${through.api}/auth/login`, {
          'Content-Type': 'application/json',
          'Content-Length': 100,
        }),
      );
      c.write('{"login":');
      return c;
    });
    try {
      const refused = () => held.filter((c) => /^HTTP\/1\.1 429 /.test(c.received));
      await until(() => refused().length === 3, 'nginx to refuse the requests past the cap', 30000);
      const [first] = refused();
      expect(first?.received).toMatch(/\r\nRetry-After: 1\r\n/);
      expect(JSON.parse(first?.received.slice(first.received.indexOf('\r\n\r\n') + 4) ?? '')).toEqual({
        code: 'too_many_connections',
        message: expect.any(String),
        retry_after: 1,
      });
      // The others are still in progress, unanswered; the address gets nothing more meanwhile...
      expect(held.filter((c) => c.received === '' && !c.closed)).toHaveLength(cap);
      expect(await requestFrom(crowded, 'GET', '/api/v1/nowhere', {})).toMatchObject({
        status: 429,
        body: { code: 'too_many_connections' },
      });
      // ...while another address is served by the API as usual.
      expect(await requestFrom('127.0.1.2', 'GET', '/api/v1/nowhere', {})).toMatchObject({
        status: 404,
        body: { code: 'unknown_route' },
      });
    } finally {
      for (const c of held) c.destroy();
    }
    // Once its requests end, the address is served again.
    await until(
      async () => (await requestFrom(crowded, 'GET', '/api/v1/nowhere', {})).status === 404,
      'the address to be served again',
    );
  }, 60000);

  it('keeps long-polling clients on one gateway (sticky), so they work like WebSocket ones', async () => {
    const { owner, serverId, channelId } = await world();
    const polling: GatewayClient[] = [];
    for (let i = 0; i < 4; i++) polling.push(await connect(owner, { transports: ['polling'] }));
    for (const c of polling) expect(c.socket.io.engine.transport.name).toBe('polling');
    const sent = await send(owner, channelId, 'over long polling');
    for (const c of polling) {
      const [frame] = await c.waitForFrames(1, (f) => f.t === 'MESSAGE_CREATE');
      expect(frame?.d).toMatchObject({ id: sent.body.id, content: 'over long polling' });
      // Client to server over polling too: a command and its ack.
      expect(await c.command('request_members', { server_id: serverId })).toMatchObject({ ok: true });
    }
  }, 60000);

  (mediasoup ? it : it.skip)(
    'reaches voice signaling through nginx (skipped without the real mediasoup)',
    async () => {
      const { owner, serverId } = await world();
      const server = await joinVoice(owner, serverId);
      expect(server.endpoint).toBe(origin);
    },
    60000,
  );

  it('passes, process by process, the healthcheck docker-compose.yml gives it', async () => {
    const compose = composeServices();
    for (const s of services) {
      const url = healthcheckUrl(compose[s.service]).replace(
        `127.0.0.1:${s.port}/`,
        `127.0.0.1:${ports.get(s.service)}/`,
      );
      // The same check from source: the image runs dist/shared/healthcheck-cli.js.
      const { stdout, stderr } = await promisify(execFile)(process.execPath, [
        '--import',
        'tsx',
        path.join(ROOT, 'shared', 'healthcheck-cli.ts'),
        url,
      ]);
      expect([s.service, stdout, stderr]).toEqual([s.service, '', '']);
    }
  });

  it('gateway SIGKILL: the client resumes through nginx on the other gateway and misses nothing', async () => {
    const { owner, channelId } = await world();
    // Earlier clients go: a long poll of theirs pending on the gateway about to die would tell nginx
    // of the death before the reconnect does, and the reconnect must be what finds it.
    for (const c of clients.splice(0)) c.close();
    await until(
      async () => Object.values(await liveSessions()).every((n) => n === 0),
      'no live gateway session',
    );
    // The client's machine: the reconnect comes from the same address, so nginx's hash still points
    // at the dead gateway and must pass the handshake on to the other one.
    const from = `127.0.0.${nextAddress++}`;
    const before = await liveSessions();
    const client = await connect(owner, { localAddress: from });
    const after = await liveSessions();
    const holders = Object.keys(after).filter((g) => (after[g] ?? 0) > (before[g] ?? 0));
    expect(holders).toHaveLength(1);
    const [doomed] = holders as [string];
    const survivor = Object.keys(after).find((g) => g !== doomed) as string;
    const sessionId = (client.frames.find((f) => f.t === 'READY') as DispatchFrame<'READY'>).d.session_id;

    const seen = await send(owner, channelId, 'seen');
    const lost = await send(owner, channelId, 'lost in flight');
    const [seenFrame] = await client.waitForFrames(
      1,
      (f) => f.t === 'MESSAGE_CREATE' && idOf(f) === seen.body.id,
    );
    await client.waitForFrames(1, (f) => f.t === 'MESSAGE_CREATE' && idOf(f) === lost.body.id);
    // The client pretends the second message never reached it (sent by the gateway, lost on the way).
    const seq = (seenFrame as DispatchFrame).s;

    await (processes.get(doomed) as RoleProcess).kill('SIGKILL');
    await until(() => !client.socket.connected, 'the client sees its connection drop');
    const missed = [lost.body.id as string];
    for (const text of ['after-1', 'after-2', 'after-3']) {
      const res = await send(owner, channelId, text);
      expect(res.status).toBe(200);
      missed.push(res.body.id as string);
    }

    const waiting = (await liveSessions())[survivor] ?? 0;
    const resumed = await connect(owner, {
      localAddress: from,
      auth: { token: owner.token, session_id: sessionId, seq },
      openedBy: (f) => f.t === 'RESUMED' || f.t === 'READY',
    });
    // Every missed event once, in order, numbered on from the client's seq, then RESUMED.
    expect(resumed.frames.map((f) => f.s)).toEqual(resumed.frames.map((_f, i) => seq + 1 + i));
    expect(resumed.frames.filter((f) => f.t === 'MESSAGE_CREATE').map(idOf)).toEqual(missed);
    expect(resumed.frames.at(-1)?.t).toBe('RESUMED');
    expect(resumed.frames.some((f) => f.t === 'READY' || f.t === 'INVALID_SESSION')).toBe(false);
    // nginx did try the dead gateway first (the hash still names it), then passed the handshake on.
    expect(nginx.errors()).toMatch(
      new RegExp(
        `Connection refused\\) while connecting to upstream.*upstream: "http://127\\.0\\.0\\.1:${ports.get(doomed)}/gateway/`,
      ),
    );
    expect(await liveSessions()).toEqual({ [survivor]: waiting + 1 });

    // The resumed session carries on live, its numbering unbroken.
    const live = await send(owner, channelId, 'live again');
    await resumed.waitForFrames(1, (f) => f.t === 'MESSAGE_CREATE' && idOf(f) === live.body.id);
    expect(resumed.frames.map((f) => f.s)).toEqual(resumed.frames.map((_f, i) => seq + 1 + i));
    expect(resumed.frames.filter((f) => f.t === 'MESSAGE_CREATE').map(idOf)).toEqual([
      ...missed,
      live.body.id,
    ]);

    // Back to full strength for the tests after this one.
    await startService(serviceNamed(doomed));
    expect(Object.keys(await liveSessions()).sort()).toEqual(['gateway-1', 'gateway-2']);
  }, 90000);
});

describe('faults', () => {
  it('a workers process killed with sends in flight: every acknowledged message stored and delivered once', async () => {
    const { owner, channelId } = await world();
    const watcher = await connect(owner);
    const doomed = processes.get('workers-1') as RoleProcess;
    const acked: string[] = [];
    const sends: Promise<void>[] = [];
    for (let i = 0; i < 24; i++) {
      sends.push(
        send(owner, channelId, `in flight ${i}`).then((res) => {
          // Stored, or queued and not stored yet (send_pending names the id it will have).
          if (res.status === 200 || res.body.code === 'send_pending') acked.push(res.body.id as string);
        }),
      );
      if (i === 8) await doomed.kill('SIGKILL');
    }
    await Promise.all(sends);
    expect(acked.length).toBeGreaterThan(0);
    await until(
      () => {
        const ids = new Set(
          watcher.frames.filter((f) => f.t === 'MESSAGE_CREATE').map((f) => (f.d as { id: string }).id),
        );
        return acked.every((id) => ids.has(id));
      },
      'every acknowledged message delivered',
      30000,
    );
    // Back to full strength; a last message bounds the wait for duplicates.
    await startService(serviceNamed('workers-1'));
    const last = await send(owner, channelId, 'after the crash');
    await watcher.waitForFrames(
      1,
      (f) => f.t === 'MESSAGE_CREATE' && (f.d as { id: string }).id === last.body.id,
    );
    for (const id of acked) expect(created(watcher, id)).toHaveLength(1);
    const stored = await storedIds(owner, channelId);
    for (const id of acked) expect(stored.filter((s) => s === id)).toHaveLength(1);
  }, 90000);

  it('Redis restarted (AOF): queued jobs survive, nothing acknowledged is lost, every role reconnects', async () => {
    const { owner, serverId, channelId } = await world();
    const watchers = [await connect(owner), await connect(owner)];
    const workers = services.filter((s) => s.role === 'workers');
    // With the workers stopped, sends are acknowledged as queued (503 send_pending) and wait in Redis.
    await Promise.all(workers.map((s) => (processes.get(s.service) as RoleProcess).kill('SIGTERM')));
    const queued = await Promise.all(
      ['one', 'two', 'three'].map((c) => send(owner, channelId, `queued ${c}`)),
    );
    for (const res of queued) expect(res).toMatchObject({ status: 503, body: { code: 'send_pending' } });

    await redis.stop('SIGTERM');
    const down = await send(owner, channelId, 'while Redis is down');
    expect(down.status).toBe(503);
    await redis.start();
    await until(
      async () => (await api(through, 'GET', '/health')).status === 200,
      'health after Redis came back',
      30000,
    );

    await Promise.all(workers.map(startService));
    const ids = queued.map((r) => r.body.id as string);
    for (const w of watchers) {
      await w.waitForFrames(
        3,
        (f) => f.t === 'MESSAGE_CREATE' && ids.includes((f.d as { id: string }).id),
        30000,
      );
    }
    const after = await send(owner, channelId, 'after the restart');
    expect(after.status).toBe(200);
    for (const w of watchers) {
      await w.waitForFrames(
        1,
        (f) => f.t === 'MESSAGE_CREATE' && (f.d as { id: string }).id === after.body.id,
      );
      for (const id of ids) expect(created(w, id)).toHaveLength(1);
    }
    const stored = await storedIds(owner, channelId);
    expect(stored.sort()).toEqual([...ids, after.body.id as string].sort());
    // Voice too: the gateway finds its node in Redis, and it checks the join token there.
    if (mediasoup) await joinVoice(owner, serverId);
  }, 120000);

  it('Postgres restarted: the API answers 503 with Retry-After while it is down, then recovers by itself', async () => {
    const { owner, channelId } = await world();
    const watcher = await connect(owner);
    await postgres.stop();
    // A route that reads Postgres (the token check itself is served from its copy in Redis).
    const me = await api(through, 'GET', '/users/@me/sessions', { token: owner.token });
    expect(me).toMatchObject({ status: 503, body: { code: 'service_unavailable' } });
    expect(me.headers.get('retry-after')).toMatch(/^\d+$/);
    // A passing health result may be answered again for up to a second (api/routes/health/checks.ts).
    let health = await api(through, 'GET', '/health');
    await until(
      async () => (health = await api(through, 'GET', '/health')).status === 503,
      'health naming the database',
      5000,
    );
    expect(health.body.checks.database).toBe('error');

    await postgres.start();
    await until(
      async () => (await api(through, 'GET', '/users/@me/sessions', { token: owner.token })).status === 200,
      'the API after Postgres came back',
      30000,
    );
    const sent = await send(owner, channelId, 'after Postgres came back');
    expect(sent.status).toBe(200);
    await watcher.waitForFrames(
      1,
      (f) => f.t === 'MESSAGE_CREATE' && (f.d as { id: string }).id === sent.body.id,
    );
  }, 90000);
});
