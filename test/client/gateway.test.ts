import { Client, Gateway, Intents, type DispatchFrame, type Schemas } from '../../client/src/index.js';
import { useTestApp } from '../helpers/app.js';
import { testConfig } from '../helpers/config.js';
import { refusalOf, type Refused } from '../helpers/gateway-client.js';
import { startTcpProxy, type TcpProxy } from '../helpers/tcp-proxy.js';
import { sdkServer, sdkUser } from './helpers.js';

let proxy: TcpProxy;
const opened: Gateway[] = [];

const app = useTestApp({}, 60_000);
beforeAll(async () => {
  proxy = await startTcpProxy(app.port);
}, 60_000);

afterEach(() => {
  for (const g of opened.splice(0)) g.close();
});

afterAll(async () => {
  await proxy?.close();
});

/** Sends `content` as `client` and returns the stored message's id. */
async function say(client: Client, channelId: string, content: string): Promise<string> {
  const message = await client.rest.request('POST /channels/{channel_id}/messages', {
    params: { channel_id: channelId },
    body: { content },
  });
  return message.id;
}

/** A gateway for `client`'s account reached through the cuttable proxy, with this backoff. */
function throughProxy(client: Client, minDelayMs: number, maxDelayMs: number): Gateway {
  const gateway = new Gateway({
    baseUrl: proxy.origin,
    token: client.rest.getToken() ?? '',
    reconnect: { minDelayMs, maxDelayMs },
    socket: { transports: ['websocket'] },
  });
  opened.push(gateway);
  return gateway;
}

describe('gateway client', () => {
  it('opens with READY and delivers typed dispatches', async () => {
    const { client, id } = await sdkUser(app);
    const { server, channel } = await sdkServer(client, 'Gateway');
    const ready = await client.connect();
    opened.push(client.gateway);
    expect(ready.user.id).toBe(id);
    expect(ready.servers.map((s) => s.id)).toContain(server.id);
    expect(client.gateway.state).toBe('ready');
    expect(client.gateway.sessionId).toBe(ready.session_id);

    const created = client.gateway.waitFor('MESSAGE_CREATE', (m) => m.channel_id === channel.id);
    const sentId = await say(client, channel.id, 'hello **gateway**');
    const [message, frame] = await created;
    const typed: Schemas['Message'] = message;
    expect(typed).toMatchObject({ id: sentId, author_id: id, content: 'hello **gateway**' });
    expect(typed.content_html).toContain('<strong>gateway</strong>');
    expect(frame.t).toBe('MESSAGE_CREATE');
    expect(frame.s).toBe(client.gateway.seq);
  });

  it('resumes after the network drops: what was sent meanwhile arrives once, in order, then RESUMED', async () => {
    const { client, id } = await sdkUser(app);
    const { channel } = await sdkServer(client, 'Resume');
    const gateway = throughProxy(client, 50, 400);
    const frames: DispatchFrame[] = [];
    gateway.on('dispatch', (f) => frames.push(f));
    const ready = await gateway.connect();
    expect(ready.user.id).toBe(id);
    const first = gateway.waitFor('MESSAGE_CREATE');
    await say(client, channel.id, 'before');
    await first;

    const dropped = gateway.waitFor('disconnect');
    const retried = gateway.waitFor('reconnecting');
    proxy.cut();
    const [, willReconnect] = await dropped;
    expect(willReconnect).toBe(true);
    expect(gateway.state).toBe('reconnecting');
    for (const text of ['missed-1', 'missed-2', 'missed-3']) await say(client, channel.id, text);
    // At least one attempt fails against the cut network before it comes back.
    await retried;
    const resumed = gateway.waitFor('RESUMED');
    proxy.restore();
    const [{ replayed }] = await resumed;

    expect(replayed).toBe(3);
    expect(gateway.state).toBe('ready');
    expect(gateway.sessionId).toBe(ready.session_id);
    expect(frames.map((f) => f.t)).toEqual([
      'READY',
      'MESSAGE_CREATE',
      'MESSAGE_CREATE',
      'MESSAGE_CREATE',
      'MESSAGE_CREATE',
      'RESUMED',
    ]);
    const contents = frames.flatMap((f) => (f.t === 'MESSAGE_CREATE' ? [f.d.content] : []));
    expect(contents).toEqual(['before', 'missed-1', 'missed-2', 'missed-3']);
    const seqs = frames.map((f) => f.s);
    expect(seqs).toEqual(seqs.map((_, i) => i + 1));

    // Live again.
    const live = gateway.waitFor('MESSAGE_CREATE');
    await say(client, channel.id, 'after');
    expect((await live)[0].content).toBe('after');
  });

  it('resumes at once on reconnectNow(), without waiting out the backoff', async () => {
    const { client } = await sdkUser(app);
    const { channel } = await sdkServer(client, 'Back online');
    // A backoff far longer than any test: only reconnectNow() can bring it back in time.
    const gateway = throughProxy(client, 600_000, 600_000);
    await gateway.connect();
    const dropped = gateway.waitFor('disconnect');
    proxy.cut();
    await dropped;
    await say(client, channel.id, 'while offline');
    proxy.restore();
    const missed = gateway.waitFor('MESSAGE_CREATE');
    const resumed = gateway.waitFor('RESUMED');
    gateway.reconnectNow();
    expect((await missed)[0].content).toBe('while offline');
    expect((await resumed)[0]).toEqual({ replayed: 1 });
    expect(gateway.state).toBe('ready');
  });

  it('starts over with a fresh READY when the server cannot resume (INVALID_SESSION)', async () => {
    const { client, id } = await sdkUser(app);
    const gateway = throughProxy(client, 600_000, 600_000);
    const first = await gateway.connect();
    const dropped = gateway.waitFor('disconnect');
    proxy.cut();
    await dropped;
    // A session the server does not know, as after its resume window ran out.
    gateway.sessionId = 'f'.repeat(32);
    proxy.restore();
    const invalid = gateway.waitFor('INVALID_SESSION');
    const ready = gateway.waitFor('READY');
    gateway.reconnectNow();
    expect((await invalid)[0]).toMatchObject({ resumable: false });
    const [fresh] = await ready;
    expect(fresh.user.id).toBe(id);
    expect(fresh.session_id).not.toBe(first.session_id);
    expect(gateway.sessionId).toBe(fresh.session_id);
    expect(gateway.ready).toBe(fresh);
    expect(gateway.seq).toBe(1);
    expect(gateway.state).toBe('ready');
  });

  it('runs the README bot: a bot answers !ping with pong', async () => {
    const { client: owner } = await sdkUser(app);
    const { server, channel } = await sdkServer(owner, 'Bots');
    const created = await owner.rest.request('POST /applications', { body: { name: 'Pinger' } });
    await owner.rest.request('PATCH /applications/{app_id}', {
      params: { app_id: created.application.id },
      body: { intents: ['MESSAGE_CONTENT'] },
    });
    await owner.rest.request('POST /servers/{server_id}/bots', {
      params: { server_id: server.id },
      body: { application_id: created.application.id, permissions: String((1 << 10) | (1 << 11)) },
    });

    // The README's example, as written there.
    const bot = new Client({
      baseUrl: app.origin,
      token: created.token,
      tokenType: 'Bot',
      gateway: { intents: Intents.SERVERS | Intents.SERVER_MESSAGES | Intents.MESSAGE_CONTENT },
    });
    const ready = await bot.connect();
    opened.push(bot.gateway);
    bot.gateway.on('MESSAGE_CREATE', (message) => {
      if (message.author_id === ready.user.id || message.content !== '!ping') return;
      void bot.rest.request('POST /channels/{channel_id}/messages', {
        params: { channel_id: message.channel_id },
        body: { content: 'pong', reply_to: message.id },
      });
    });

    await owner.connect();
    opened.push(owner.gateway);
    const answered = owner.gateway.waitFor('MESSAGE_CREATE', (m) => m.author_id === created.bot.id);
    const ping = await say(owner, channel.id, '!ping');
    const [reply] = await answered;
    expect(reply).toMatchObject({ content: 'pong', reply_to: ping, channel_id: channel.id });
  });
});

