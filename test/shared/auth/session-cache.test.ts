import { moveAccountEpochs, readSessionCopy, storeSessionCopy } from '../../../shared/auth/session-cache.js';
import { findLiveSession } from '../../../shared/auth/sessions.js';
import { hashToken } from '../../../shared/auth/tokens.js';
import { operatorSetAdmin } from '../../../shared/domain/accounts/operator-tools.js';
import {
  api,
  editedByHand,
  enableMfa,
  randomIp,
  registerAdmin,
  registerUser,
  type TestUser,
} from '../../helpers/accounts.js';
import { useTestApp } from '../../helpers/app.js';
import { connectGateway } from '../../helpers/gateway-client.js';
import { makeApplication, asBot } from '../../api/applications/helpers.js';
import { person } from '../../api/servers/membership-helpers.js';

/**
 * The token check's copy of a session and its account in Redis (shared/auth/session-cache.ts):
 * used once stored, retired by every command that changes an account or its sessions, never
 * stored as current when a write moved the epoch meanwhile, and free of secrets.
 */
const app = useTestApp({ workers: false });

const me = (token: string) => api(app, 'GET', '/users/@me', { token });
/** Two reads: the first stores the copy (the owner was recorded when the session was issued), the second uses it. */
const warm = async (token: string) => {
  expect((await me(token)).status).toBe(200);
  expect((await me(token)).status).toBe(200);
};
/** The app's runtime with security.session_cache_seconds 0: token checks straight from Postgres. */
const cacheOff = () => ({
  ...app.rt,
  config: { ...app.config, security: { ...app.config.security, session_cache_seconds: 0 } },
});
const copyKey = (token: string) =>
  `${app.config.redis.key_prefix}:auth-copy:${hashToken(token).toString('hex')}`;
const secondSession = async (u: TestUser): Promise<string> => {
  const res = await api(app, 'POST', '/auth/login', {
    body: { login: u.username, password: u.password },
    headers: { 'x-forwarded-for': randomIp() },
  });
  expect(res.status).toBe(200);
  return res.body.token as string;
};

describe('the session copy', () => {
  it('serves a warm token from Redis: a hand edit shows only once the epoch moves', async () => {
    const u = await registerUser(app);
    await warm(u.token);
    const renamed = `${u.username}_x`.slice(0, 32);
    await app.rt.sequelize.query('UPDATE users SET username = $1 WHERE id = $2', { bind: [renamed, u.id] });
    expect((await me(u.token)).body.username).toBe(u.username);
    await editedByHand(app, u.id);
    expect((await me(u.token)).body.username).toBe(renamed);
  });

  it('holds no password hash and no 2FA secret', async () => {
    const u = await registerUser(app);
    await enableMfa(app, u);
    await warm(u.token);
    const stored = await app.rt.redis.get(copyKey(u.token));
    expect(stored).toContain(`"id":"${u.id}"`);
    expect(stored).toContain('"has_password":true');
    expect(stored).toContain('"mfa_enabled":true');
    for (const secret of [
      'password_hash',
      'mfa_secret',
      'mfa_pending_secret',
      'mfa_last_time_step',
      'scrypt',
    ])
      expect(stored).not.toContain(secret);
  });

  it('is not stored as current when a write moved the epoch during the read', async () => {
    const p = await person(app);
    const hash = hashToken(p.token);
    const before = await readSessionCopy(app.rt, hash);
    expect(before).toEqual({ copy: null, epoch: expect.any(String) });
    const live = await findLiveSession(cacheOff(), p.token);
    expect(live?.user.id).toBe(p.id);
    // A write commits between the reader's epoch and its Postgres read: what it read may be old.
    await moveAccountEpochs(app.rt.redis, app.config.redis.key_prefix, [p.id]);
    storeSessionCopy(app.rt, hash, before!.epoch, live!);
    await app.rt.redis.ping(); // after the store's pipeline, on the same connection
    const after = await readSessionCopy(app.rt, hash);
    expect(after?.copy).toBeNull();
    expect(after?.epoch).not.toBe(before!.epoch);
    storeSessionCopy(app.rt, hash, after!.epoch, live!);
    await app.rt.redis.ping();
    const current = await readSessionCopy(app.rt, hash);
    expect(current?.copy).toEqual(live);
    expect(current?.copy?.session.last_used_at).toBeInstanceOf(Date);
  });

  it('a copy that does not parse, or of another shape (another version), is read again from Postgres', async () => {
    const u = await registerUser(app);
    await warm(u.token);
    const key = copyKey(u.token);
    const stored = (await app.rt.redis.get(key))!;
    const head = stored.slice(0, stored.indexOf('|', stored.indexOf('|') + 1) + 1); // `<user>|<epoch>|`
    const copy = JSON.parse(stored.slice(head.length)) as { user: Record<string, unknown> };
    const user: Record<string, unknown> = { ...copy.user, is_admin: true, some_new_column: 1 };
    delete user.username;
    await app.rt.redis.set(key, head + JSON.stringify({ ...copy, user }), 'KEEPTTL');
    expect((await api(app, 'GET', '/admin/users', { token: u.token })).status).toBe(403);
    expect((await me(u.token)).body.username).toBe(u.username);
    await app.rt.redis.set(key, `${head}{"user":`, 'KEEPTTL');
    expect((await me(u.token)).body.username).toBe(u.username);
  });

  it('is off with security.session_cache_seconds 0: nothing is kept', async () => {
    const p = await person(app);
    expect((await findLiveSession(cacheOff(), p.token))?.user.id).toBe(p.id);
    expect((await findLiveSession(cacheOff(), p.token))?.user.id).toBe(p.id);
    expect(await app.rt.redis.exists(copyKey(p.token))).toBe(0);
  });
});

