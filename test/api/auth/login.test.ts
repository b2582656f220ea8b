import crypto from 'node:crypto';
import { useTestApp } from '../../helpers/app.js';
import { api, editedByHand, randomIp, registerUser } from '../../helpers/accounts.js';
import { testConfig } from '../../helpers/config.js';
import { hashPassword } from '../../../shared/auth/password.js';

const app = useTestApp({
  workers: false,
  gateway: false,
  config: testConfig({
    security: {
      throttle: {
        login_account: { points: 4, duration_seconds: 600, block_seconds: 600 },
        login_ip: { points: 6, duration_seconds: 600, block_seconds: 600 },
        register_ip: { points: 3, duration_seconds: 600, block_seconds: 600 },
      },
    },
  }),
});

const name = () => `n_${crypto.randomBytes(5).toString('hex')}`;
const xff = (ip = randomIp()) => ({ 'x-forwarded-for': ip });

describe('register', () => {
  it('creates an account and returns a working token and the self user object', async () => {
    const username = `Reg_${crypto.randomBytes(4).toString('hex')}`;
    const res = await api(app, 'POST', '/auth/register', {
      headers: xff(),
      body: { username, password: 'correct horse battery', email: `${username}@example.test` },
    });
    expect(res.status).toBe(201);
    expect(res.body.token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(res.body.user).toMatchObject({
      username,
      email: `${username}@example.test`,
      mfa_enabled: false,
      bot: false,
      admin: false,
    });
    expect(res.body.user).not.toHaveProperty('password_hash');
    const me = await api(app, 'GET', '/users/@me', { token: res.body.token });
    expect([me.status, me.body.id]).toEqual([200, res.body.user.id]);
  });

  it('stores only a scrypt hash of the password and only a hash of the token', async () => {
    const u = await registerUser(app);
    const row = await app.rt.models.User.findByPk(u.id, { rejectOnEmpty: true });
    expect(row.password_hash).toMatch(/^scrypt\$12\$8\$1\$/);
    expect(row.password_hash).not.toContain(u.password);
    const sessions = await app.rt.models.Session.findAll({ where: { user_id: u.id } });
    expect(sessions).toHaveLength(1);
    expect(sessions[0]?.token_hash.toString('utf8')).not.toContain(u.token);
    expect(sessions[0]?.token_hash).toHaveLength(32);
  });

  it('refuses a taken username regardless of case with 409', async () => {
    const u = await registerUser(app);
    const res = await api(app, 'POST', '/auth/register', {
      headers: xff(),
      body: { username: u.username.toUpperCase(), password: 'another good password' },
    });
    expect(res.status).toBe(409);
    expect(res.body.code).toBe('username_taken');
  });

  it.each([
    ['empty username', { username: '', password: 'long enough pw' }, 'username'],
    ['one-letter username', { username: 'a', password: 'long enough pw' }, 'username'],
    ['huge username', { username: 'x'.repeat(200), password: 'long enough pw' }, 'username'],
    ['spaces in username', { username: 'a b', password: 'long enough pw' }, 'username'],
    ['dots only', { username: '...', password: 'long enough pw' }, 'username'],
    ['short password', { username: 'okname', password: 'short' }, 'password'],
    ['huge password', { username: 'okname', password: 'p'.repeat(10_000) }, 'password'],
    ['bad email', { username: 'okname', password: 'long enough pw', email: 'not-an-email' }, 'email'],
    ['number as username', { username: 12345, password: 'long enough pw' }, 'username'],
    ['missing password', { username: 'okname' }, 'password'],
    ['unknown field', { username: 'okname', password: 'long enough pw', admin: true }, 'admin'],
  ])('400 for %s, naming the field', async (_what, body, field) => {
    const res = await api(app, 'POST', '/auth/register', { headers: xff(), body });
    expect(res.status).toBe(400);
    expect(res.body.errors).toHaveProperty(field);
  });

  it('accepts a hyphenated username and any password of 8 or more characters', async () => {
    const username = `with-hyphen-${crypto.randomBytes(3).toString('hex')}`;
    const res = await api(app, 'POST', '/auth/register', {
      headers: xff(),
      body: { username, password: 'password123' },
    });
    expect([res.status, res.body.user?.username]).toEqual([201, username]);
    const again = await api(app, 'POST', '/auth/login', {
      headers: xff(),
      body: { login: username, password: 'password123' },
    });
    expect(again.status).toBe(200);
  });

  it('takes usernames up to 64 characters (a UUID with a prefix), names a longer one', async () => {
    const username = `checker-user-${crypto.randomUUID()}-${crypto.randomBytes(7).toString('hex')}`;
    expect(username).toHaveLength(64);
    const res = await api(app, 'POST', '/auth/register', {
      headers: xff(),
      body: { username, password: 'password123' },
    });
    expect([res.status, res.body.user?.username]).toEqual([201, username]);
    const me = await api(app, 'GET', '/users/@me', { token: res.body.token });
    expect(me.body.username).toBe(username);
    const long = await api(app, 'POST', '/auth/register', {
      headers: xff(),
      body: { username: `${username}x`, password: 'password123' },
    });
    expect([long.status, Object.keys(long.body.errors ?? {})]).toEqual([400, ['username']]);
  });

  it('throttles registrations per IP with 429 and Retry-After', async () => {
    const ip = randomIp().replace('198.51.100', '192.0.2');
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) {
      const res = await api(app, 'POST', '/auth/register', {
        headers: xff(ip),
        body: { username: name(), password: 'long enough pw' },
      });
      statuses.push(res.status);
      if (res.status === 429) {
        expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
        expect(res.body.retry_after).toBeGreaterThan(0);
      }
    }
    expect(statuses).toEqual([201, 201, 201, 429]);
  });

  it('does not count registrations from the machine itself (security.throttle_exempt_cidrs)', async () => {
    for (const ip of ['127.0.0.1', '127.0.0.2', '::1']) {
      const statuses: number[] = [];
      for (let i = 0; i < 5; i++) {
        const res = await api(app, 'POST', '/auth/register', {
          headers: xff(ip),
          body: { username: name(), password: 'long enough pw' },
        });
        statuses.push(res.status);
      }
      expect([ip, statuses]).toEqual([ip, [201, 201, 201, 201, 201]]);
    }
  });
});

