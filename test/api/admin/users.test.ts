import { invalidate } from '../../../shared/domain/invalidation.js';
import crypto from 'node:crypto';
import { useTestApp } from '../../helpers/app.js';
import { api, randomIp, registerUser, setAdminByHand, type TestUser } from '../../helpers/accounts.js';
import { connectGateway, type GatewayClient } from '../../helpers/gateway-client.js';

let admin: TestUser;
let plain: TestUser;
const sockets: GatewayClient[] = [];

const app = useTestApp();
beforeAll(async () => {
  admin = await registerUser(app);
  await setAdminByHand(app, admin.id, true);
  plain = await registerUser(app);
});
afterAll(() => {
  for (const s of sockets) s.close();
});

const asAdmin = (method: string, path: string, body?: unknown) =>
  api(app, method, path, { token: admin.token, body });

async function login(u: TestUser): Promise<string> {
  const res = await api(app, 'POST', '/auth/login', {
    headers: { 'x-forwarded-for': randomIp() },
    body: { login: u.username, password: u.password },
  });
  expect(res.status).toBe(200);
  return res.body.token as string;
}

async function connect(token: string): Promise<GatewayClient> {
  const socket = await connectGateway(app.origin, { token });
  sockets.push(socket);
  return socket;
}

function disconnected(c: GatewayClient): Promise<string> {
  return new Promise((resolve) => {
    if (!c.socket.connected) return resolve('already');
    c.socket.once('disconnect', (reason) => resolve(reason));
  });
}

const events = async (userId: string, type: string) =>
  (await asAdmin('GET', `/admin/security-events?user_id=${userId}&type=${type}`)).body as {
    ip: string;
    details: Record<string, unknown>;
  }[];

describe('admin user routes are for instance admins only (every route: access.test.ts)', () => {
  it('a non-admin’s PATCH changes nothing', async () => {
    const victim = await registerUser(app);
    await api(app, 'PATCH', `/admin/users/${victim.id}`, { token: plain.token, body: { disabled: true } });
    expect((await api(app, 'GET', '/users/@me', { token: victim.token })).status).toBe(200);
  });
});