describe('every command that changes an account or its sessions retires its copies at once', () => {
  it('logout: the token is refused over HTTP and by the gateway', async () => {
    const u = await registerUser(app);
    await warm(u.token);
    expect((await api(app, 'POST', '/auth/logout', { token: u.token })).status).toBe(204);
    expect((await me(u.token)).status).toBe(401);
    await expect(connectGateway(app.origin, { token: u.token })).rejects.toThrow();
  });

  it('a session revoked from the list, and the others at a password change', async () => {
    const u = await registerUser(app);
    const [second, third] = [await secondSession(u), await secondSession(u)];
    await warm(second);
    await warm(third);
    const list = await api(app, 'GET', '/users/@me/sessions', { token: u.token });
    // The sessions of `second` and `third` are the two not current: one is revoked, then the password changes.
    const others = (list.body as { id: string; current: boolean }[]).filter((s) => !s.current);
    expect(others).toHaveLength(2);
    const revoked = await api(app, 'DELETE', `/users/@me/sessions/${others[0]!.id}`, { token: u.token });
    expect(revoked.status).toBe(204);
    const statuses = [(await me(second)).status, (await me(third)).status].sort();
    expect(statuses).toEqual([200, 401]);
    const changed = await api(app, 'PUT', '/users/@me/password', {
      token: u.token,
      body: { current_password: u.password, password: `${u.password}-new` },
    });
    expect(changed.status).toBe(204);
    expect([(await me(second)).status, (await me(third)).status, (await me(u.token)).status]).toEqual([
      401, 401, 200,
    ]);
  });

  it('a name, 2FA and the admin flag show on the next request', async () => {
    const u = await registerUser(app);
    await warm(u.token);
    const renamed = `${u.username}_y`.slice(0, 32);
    expect(
      (await api(app, 'PATCH', '/users/@me', { token: u.token, body: { username: renamed } })).status,
    ).toBe(200);
    expect((await me(u.token)).body.username).toBe(renamed);
    await enableMfa(app, u);
    expect((await me(u.token)).body.mfa_enabled).toBe(true);
    expect((await api(app, 'GET', '/admin/users', { token: u.token })).status).toBe(403);
    await operatorSetAdmin(app.rt, u.id, true);
    expect((await api(app, 'GET', '/admin/users', { token: u.token })).status).toBe(200);
    await operatorSetAdmin(app.rt, u.id, false);
    expect((await api(app, 'GET', '/admin/users', { token: u.token })).status).toBe(403);
  });

  it('an account disabled or deleted', async () => {
    const admin = await registerAdmin(app);
    const disabled = await registerUser(app);
    await warm(disabled.token);
    const res = await api(app, 'PATCH', `/admin/users/${disabled.id}`, {
      token: admin.token,
      body: { disabled: true },
    });
    expect(res.status).toBe(200);
    expect((await me(disabled.token)).status).toBe(401);
    const deleted = await registerUser(app);
    await warm(deleted.token);
    const gone = await api(app, 'DELETE', '/users/@me', {
      token: deleted.token,
      body: { password: deleted.password },
    });
    expect(gone.status).toBe(204);
    expect((await me(deleted.token)).status).toBe(401);
  });

  it('a bot token reset, and the application deleted', async () => {
    const owner = await registerUser(app);
    const bot = await makeApplication(app, owner);
    const botMe = (token: string) => asBot(app, token, 'GET', '/users/@me');
    expect((await botMe(bot.token)).status).toBe(200);
    expect((await botMe(bot.token)).status).toBe(200);
    const reset = await api(app, 'POST', `/applications/${bot.appId}/bot/token`, { token: owner.token });
    expect(reset.status).toBe(200);
    expect((await botMe(bot.token)).status).toBe(401);
    const fresh = reset.body.token as string;
    expect((await botMe(fresh)).status).toBe(200);
    expect((await botMe(fresh)).status).toBe(200);
    expect((await api(app, 'DELETE', `/applications/${bot.appId}`, { token: owner.token })).status).toBe(204);
    expect((await botMe(fresh)).status).toBe(401);
  });
});