describe('login', () => {
  it('signs in by username or email, case-insensitively', async () => {
    const email = `${name()}@Example.test`;
    const u = await registerUser(app, { email });
    for (const login of [u.username, u.username.toUpperCase(), email.toLowerCase()]) {
      const res = await api(app, 'POST', '/auth/login', {
        headers: xff(),
        body: { login, password: u.password },
      });
      expect(res.status).toBe(200);
      expect(res.body.user.id).toBe(u.id);
      expect(res.body.token).not.toBe(u.token);
    }
  });

  it('answers a wrong password and an unknown user identically (no enumeration)', async () => {
    const u = await registerUser(app);
    const wrong = await api(app, 'POST', '/auth/login', {
      headers: xff(),
      body: { login: u.username, password: 'nope nope nope' },
    });
    const unknown = await api(app, 'POST', '/auth/login', {
      headers: xff(),
      body: { login: name(), password: 'nope nope nope' },
    });
    expect(wrong.status).toBe(401);
    expect(unknown.status).toBe(401);
    expect(unknown.body).toEqual(wrong.body);
  });

  it('400 for malformed bodies', async () => {
    expect((await api(app, 'POST', '/auth/login', { headers: xff(), body: {} })).body.errors).toMatchObject({
      login: expect.any(String),
      password: expect.any(String),
    });
    const raw = await fetch(`${app.api}/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"login":',
    });
    expect(raw.status).toBe(400);
  });

  it('locks an account after repeated failures (429), records the lockout, and the right password waits too', async () => {
    const u = await registerUser(app);
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) {
      statuses.push(
        (
          await api(app, 'POST', '/auth/login', {
            headers: xff(),
            body: { login: u.username, password: `wrong-${i}-pass` },
          })
        ).status,
      );
    }
    expect(statuses).toEqual([401, 401, 401, 401, 429]);
    const right = await api(app, 'POST', '/auth/login', {
      headers: xff(),
      body: { login: u.username, password: u.password },
    });
    expect(right.status).toBe(429);
    expect(Number(right.headers.get('retry-after'))).toBeGreaterThan(0);
    const events = await app.rt.models.SecurityEvent.findAll({ where: { user_id: u.id } });
    expect(events.map((e) => e.type)).toEqual(expect.arrayContaining(['login_failure', 'lockout']));
  });

  it('throttles failures per IP across accounts', async () => {
    const ip = '192.0.2.77';
    const statuses: number[] = [];
    for (let i = 0; i < 8; i++) {
      statuses.push(
        (
          await api(app, 'POST', '/auth/login', {
            headers: xff(ip),
            body: { login: name(), password: 'wrong password' },
          })
        ).status,
      );
    }
    expect(statuses.slice(0, 6)).toEqual([401, 401, 401, 401, 401, 401]);
    expect(statuses.slice(6)).toEqual([429, 429]);
  });

  it('does not count failures from the machine itself across accounts; per account they still count', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 8; i++) {
      const res = await api(app, 'POST', '/auth/login', {
        headers: xff('127.0.0.1'),
        body: { login: name(), password: 'wrong password' },
      });
      statuses.push(res.status);
    }
    expect(statuses).toEqual(Array(8).fill(401));
    const user = await registerUser(app);
    const perAccount: number[] = [];
    for (let i = 0; i < 6; i++) {
      const res = await api(app, 'POST', '/auth/login', {
        headers: xff('127.0.0.1'),
        body: { login: user.username, password: 'wrong password' },
      });
      perAccount.push(res.status);
    }
    expect(perAccount.slice(0, 4)).toEqual([401, 401, 401, 401]);
    expect(perAccount.slice(4)).toEqual([429, 429]);
  });
});

describe('password hashes', () => {
  it('a hash made with weaker parameters is replaced at the next successful login, and still works', async () => {
    const u = await registerUser(app);
    const weak = await hashPassword(u.password, 10);
    await app.rt.models.User.update({ password_hash: weak }, { where: { id: u.id } });
    const hashOf = async () =>
      (await app.rt.models.User.findByPk(u.id, { rejectOnEmpty: true })).password_hash;

    expect(
      (
        await api(app, 'POST', '/auth/login', {
          headers: xff(),
          body: { login: u.username, password: 'nope nope' },
        })
      ).status,
    ).toBe(401);
    expect(await hashOf()).toBe(weak);

    const ok = await api(app, 'POST', '/auth/login', {
      headers: xff(),
      body: { login: u.username, password: u.password },
    });
    expect(ok.status).toBe(200);
    const rehashed = await hashOf();
    expect(rehashed).toMatch(/^scrypt\$12\$8\$1\$/);
    expect(rehashed).not.toBe(weak);
    const again = await api(app, 'POST', '/auth/login', {
      headers: xff(),
      body: { login: u.username, password: u.password },
    });
    expect(again.status).toBe(200);
    expect(await hashOf()).toBe(rehashed);
  });
});

describe('tokens', () => {
  it('the scheme is case-insensitive, as HTTP has it', async () => {
    const u = await registerUser(app);
    for (const scheme of ['bearer', 'BEARER', 'Bearer']) {
      const res = await api(app, 'GET', '/users/@me', { headers: { authorization: `${scheme} ${u.token}` } });
      expect([scheme, res.status]).toEqual([scheme, 200]);
    }
    const bot = await api(app, 'GET', '/users/@me', { headers: { authorization: `bot ${u.token}` } });
    expect(bot.status).toBe(401);
  });

  it('a missing, malformed, unknown, wrong-scheme or expired token is 401', async () => {
    const u = await registerUser(app);
    expect((await api(app, 'GET', '/users/@me')).status).toBe(401);
    for (const authorization of [
      'Bearer',
      'Bearer short',
      `Basic ${u.token}`,
      `Bearer ${'A'.repeat(43)}`,
      `Bot ${u.token}`,
    ]) {
      const res = await api(app, 'GET', '/users/@me', { headers: { authorization } });
      expect([authorization, res.status, res.body.code]).toEqual([authorization, 401, 'unauthorized']);
    }
    await app.rt.models.Session.update(
      { last_used_at: new Date(Date.now() - 91 * 86_400_000) },
      { where: { user_id: u.id } },
    );
    await editedByHand(app, u.id);
    expect((await api(app, 'GET', '/users/@me', { token: u.token })).status).toBe(401);
  });

  it('a request marks its session used, at most once a minute', async () => {
    const u = await registerUser(app);
    const { Session } = app.rt.models;
    const lastUsed = async () =>
      (await Session.findOne({ where: { user_id: u.id } }))?.last_used_at.getTime();
    const twoDaysAgo = Date.now() - 2 * 86_400_000;
    await Session.update({ last_used_at: new Date(twoDaysAgo) }, { where: { user_id: u.id } });
    expect((await api(app, 'GET', '/users/@me', { token: u.token })).status).toBe(200);
    const touched = await lastUsed();
    expect(touched).toBeGreaterThan(twoDaysAgo + 86_400_000);
    // Used again within the minute: not written again.
    const recent = Date.now() - 30_000;
    await Session.update({ last_used_at: new Date(recent) }, { where: { user_id: u.id } });
    expect((await api(app, 'GET', '/users/@me', { token: u.token })).status).toBe(200);
    expect(await lastUsed()).toBe(recent);
  });

  it('logout revokes the token at once; sessions lists and revokes the others', async () => {
    const u = await registerUser(app);
    const second = await api(app, 'POST', '/auth/login', {
      headers: { ...xff('192.0.2.10'), 'user-agent': 'second-device' },
      body: { login: u.username, password: u.password },
    });
    const list = await api(app, 'GET', '/users/@me/sessions', { token: u.token });
    expect(list.status).toBe(200);
    expect(list.body).toHaveLength(2);
    const other = list.body.find((s: { current: boolean }) => !s.current);
    expect(other).toMatchObject({ ip: '192.0.2.10', user_agent: 'second-device', current: false });
    expect(other.created_at).toEqual(expect.any(Number));

    expect((await api(app, 'POST', '/auth/logout', { token: second.body.token })).status).toBe(204);
    expect((await api(app, 'GET', '/users/@me', { token: second.body.token })).status).toBe(401);
    expect((await api(app, 'GET', '/users/@me/sessions', { token: u.token })).body).toHaveLength(1);
    // Another user's session, or a revoked one, is unknown.
    const stranger = await registerUser(app);
    expect(
      (await api(app, 'DELETE', `/users/@me/sessions/${other.id}`, { token: stranger.token })).status,
    ).toBe(404);
    expect((await api(app, 'DELETE', `/users/@me/sessions/${other.id}`, { token: u.token })).status).toBe(
      404,
    );
    expect((await api(app, 'DELETE', '/users/@me/sessions/abc', { token: u.token })).status).toBe(400);
    const revoked = await app.rt.models.SecurityEvent.count({
      where: { user_id: u.id, type: 'session_revoked' },
    });
    expect(revoked).toBe(1);
  });

  it('sessions lists only live ones: a session idle past security.session_idle_days is gone', async () => {
    const u = await registerUser(app);
    const second = await api(app, 'POST', '/auth/login', {
      headers: xff(),
      body: { login: u.username, password: u.password },
    });
    const list = await api(app, 'GET', '/users/@me/sessions', { token: u.token });
    const idle = list.body.find((s: { current: boolean }) => !s.current);
    const idleDays = app.config.security.session_idle_days;
    await app.rt.models.Session.update(
      { last_used_at: new Date(Date.now() - (idleDays + 1) * 86_400_000) },
      { where: { id: idle.id } },
    );
    await editedByHand(app, u.id);
    // Its token no longer works, so it is not listed, and there is nothing to revoke.
    expect((await api(app, 'GET', '/users/@me', { token: second.body.token })).status).toBe(401);
    const live = await api(app, 'GET', '/users/@me/sessions', { token: u.token });
    expect(live.body.map((s: { id: string }) => s.id)).toEqual([
      list.body.find((s: { current: boolean }) => s.current).id,
    ]);
    const paged = await api(app, 'GET', '/users/@me/sessions?limit=10', { token: u.token });
    expect(paged.body).toHaveLength(1);
    expect((await api(app, 'DELETE', `/users/@me/sessions/${idle.id}`, { token: u.token })).status).toBe(404);
  });
});
