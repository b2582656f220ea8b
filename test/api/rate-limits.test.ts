import { useTestApp } from '../helpers/app.js';
import { api, randomIp, registerUser, type ApiResponse, type TestUser } from '../helpers/accounts.js';
import { testConfig } from '../helpers/config.js';
import { createServerWithChannel } from '../helpers/factories.js';

let alice: TestUser;
let bob: TestUser;

const app = useTestApp(
  {
    config: testConfig({
      rate_limits: {
        enabled: true,
        global: { points: 40, duration_seconds: 60 },
        read: { points: 5, duration_seconds: 60 },
        write: { points: 3, duration_seconds: 60 },
        routes: { 'POST /channels/{channel_id}/messages': { points: 2, duration_seconds: 60 } },
      },
    }),
    gateway: false,
  },
  60_000,
);
beforeAll(async () => {
  alice = await registerUser(app);
  bob = await registerUser(app);
}, 60_000);

const headerNames = [
  'x-ratelimit-limit',
  'x-ratelimit-remaining',
  'x-ratelimit-reset',
  'x-ratelimit-reset-after',
  'x-ratelimit-bucket',
];

describe('route buckets', () => {
  it('puts the headers on every limited answer and counts down to a 429 with retry_after', async () => {
    const seen = [];
    for (let i = 0; i < 6; i++) seen.push(await api(app, 'GET', '/users/@me', { token: alice.token }));
    for (const res of seen) for (const h of headerNames) expect(res.headers.get(h)).not.toBeNull();
    expect(seen.map((r) => r.status)).toEqual([200, 200, 200, 200, 200, 429]);
    expect(seen.map((r) => r.headers.get('x-ratelimit-remaining'))).toEqual(['4', '3', '2', '1', '0', '0']);
    expect(seen[0]?.headers.get('x-ratelimit-limit')).toBe('5');
    const limited = seen[5]!;
    expect(limited.body).toMatchObject({
      code: 'rate_limited',
      retry_after: expect.any(Number),
      global: false,
    });
    expect(limited.body.retry_after).toBeGreaterThan(0);
    expect(limited.body.retry_after).toBeLessThanOrEqual(60);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    const reset = Number(limited.headers.get('x-ratelimit-reset'));
    expect(reset).toBeGreaterThan(Date.now() / 1000);
    expect(reset).toBeLessThanOrEqual(Date.now() / 1000 + 61);
  });

  it('keeps callers apart: another user still has their whole budget', async () => {
    const res = await api(app, 'GET', '/users/@me', { token: bob.token });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-ratelimit-remaining')).toBe('4');
  });

  it('gives each route its own bucket, with an opaque bucket id', async () => {
    const me = await api(app, 'GET', '/users/@me', { token: bob.token });
    const sessions = await api(app, 'GET', '/users/@me/sessions', { token: bob.token });
    expect(sessions.status).toBe(200);
    expect(sessions.headers.get('x-ratelimit-remaining')).toBe('4');
    expect(sessions.headers.get('x-ratelimit-bucket')).not.toBe(me.headers.get('x-ratelimit-bucket'));
    expect(me.headers.get('x-ratelimit-bucket')).toMatch(/^[0-9a-f]{16}$/);
  });

  it('splits a route by its channel and applies the configured route limit', async () => {
    const user = await registerUser(app);
    const { channel } = await createServerWithChannel(app.rt, user.id);
    const { channel: other } = await createServerWithChannel(app.rt, user.id);
    const send = (channelId: string) =>
      api(app, 'POST', `/channels/${channelId}/messages`, { token: user.token, body: { content: 'hi' } });
    const statuses = [(await send(channel.id)).status, (await send(channel.id)).status];
    const third = await send(channel.id);
    expect(statuses.every((s) => s === 200 || s === 202)).toBe(true);
    expect(third.status).toBe(429);
    expect(third.headers.get('x-ratelimit-limit')).toBe('2');
    // server.timing is off by default: no Server-Timing header.
    expect(third.headers.get('server-timing')).toBeNull();
    expect([200, 202]).toContain((await send(other.id)).status);
  });

  it('refuses a send over the limit with 429 before its permission read can answer 404 or 403', async () => {
    const user = await registerUser(app);
    const { channel } = await createServerWithChannel(app.rt, user.id);
    const unknown = '1' + channel.id.slice(1).replace(/./g, '9');
    const send = (channelId: string, body: unknown = { content: 'hi' }) =>
      api(app, 'POST', `/channels/${channelId}/messages`, { token: user.token, body });
    // The permission read starts beside the limit's take (prefetch): its 404 comes after a 400...
    const invalid = await send(unknown, { content: 5 });
    expect(invalid.status).toBe(400);
    expect(invalid.body.errors).toHaveProperty('content');
    expect((await send(unknown)).status).toBe(404);
    // ...and after a 429, in a channel of the caller's (the bucket is per channel) as in another's.
    expect((await send(unknown)).status).toBe(429);
    const { channel: theirs } = await createServerWithChannel(app.rt, bob.id);
    for (let i = 0; i < 2; i++) expect((await send(theirs.id)).status).toBe(404);
    const refused = await send(theirs.id);
    expect(refused.status).toBe(429);
    expect(refused.body.code).toBe('rate_limited');
    expect([200, 202]).toContain((await send(channel.id)).status);
  });

  it('limits anonymous callers by address', async () => {
    const ip = randomIp();
    const statuses = [];
    for (let i = 0; i < 4; i++) {
      const res = await api(app, 'POST', '/auth/login', {
        body: { login: 'nobody-here', password: 'wrong-password' },
        headers: { 'x-forwarded-for': ip },
      });
      statuses.push(res.status);
    }
    expect(statuses).toEqual([401, 401, 401, 429]);
    // Another address for sure: randomIp draws from 254 (a CI run once drew the same one).
    let other = randomIp();
    while (other === ip) other = randomIp();
    const elsewhere = await api(app, 'POST', '/auth/login', {
      body: { login: 'nobody-here', password: 'wrong-password' },
      headers: { 'x-forwarded-for': other },
    });
    expect(elsewhere.status).toBe(401);
  });

  it('never limits health checks', async () => {
    for (let i = 0; i < 8; i++) {
      const res = await api(app, 'GET', '/health');
      expect(res.status).toBe(200);
      expect(res.headers.get('x-ratelimit-limit')).toBeNull();
    }
  });
});