describe('GET /admin/users', () => {
  const tag = `adm${crypto.randomBytes(3).toString('hex')}`;
  let found: TestUser[];

  beforeAll(async () => {
    found = [];
    for (const suffix of ['a', 'b', 'c']) {
      found.push(
        await registerUser(app, { username: `${tag}_${suffix}`, email: `${tag}.${suffix}@example.org` }),
      );
    }
    // A second session for the last one.
    await login(found[2] as TestUser);
  });

  it('finds accounts by username prefix in any case, newest first, in the documented shape', async () => {
    const res = await asAdmin('GET', `/admin/users?query=${tag.toUpperCase()}_`);
    expect(res.status).toBe(200);
    expect(res.body.map((u: { username: string }) => u.username)).toEqual([
      `${tag}_c`,
      `${tag}_b`,
      `${tag}_a`,
    ]);
    expect(res.body[0]).toEqual({
      id: found[2]?.id,
      username: `${tag}_c`,
      email: `${tag}.c@example.org`,
      is_admin: false,
      is_bot: false,
      disabled_at: null,
      deleted_at: null,
      created_at: expect.any(Number),
      session_count: 2,
      mfa_enabled: false,
      email_verified: false,
    });
    expect(res.body[2].session_count).toBe(1);
  });

  it('finds accounts by email prefix', async () => {
    const res = await asAdmin('GET', `/admin/users?query=${encodeURIComponent(`${tag}.b@`)}`);
    expect(res.status).toBe(200);
    expect(res.body.map((u: { id: string }) => u.id)).toEqual([found[1]?.id]);
  });

  it('takes LIKE wildcards literally', async () => {
    // `_` would match any one character, `%` anything: neither may widen the search.
    const underscore = await asAdmin('GET', `/admin/users?query=${tag.slice(0, -1)}_`);
    expect(underscore.status).toBe(200);
    expect(underscore.body).toEqual([]);
    const percent = await asAdmin('GET', `/admin/users?query=${encodeURIComponent(`${tag}%c`)}`);
    expect(percent.body).toEqual([]);
  });

  it('pages with before and limit', async () => {
    const first = await asAdmin('GET', `/admin/users?query=${tag}&limit=2`);
    expect(first.body.map((u: { username: string }) => u.username)).toEqual([`${tag}_c`, `${tag}_b`]);
    const next = await asAdmin('GET', `/admin/users?query=${tag}&limit=2&before=${first.body[1].id}`);
    expect(next.body.map((u: { username: string }) => u.username)).toEqual([`${tag}_a`]);
  });

  it('pages oldest first with after', async () => {
    const all = await asAdmin('GET', `/admin/users?query=${tag}`);
    const oldest = all.body[all.body.length - 1] as { id: string };
    const newer = await asAdmin('GET', `/admin/users?query=${tag}&after=${oldest.id}&limit=1`);
    expect(newer.body.map((u: { username: string }) => u.username)).toEqual([`${tag}_b`]);
  });

  it('lists every account without a query, and flags admins', async () => {
    // Other suites register users concurrently: look just below a known id.
    const res = await asAdmin('GET', `/admin/users?limit=1&before=${BigInt(found[0]?.id ?? 0) + 1n}`);
    expect(res.status).toBe(200);
    expect(res.body.map((u: { id: string }) => u.id)).toEqual([found[0]?.id]);
    const self = await asAdmin('GET', `/admin/users?query=${admin.username}`);
    expect(self.body).toEqual([expect.objectContaining({ id: admin.id, is_admin: true })]);
  });

  it('names bad query fields', async () => {
    const res = await asAdmin('GET', '/admin/users?limit=0&before=abc');
    expect(res.status).toBe(400);
    expect(Object.keys(res.body.errors).sort()).toEqual(['before', 'limit']);
    expect((await asAdmin('GET', `/admin/users?query=${'x'.repeat(255)}`)).body.errors).toHaveProperty(
      'query',
    );
  });

  it('GET /admin/users/{id}: one account, 404 for an unknown one', async () => {
    const res = await asAdmin('GET', `/admin/users/${found[0]?.id}`);
    expect(res.body).toMatchObject({ id: found[0]?.id, username: `${tag}_a`, session_count: 1 });
    const unknown = await asAdmin('GET', '/admin/users/1');
    expect([unknown.status, unknown.body.code]).toEqual([404, 'unknown_user']);
  });
});

