import WebSocket from 'ws';
import { registerUser, type TestUser } from '../helpers/accounts.js';
import { startTestApp, useTestApp, type TestApp } from '../helpers/app.js';
import { testConfig } from '../helpers/config.js';
import { connectGateway, refusalOf, type GatewayClient } from '../helpers/gateway-client.js';
import { NAMESPACE_CONNECT_TIMEOUT_MS } from '../../shared/net/handshake-limits.js';
import { makeApplication } from '../api/applications/helpers.js';
import { person } from '../api/servers/membership-helpers.js';

const CAP = 3;
const POINTS = 5;
/** An address the config below exempts from the handshake limit (as loopback is by default). */
const EXEMPT_IP = '203.0.113.7';

const config = testConfig({
  gateway: { max_connections_per_user: CAP, handshake_rate_limit: { points: POINTS, duration_seconds: 60 } },
  security: { throttle_exempt_cidrs: ['127.0.0.0/8', '::1/128', '203.0.113.0/24'] },
});
const app = useTestApp({ config, workers: false });
/** A second gateway process on the same Redis: the handshake budget is shared, the cap is not. */
let other: TestApp;
beforeAll(async () => {
  other = await startTestApp({ config, workers: false });
});
afterAll(() => other?.close());

const clients: GatewayClient[] = [];
afterEach(() => {
  for (const c of clients.splice(0)) c.close();
});

/** A connection (from `ip` when given, through the trusted loopback proxy) that closes with the test. */
async function open(token: string, ip?: string, origin = app.origin): Promise<GatewayClient> {
  const headers = ip ? { 'x-forwarded-for': ip } : undefined;
  const c = await connectGateway(origin, { token }, '/gateway', undefined, { headers });
  clients.push(c);
  return c;
}

const refused = (token: string, ip?: string, origin = app.origin) =>
  refusalOf(origin, { token }, { headers: ip ? { 'x-forwarded-for': ip } : {} });

/**
 * Connects as soon as a slot is free: the server sees a close a moment after the client sent it
 * (this test's, or the previous test's).
 */
async function openOnceFreed(token: string): Promise<GatewayClient> {
  const deadline = Date.now() + 3000;
  for (;;) {
    try {
      return await open(token);
    } catch (err) {
      if (
        (err as { data?: { code?: string } }).data?.code !== 'too_many_connections' ||
        Date.now() > deadline
      )
        throw err;
      await new Promise((r) => setTimeout(r, 20));
    }
  }
}

async function metric(labels: string): Promise<number> {
  const { body } = await app.rt.metrics.render();
  const line = body.split('\n').find((l) => l.startsWith(`plexichat_handshake_refusals_total{${labels}}`));
  return line ? Number(line.split(' ').pop()) : 0;
}

