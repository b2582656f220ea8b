import crypto from 'node:crypto';
import {
  api,
  enableMfa,
  randomIp,
  registerAdmin,
  registerUser,
  type TestUser,
} from '../../helpers/accounts.js';
import { connectGateway, type GatewayClient } from '../../helpers/gateway-client.js';
import { tokenFromMail } from '../../helpers/smtp-receiver.js';
import { useMailApp } from '../../helpers/mail-app.js';

const { app, smtp } = useMailApp();
let admin: TestUser;
const sockets: GatewayClient[] = [];

beforeAll(async () => {
  admin = await registerAdmin(app);
});
afterAll(() => {
  for (const s of sockets) s.close();
});

const asAdmin = (method: string, path: string, body?: unknown) =>
  api(app, method, path, { token: admin.token, body });
const login = (username: string, password: string) =>
  api(app, 'POST', '/auth/login', {
    body: { login: username, password },
    headers: { 'x-forwarded-for': randomIp() },
  });
const name = () => `t_${crypto.randomBytes(5).toString('hex')}`;

async function lastEvent(userId: string, type: string) {
  const events = (await asAdmin('GET', `/admin/security-events?user_id=${userId}&type=${type}`)).body as {
    details: Record<string, unknown>;
  }[];
  return events[0];
}

describe('POST /admin/users', () => {
  it('creates an account that signs in, recorded; names bad fields; 409 on a taken name', async () => {
    const username = name();
    const res = await asAdmin('POST', '/admin/users', {
      username,
      password: 'created passphrase',
      email: `${username}@example.test`,
    });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ username, is_admin: false, email_verified: false, mfa_enabled: false });
    expect((await login(username, 'created passphrase')).status).toBe(200);
    expect((await lastEvent(res.body.id, 'account_created'))?.details).toMatchObject({ by: admin.id });

    const bad = await asAdmin('POST', '/admin/users', { username: '!', password: 'x' });
    expect([bad.status, Object.keys(bad.body.errors).sort()]).toEqual([400, ['password', 'username']]);
    const taken = await asAdmin('POST', '/admin/users', {
      username: username.toUpperCase(),
      password: 'another passphrase',
    });
    expect([taken.status, taken.body.code]).toEqual([409, 'username_taken']);
  });
});

describe('POST /admin/users/{user_id}/password-reset', () => {
  it('issues a one-time link that resets the password and ends the sessions', async () => {
    const u = await registerUser(app);
    const socket = await connectGateway(app.origin, { token: u.token });
    sockets.push(socket);
    const gone = new Promise<void>((resolve) => socket.socket.once('disconnect', () => resolve()));

    const res = await asAdmin('POST', `/admin/users/${u.id}/password-reset`, { delivery: 'link' });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ delivery: 'link', expires_at: expect.any(Number) });
    const match = /^https:\/\/chat\.example\.test\/reset-password\?token=([A-Za-z0-9_-]+)$/.exec(
      res.body.link,
    );
    expect(match).not.toBeNull();
    const token = match![1]!;
    expect((await lastEvent(u.id, 'password_reset_link_issued'))?.details).toMatchObject({
      by: admin.id,
      via: 'admin_api',
    });

    const reset = await api(app, 'POST', '/auth/password/reset', {
      body: { token, password: 'admin given passphrase' },
    });
    expect(reset.status).toBe(204);
    await gone;
    expect((await api(app, 'GET', '/users/@me', { token: u.token })).status).toBe(401);
    expect((await login(u.username, 'admin given passphrase')).status).toBe(200);
    expect(
      (await api(app, 'POST', '/auth/password/reset', { body: { token, password: 'once more passphrase' } }))
        .body.code,
    ).toBe('invalid_token');
  });

  it('sends the reset mail; refuses an account without email; names a bad delivery', async () => {
    const email = `${name()}@example.test`;
    const u = await registerUser(app, { email });
    const res = await asAdmin('POST', `/admin/users/${u.id}/password-reset`, { delivery: 'mail' });
    expect([res.status, res.body.delivery, res.body.link]).toEqual([200, 'mail', null]);
    const [mail] = await smtp.waitFor(email, 1, /reset/i);
    expect(tokenFromMail(mail!, '/reset-password')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect((await lastEvent(u.id, 'password_reset_requested'))?.details).toMatchObject({ by: admin.id });

    const noEmail = await registerUser(app);
    const refused = await asAdmin('POST', `/admin/users/${noEmail.id}/password-reset`, { delivery: 'mail' });
    expect([refused.status, refused.body.code]).toEqual([400, 'no_email']);
    const bad = await asAdmin('POST', `/admin/users/${u.id}/password-reset`, { delivery: 'pigeon' });
    expect([bad.status, Object.keys(bad.body.errors)]).toEqual([400, ['delivery']]);
    expect((await asAdmin('POST', '/admin/users/1/password-reset', { delivery: 'link' })).body.code).toBe(
      'unknown_user',
    );
  });
});

describe('DELETE /admin/users/{user_id}/mfa', () => {
  it('turns 2FA off (password alone signs in again), recorded; 400 when it is not on', async () => {
    const u = await registerUser(app);
    await enableMfa(app, u);
    expect((await login(u.username, u.password)).body.mfa_required).toBe(true);

    expect((await asAdmin('DELETE', `/admin/users/${u.id}/mfa`)).status).toBe(204);
    const after = await login(u.username, u.password);
    expect([after.status, typeof after.body.token]).toEqual([200, 'string']);
    expect(after.body.user.mfa_enabled).toBe(false);
    expect((await lastEvent(u.id, 'mfa_disabled'))?.details).toMatchObject({
      by: admin.id,
      via: 'admin_api',
    });

    const again = await asAdmin('DELETE', `/admin/users/${u.id}/mfa`);
    expect([again.status, again.body.code]).toEqual([400, 'mfa_not_enabled']);
  });
});