describe('PATCH /admin/users/{user_id}', () => {
  it('disabling ends every session at once: tokens 401, gateway sockets close, sign-in refused', async () => {
    const u = await registerUser(app);
    const second = await login(u);
    const socket = await connect(second);
    const closed = disconnected(socket);

    const res = await asAdmin('PATCH', `/admin/users/${u.id}`, { disabled: true });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ id: u.id, disabled_at: expect.any(Number), session_count: 0 });
    expect(await closed).toBe('io server disconnect');
    for (const token of [u.token, second]) {
      expect((await api(app, 'GET', '/users/@me', { token })).status).toBe(401);
    }
    const again = await api(app, 'POST', '/auth/login', {
      body: { login: u.username, password: u.password },
    });
    expect([again.status, again.body.code]).toEqual([403, 'account_disabled']);

    const recorded = await events(u.id, 'account_disabled');
    expect(recorded).toHaveLength(1);
    expect(recorded[0]?.details).toEqual({ by: admin.id, revoked_sessions: 2 });
    expect(await events(u.id, 'session_revoked')).toHaveLength(2);
    expect((await asAdmin('GET', '/admin/stats')).body.disabled_users).toBeGreaterThanOrEqual(1);
  });

  it('disabling twice records one event; enabling lets the user sign in again but not revive old tokens', async () => {
    const u = await registerUser(app);
    expect((await asAdmin('PATCH', `/admin/users/${u.id}`, { disabled: true })).status).toBe(200);
    const twice = await asAdmin('PATCH', `/admin/users/${u.id}`, { disabled: true });
    expect(twice.status).toBe(200);
    expect(await events(u.id, 'account_disabled')).toHaveLength(1);

    const enabled = await asAdmin('PATCH', `/admin/users/${u.id}`, { disabled: false });
    expect(enabled.status).toBe(200);
    expect(enabled.body.disabled_at).toBeNull();
    expect((await api(app, 'GET', '/users/@me', { token: u.token })).status).toBe(401);
    const token = await login(u);
    expect((await api(app, 'GET', '/users/@me', { token })).status).toBe(200);
    const recorded = await events(u.id, 'account_enabled');
    expect(recorded.map((e) => e.details)).toEqual([{ by: admin.id }]);
  });

  it('an admin cannot disable themselves', async () => {
    const res = await asAdmin('PATCH', `/admin/users/${admin.id}`, { disabled: true });
    expect([res.status, res.body.code]).toEqual([400, 'cannot_disable_self']);
    expect(res.body.errors).toHaveProperty('user_id');
    expect((await api(app, 'GET', '/users/@me', { token: admin.token })).status).toBe(200);
  });

  it('may disable another admin', async () => {
    const other = await registerUser(app);
    await setAdminByHand(app, other.id, true);
    const res = await asAdmin('PATCH', `/admin/users/${other.id}`, { disabled: true });
    expect(res.status).toBe(200);
    expect((await api(app, 'GET', '/admin/stats', { token: other.token })).status).toBe(401);
  });

  it('names a bad body and id, and 404s an unknown user', async () => {
    const noBody = await asAdmin('PATCH', `/admin/users/${plain.id}`, {});
    expect(noBody.status).toBe(400);
    expect(noBody.body.errors).toHaveProperty('disabled');
    const wrongType = await asAdmin('PATCH', `/admin/users/${plain.id}`, { disabled: 'yes please' });
    expect(wrongType.body.errors).toHaveProperty('disabled');
    const badId = await asAdmin('PATCH', '/admin/users/nope', { disabled: true });
    expect([badId.status, Object.keys(badId.body.errors)]).toEqual([400, ['user_id']]);
    const unknown = await asAdmin('PATCH', '/admin/users/1', { disabled: true });
    expect([unknown.status, unknown.body.code]).toEqual([404, 'unknown_user']);
  });

  it('disables a bot (its token stops working); a deleted application’s bot cannot come back', async () => {
    const owner = await registerUser(app);
    const created = await api(app, 'POST', '/applications', { token: owner.token, body: { name: 'Helper' } });
    expect(created.status).toBe(201);
    const botId = created.body.bot.id as string;
    const botAuth = { authorization: `Bot ${created.body.token}` };
    expect((await api(app, 'GET', '/users/@me', { headers: botAuth })).status).toBe(200);

    const disabled = await asAdmin('PATCH', `/admin/users/${botId}`, { disabled: true });
    expect(disabled.body).toMatchObject({ is_bot: true, disabled_at: expect.any(Number) });
    expect((await api(app, 'GET', '/users/@me', { headers: botAuth })).status).toBe(401);
    expect((await asAdmin('PATCH', `/admin/users/${botId}`, { disabled: false })).status).toBe(200);

    const appId = created.body.application.id as string;
    expect((await api(app, 'DELETE', `/applications/${appId}`, { token: owner.token })).status).toBe(204);
    const revived = await asAdmin('PATCH', `/admin/users/${botId}`, { disabled: false });
    expect([revived.status, revived.body.code]).toEqual([409, 'application_deleted']);
  });
});

