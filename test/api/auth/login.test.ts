import { startTestApp, type TestApp } from '../../helpers/app.js';
import { api } from '../../helpers/accounts.js';

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp({ workers: false, gateway: false });
});
afterAll(() => app.close());

describe('register', () => {
  it('creates an account and returns a working token and the self user object', async () => {
    const res = await api(app, 'POST', '/auth/register', {
      body: {
        username: `Reg_${Date.now()}`,
        password: 'correct horse battery',
        email: `r${Date.now()}@example.test`,
      },
    });
    expect(res.status).toBe(201);
    expect(res.body.token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(res.body.user).toMatchObject({ mfa_enabled: false, bot: false, admin: false });
    expect(res.body.user).not.toHaveProperty('password_hash');
    const me = await api(app, 'GET', '/users/@me', { token: res.body.token as string });
    expect([me.status, me.body?.id]).toEqual([200, res.body.user.id]);
  });
});