describe('the global limit', () => {
  it('caps all of a caller’s requests together and says so', async () => {
    const user = await registerUser(app);
    const paths = ['/users/@me', '/users/@me/sessions', '/users/@me/relationships', '/users/@me/servers'];
    let limited: ApiResponse | null = null;
    for (let i = 0; i < 60 && !limited; i++) {
      const res = await api(app, 'GET', paths[i % paths.length] as string, { token: user.token });
      if (res.status === 429 && res.body.global) limited = res;
    }
    if (!limited) throw new Error('the global limit never answered');
    expect(limited.headers.get('x-ratelimit-global')).toBe('true');
    expect(limited.headers.get('x-ratelimit-scope')).toBe('user');
    expect(limited.body).toMatchObject({ code: 'rate_limited', global: true });
    // Every answer of a limited route carries the X-RateLimit-* set: here, the global budget's.
    for (const h of headerNames) expect(limited.headers.get(h)).not.toBeNull();
    expect(limited.headers.get('x-ratelimit-limit')).toBe('40');
    expect(limited.headers.get('x-ratelimit-remaining')).toBe('0');
    expect(limited.headers.get('x-ratelimit-bucket')).toBe('global');
    const resetAfter = Number(limited.headers.get('x-ratelimit-reset-after'));
    expect(resetAfter).toBeGreaterThan(0);
    expect(resetAfter).toBeLessThanOrEqual(60);
    expect(Number(limited.headers.get('x-ratelimit-reset'))).toBeCloseTo(Date.now() / 1000 + resetAfter, -1);
    expect(Number(limited.headers.get('retry-after'))).toBe(Math.ceil(limited.body.retry_after));
  });
});