describe('POST /admin/users/{user_id}/logout', () => {
  it('revokes every session and closes the sockets; the user may sign in again', async () => {
    const u = await registerUser(app);
    const second = await login(u);
    const sockets = [await connect(u.token), await connect(second)];
    const closed = sockets.map(disconnected);

    const res = await asAdmin('POST', `/admin/users/${u.id}/logout`);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ revoked_sessions: 2 });
    expect(await Promise.all(closed)).toEqual(['io server disconnect', 'io server disconnect']);
    for (const token of [u.token, second]) {
      expect((await api(app, 'GET', '/users/@me', { token })).status).toBe(401);
    }
    expect((await asAdmin('GET', `/admin/users/${u.id}`)).body).toMatchObject({
      session_count: 0,
      disabled_at: null,
    });
    const token = await login(u);
    expect((await api(app, 'GET', '/users/@me', { token })).status).toBe(200);

    const recorded = await events(u.id, 'forced_logout');
    expect(recorded).toHaveLength(1);
    expect(recorded[0]?.details).toEqual({ by: admin.id, revoked_sessions: 2 });
  });

  it('404s an unknown user and records nothing', async () => {
    const res = await asAdmin('POST', '/admin/users/1/logout');
    expect([res.status, res.body.code]).toEqual([404, 'unknown_user']);
    expect(await events('1', 'forced_logout')).toEqual([]);
  });
});

describe('GET /admin/servers', () => {
  it('lists servers newest first with member and channel counts (threads not counted), paged', async () => {
    const owner = await registerUser(app);
    const first = await api(app, 'POST', '/servers', { token: owner.token, body: { name: 'First' } });
    const second = await api(app, 'POST', '/servers', { token: owner.token, body: { name: 'Second' } });
    expect([first.status, second.status]).toEqual([201, 201]);
    const joiner = await registerUser(app);
    await app.rt.models.Member.create({ server_id: second.body.id, user_id: joiner.id });
    await invalidate(app.rt, { servers: [second.body.id as string] });
    const channels = await api(app, 'GET', `/servers/${second.body.id}/channels`, { token: owner.token });
    const general = channels.body[0].id as string;
    const thread = await api(app, 'POST', `/channels/${general}/threads`, {
      token: owner.token,
      body: { name: 'a thread' },
    });
    expect(thread.status).toBe(201);

    // Other suites create servers in the same database at the same time, so one may fall between
    // these two: the newest at or below Second is Second itself, and First follows it, maybe not at once.
    const top = await asAdmin('GET', `/admin/servers?limit=1&before=${BigInt(second.body.id) + 1n}`);
    expect(top.status).toBe(200);
    expect(top.body).toEqual([
      {
        id: second.body.id,
        name: 'Second',
        owner_id: owner.id,
        member_count: 2,
        channel_count: channels.body.length,
        created_at: expect.any(Number),
      },
    ]);
    // Newest first from Second: First follows it (other suites' servers may come between).
    const res = await asAdmin('GET', `/admin/servers?limit=100&before=${BigInt(second.body.id) + 1n}`);
    expect(res.status).toBe(200);
    const listed = res.body as { id: string }[];
    expect(listed[0]?.id).toBe(second.body.id);
    expect(listed.find((s) => s.id === first.body.id)).toEqual(
      expect.objectContaining({ id: first.body.id, name: 'First', member_count: 1 }),
    );
    const ids = listed.map((s) => BigInt(s.id));
    expect(ids.every((id, i) => i === 0 || id < (ids[i - 1] as bigint))).toBe(true);
    expect(channels.body.length).toBeGreaterThanOrEqual(1);
    const older = await asAdmin('GET', `/admin/servers?limit=1&before=${first.body.id}`);
    expect(older.body.every((s: { id: string }) => BigInt(s.id) < BigInt(first.body.id))).toBe(true);
    // Oldest first from First with `after`: Second follows it, each id larger than the last.
    const newer = await asAdmin('GET', `/admin/servers?limit=100&after=${first.body.id}`);
    const newerIds = (newer.body as { id: string }[]).map((s) => BigInt(s.id));
    expect(
      newerIds.every((id, i) => id > (i === 0 ? BigInt(first.body.id) : (newerIds[i - 1] as bigint))),
    ).toBe(true);
    expect(newerIds).toContain(BigInt(second.body.id));
  });

  it('names bad query fields', async () => {
    const res = await asAdmin('GET', '/admin/servers?limit=500&before=x');
    expect(res.status).toBe(400);
    expect(Object.keys(res.body.errors).sort()).toEqual(['before', 'limit']);
  });
});