describe('gateway client refusals', () => {
  const limited = useTestApp({
    config: testConfig({
      gateway: { max_connections_per_user: 1, handshake_rate_limit: { points: 2, duration_seconds: 1 } },
    }),
    workers: false,
  });

  /** A gateway for `client`'s account speaking for `ip` (the test app trusts X-Forwarded-For from loopback). */
  function from(client: Client, ip?: string): Gateway {
    const gateway = new Gateway({
      baseUrl: limited.origin,
      token: client.rest.getToken() ?? '',
      reconnect: { minDelayMs: 50, maxDelayMs: 400 },
      socket: { transports: ['websocket'], extraHeaders: ip ? { 'x-forwarded-for': ip } : {} },
    });
    opened.push(gateway);
    return gateway;
  }

  it('waits out a rate_limited refusal for its retry_after, then connects', async () => {
    const { client } = await sdkUser(limited);
    const ip = '198.51.100.41';
    const headers = { 'x-forwarded-for': ip };
    for (let i = 0; i < 2; i++) await refusalOf(limited.origin, { token: 'x' }, { headers });
    const gateway = from(client, ip);
    const errors: Refused[] = [];
    gateway.on('error', (err) => errors.push(err));
    const states: string[] = [];
    gateway.on('state', (state) => states.push(state));
    const started = Date.now();
    const ready = await gateway.connect();
    expect(ready.session_id).toBeTruthy();
    expect(errors[0]?.data).toMatchObject({ code: 'rate_limited', retry_after: expect.any(Number) });
    const retryAfter = errors[0]?.data?.retry_after ?? 0;
    // Not before the server said (a little slack for the clocks' rounding), and not hammering meanwhile.
    expect(Date.now() - started).toBeGreaterThanOrEqual(retryAfter * 1000 - 50);
    expect(errors.length).toBeLessThanOrEqual(2);
    expect(states).toEqual(expect.arrayContaining(['reconnecting', 'ready']));
    expect(states).not.toContain('closed');
  });

  it('does not retry too_many_connections: connect() rejects and the gateway is closed', async () => {
    const { client } = await sdkUser(limited);
    await from(client).connect();
    const second = from(client);
    const err: Refused = await second.connect().then(
      () => new Error('connected'),
      (e: Refused) => e,
    );
    expect(err.data?.code).toBe('too_many_connections');
    expect(second.state).toBe('closed');
  });
});
