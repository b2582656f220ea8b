import { useTestApp } from '../helpers/app.js';
import { api, registerUser } from '../helpers/accounts.js';
import { createServerWithChannel } from '../helpers/factories.js';

const app = useTestApp({ workers: false, gateway: false });

describe('users', () => {
  it('wrong current_password guesses are counted before they are checked, in parallel too', async () => {
    const u = await registerUser(app);
    const limit = app.config.security.throttle.reauth_account;
    const all = await Promise.all(
      Array.from({ length: 30 }, (_, i) =>
        api(app, 'PATCH', '/users/@me', {
          token: u.token,
          body: { email: `g${i}@example.test`, current_password: `guess number ${i}` },
        }),
      ),
    );
    expect(all.filter((r) => r.status === 400 && r.body.code === 'invalid_credentials')).toHaveLength(
      limit.points,
    );
    expect(all.filter((r) => r.status === 429)).toHaveLength(30 - limit.points);
    // Now even the right password waits out the block, which the answer states exactly.
    const right = await api(app, 'PATCH', '/users/@me', {
      token: u.token,
      body: { email: 'right@example.test', current_password: u.password },
    });
    expect(right.status).toBe(429);
    expect(right.body.retry_after).toBeLessThanOrEqual(limit.block_seconds);
  });

  it('GET /users/{id} shows public fields only', async () => {
    const a = await registerUser(app, { email: `pub${Date.now()}@example.test` });
    const b = await registerUser(app);
    const res = await api(app, 'GET', `/users/${a.id}`, { token: b.token });
    expect(res.status).toBe(200);
    expect(Object.keys(res.body).sort()).toEqual(['avatar_url', 'created_at', 'id', 'username']);
    expect(res.body.created_at).toBe(Math.floor(Number((BigInt(a.id) >> 22n) + 1704067200000n) / 1000));
    expect((await api(app, 'GET', '/users/1', { token: b.token })).status).toBe(404);
    expect((await api(app, 'GET', '/users/not-an-id', { token: b.token })).body.errors).toHaveProperty(
      'user_id',
    );
    expect((await api(app, 'GET', `/users/${a.id}`)).status).toBe(401);
  });

  it('PATCH /users/@me changes the username; email and password need current_password', async () => {
    const u = await registerUser(app);
    const renamed = `${u.username}_x`.slice(0, 32);
    const res = await api(app, 'PATCH', '/users/@me', { token: u.token, body: { username: renamed } });
    expect([res.status, res.body.username]).toEqual([200, renamed]);
    const noCurrent = await api(app, 'PATCH', '/users/@me', {
      token: u.token,
      body: { email: 'a@example.test' },
    });
    expect(noCurrent.status).toBe(400);
    expect(noCurrent.body.errors).toHaveProperty('current_password');
    const wrongCurrent = await api(app, 'PATCH', '/users/@me', {
      token: u.token,
      body: { password: 'a new good password', current_password: 'not it at all' },
    });
    expect([wrongCurrent.status, wrongCurrent.body.code, wrongCurrent.body.errors]).toEqual([
      400,
      'invalid_credentials',
      { current_password: expect.any(String) },
    ]);
    expect((await api(app, 'PATCH', '/users/@me', { token: u.token, body: {} })).status).toBe(400);
    const taken = await registerUser(app);
    const clash = await api(app, 'PATCH', '/users/@me', {
      token: u.token,
      body: { username: taken.username.toUpperCase() },
    });
    expect([clash.status, clash.body.code]).toEqual([409, 'username_taken']);
  });

  it('a password change is recorded and the new password works', async () => {
    const u = await registerUser(app);
    const res = await api(app, 'PATCH', '/users/@me', {
      token: u.token,
      body: { password: 'a new good password', current_password: u.password },
    });
    expect(res.status).toBe(200);
    const login = await api(app, 'POST', '/auth/login', {
      body: { login: u.username, password: 'a new good password' },
    });
    expect(login.status).toBe(200);
    expect(
      await app.rt.models.SecurityEvent.count({ where: { user_id: u.id, type: 'password_changed' } }),
    ).toBe(1);
  });

  it('GET /users/@me/servers lists the caller’s servers with member counts', async () => {
    const u = await registerUser(app);
    expect((await api(app, 'GET', '/users/@me/servers', { token: u.token })).body).toEqual([]);
    const { server } = await createServerWithChannel(app.rt, u.id);
    const res = await api(app, 'GET', '/users/@me/servers', { token: u.token });
    expect(res.body).toEqual([expect.objectContaining({ id: server.id, owner_id: u.id, member_count: 1 })]);
  });
});