describe('connections per user and process (gateway.max_connections_per_user)', () => {
  let alice: TestUser;
  beforeAll(async () => {
    alice = await registerUser(app);
  });

  it('refuses the next socket too_many_connections, frees a slot on disconnect, spares other users', async () => {
    const before = await metric('namespace="gateway",code="too_many_connections"');
    const mine = await Promise.all(Array.from({ length: CAP }, () => open(alice.token)));
    const err = await refused(alice.token);
    expect(err.data).toEqual({ code: 'too_many_connections', message: expect.stringContaining(`${CAP}`) });
    expect(err.message).toBe(err.data?.message);
    expect(await metric('namespace="gateway",code="too_many_connections"')).toBe(before + 1);

    const bob = await registerUser(app);
    expect((await open(bob.token)).socket.connected).toBe(true);

    mine[0]?.close();
    expect((await openOnceFreed(alice.token)).socket.connected).toBe(true);
    expect((await refused(alice.token)).data?.code).toBe('too_many_connections');
  });

  it('counts per process: another gateway process has its own slots', async () => {
    await Promise.all(Array.from({ length: CAP }, () => openOnceFreed(alice.token)));
    expect((await refused(alice.token)).data?.code).toBe('too_many_connections');
    expect((await open(alice.token, undefined, other.origin)).socket.connected).toBe(true);
  });

  it('counts a refused handshake nowhere: the limit holds after many refusals', async () => {
    await Promise.all(Array.from({ length: CAP }, () => openOnceFreed(alice.token)));
    for (let i = 0; i < 5; i++) expect((await refused(alice.token)).data?.code).toBe('too_many_connections');
    clients.splice(0).forEach((c) => c.close());
    const again = await openOnceFreed(alice.token);
    await Promise.all(Array.from({ length: CAP - 1 }, () => open(alice.token)));
    expect(again.socket.connected).toBe(true);
    expect((await refused(alice.token)).data?.code).toBe('too_many_connections');
  });

  it('frees the slot when the namespace disconnects, on a connection that handshakes again', async () => {
    // socket.io spoken by hand: connect '/', disconnect it ('41'), connect again, on one connection.
    const ws = new WebSocket(`${app.origin.replace(/^http/, 'ws')}/gateway/?EIO=4&transport=websocket`);
    const answers: string[] = [];
    let answered: () => void = () => undefined;
    ws.on('message', (data: Buffer) => {
      const text = data.toString();
      if (text === '2') ws.send('3');
      if (!text.startsWith('40') && !text.startsWith('44')) return;
      answers.push(text.slice(0, 2));
      answered();
    });
    await new Promise((resolve) => ws.once('open', resolve));
    const dana = await registerUser(app);
    try {
      for (let i = 0; i < CAP + 2; i++) {
        const answer = new Promise<void>((resolve) => (answered = resolve));
        ws.send(`40${JSON.stringify({ token: dana.token })}`);
        await answer;
        ws.send('41');
        // A connect in the same breath as the disconnect would find the namespace still joined.
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    } finally {
      ws.close();
    }
    expect(answers).toEqual(Array.from({ length: CAP + 2 }, () => '40'));
  });

  it('caps bots the same way', async () => {
    const owner = await person(app);
    const bot = await makeApplication(app, owner);
    await Promise.all(Array.from({ length: CAP }, () => open(bot.token)));
    expect((await refused(bot.token)).data?.code).toBe('too_many_connections');
  });
});

describe('a refused handshake', () => {
  it('has its connection closed by the server, even when the client would keep it', async () => {
    // engine.io and socket.io spoken by hand: open, connect '/' with a bad token, then wait.
    const ws = new WebSocket(`${app.origin.replace(/^http/, 'ws')}/gateway/?EIO=4&transport=websocket`);
    const packets: string[] = [];
    ws.on('message', (data: Buffer) => {
      const text = data.toString();
      packets.push(text);
      if (text.startsWith('0')) ws.send(`40${JSON.stringify({ token: 'x' })}`);
    });
    const started = Date.now();
    await new Promise((resolve) => ws.once('close', resolve));
    // Long before socket.io's connect timeout (45 s) would have closed it.
    expect(Date.now() - started).toBeLessThan(5000);
    const refusal = packets.find((p) => p.startsWith('44'));
    expect(JSON.parse(refusal?.slice(2) ?? 'null')).toMatchObject({ data: { code: 'unauthorized' } });
  });
});

describe('a connection that never handshakes', () => {
  it('is closed after NAMESPACE_CONNECT_TIMEOUT_MS', async () => {
    const ws = new WebSocket(`${app.origin.replace(/^http/, 'ws')}/gateway/?EIO=4&transport=websocket`);
    // Answers pings (engine.io's own keepalive) but never connects a namespace.
    ws.on('message', (data: Buffer) => {
      if (data.toString() === '2') ws.send('3');
    });
    await new Promise((resolve) => ws.once('open', resolve));
    const started = Date.now();
    await new Promise((resolve) => ws.once('close', resolve));
    expect(Date.now() - started).toBeGreaterThan(NAMESPACE_CONNECT_TIMEOUT_MS - 1000);
    expect(Date.now() - started).toBeLessThan(NAMESPACE_CONNECT_TIMEOUT_MS + 3000);
  }, 20_000);
});

describe('handshakes per address (gateway.handshake_rate_limit)', () => {
  let carol: TestUser;
  beforeAll(async () => {
    carol = await registerUser(app);
  });

  it('counts bad-token attempts too, then refuses rate_limited with retry_after', async () => {
    const ip = '198.51.100.21';
    for (let i = 0; i < POINTS; i++) {
      expect((await refused('A'.repeat(43), ip)).data?.code).toBe('unauthorized');
    }
    const err = await refused(carol.token, ip);
    expect(err.data).toEqual({
      code: 'rate_limited',
      message: expect.any(String),
      retry_after: expect.any(Number),
    });
    expect(err.data?.retry_after).toBeGreaterThan(0);
    expect(err.data?.retry_after).toBeLessThanOrEqual(60);
    expect(await metric('namespace="gateway",code="rate_limited"')).toBeGreaterThanOrEqual(1);
    // Another address is not slowed.
    expect((await open(carol.token, '198.51.100.22')).socket.connected).toBe(true);
  });

  it('shares the count between gateway processes (through Redis)', async () => {
    const ip = '198.51.100.23';
    for (let i = 0; i < POINTS; i++) {
      const origin = i % 2 === 0 ? app.origin : other.origin;
      expect((await refused('x', ip, origin)).data?.code).toBe('unauthorized');
    }
    expect((await refused(carol.token, ip, other.origin)).data?.code).toBe('rate_limited');
    expect((await refused(carol.token, ip, app.origin)).data?.code).toBe('rate_limited');
  });

  it('does not count exempt addresses (security.throttle_exempt_cidrs), nor the machine itself', async () => {
    for (let i = 0; i < POINTS * 2; i++) {
      expect((await refused('x', EXEMPT_IP)).data?.code).toBe('unauthorized');
      expect((await refused('x')).data?.code).toBe('unauthorized');
    }
    expect((await open(carol.token, EXEMPT_IP)).socket.connected).toBe(true);
    expect((await open(carol.token)).socket.connected).toBe(true);
  });
});
