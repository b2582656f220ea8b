import { useTestApp } from '../../helpers/app.js';
import { api, randomIp, registerUser } from '../../helpers/accounts.js';
import { connectGateway, type GatewayClient } from '../../helpers/gateway-client.js';
import { tokenFromMail } from '../../helpers/smtp-receiver.js';
import { MAIL_PUBLIC_URL, emailAddress, registerWithEmail, useMailApp } from '../../helpers/mail-app.js';

const PUBLIC_URL = MAIL_PUBLIC_URL;
// Not 203.0.113.0/24 (test/api/admin/ip-rules.test.ts denies that range in the shared test
// database) and not 198.51.100.0/24 (randomIp's range: a random source would share its throttle).
const FORGOT_IP = '198.18.7.177';

const { app, smtp } = useMailApp({
  email: { from: 'Plexichat <noreply@chat.example.test>' },
  security: {
    throttle: {
      password_forgot_ip: { points: 3, duration_seconds: 3600, block_seconds: 3600 },
      password_forgot_account: { points: 3, duration_seconds: 3600, block_seconds: 3600 },
    },
  },
});
const sockets: GatewayClient[] = [];
afterAll(() => {
  for (const s of sockets) s.close();
});

const address = () => emailAddress('r');
const withEmail = () => registerWithEmail(app, 'r');

const forgot = (login: string, ip = randomIp()) =>
  api(app, 'POST', '/auth/password/forgot', { body: { login }, headers: { 'x-forwarded-for': ip } });

const reset = (token: string, password: string) =>
  api(app, 'POST', '/auth/password/reset', {
    body: { token, password },
    headers: { 'x-forwarded-for': randomIp() },
  });

const login = (loginName: string, password: string) =>
  api(app, 'POST', '/auth/login', {
    body: { login: loginName, password },
    headers: { 'x-forwarded-for': randomIp() },
  });

function disconnected(c: GatewayClient): Promise<void> {
  return new Promise((resolve) => {
    if (!c.socket.connected) return resolve();
    c.socket.once('disconnect', () => resolve());
  });
}

/** Subjects of password reset mails (registering with an email also sends a verification mail). */
const RESET = /reset/i;

describe('POST /auth/password/forgot and /auth/password/reset', () => {
  it('mails a reset link (text and HTML) that works once and ends every session', async () => {
    const u = await withEmail();
    const socket = await connectGateway(app.origin, { token: u.token });
    sockets.push(socket);
    const gone = disconnected(socket);

    const res = await forgot(u.username.toUpperCase());
    expect([res.status, res.body]).toEqual([204, null]);

    const [mail] = await smtp.waitFor(u.email, 1, RESET);
    expect(mail!.from).toBe('noreply@chat.example.test');
    const token = tokenFromMail(mail!, '/reset-password');
    const link = `${PUBLIC_URL}/reset-password?token=${token}`;
    expect(mail!.text).toContain(link);
    expect(mail!.html).toContain(`href="${link}"`);
    expect(mail!.text).toContain(u.username);
    expect(mail!.text).toMatch(/1 hour/);

    const newPassword = 'a brand new passphrase';
    expect((await reset(token, newPassword)).status).toBe(204);

    await gone;
    expect((await api(app, 'GET', '/users/@me', { token: u.token })).status).toBe(401);
    expect((await login(u.username, u.password)).status).toBe(401);
    expect((await login(u.email, newPassword)).status).toBe(200);

    const again = await reset(token, 'yet another passphrase');
    expect([again.status, again.body.code]).toEqual([400, 'invalid_token']);
    expect(again.body.errors).toHaveProperty('token');

    const events = await app.rt.models.SecurityEvent.findAll({
      where: { user_id: u.id, type: 'password_reset' },
    });
    expect(events).toHaveLength(1);
    expect(events[0]?.details).toMatchObject({ revoked_sessions: 1 });
  });

  it('answers an unknown account exactly as a known one and mails nothing', async () => {
    const nobody = address();
    const unknown = await forgot(nobody);
    const u = await withEmail();
    const known = await forgot(u.email);
    expect([unknown.status, unknown.body]).toEqual([known.status, known.body]);
    expect(unknown.headers.get('content-length')).toBe(known.headers.get('content-length'));
    // The known account got one token, and its mail arrived; none went to the unknown address.
    // (Counted per account: other test files write account tokens to the same table meanwhile.)
    const tokens = { where: { user_id: u.id, purpose: 'password_reset' as const } };
    expect(await app.rt.models.AccountToken.count(tokens)).toBe(1);
    await smtp.waitFor(u.email, 1, RESET);
    expect(smtp.to(nobody)).toEqual([]);
  });

  it('an earlier link dies when another is used, and an expired link is refused', async () => {
    const u = await withEmail();
    await forgot(u.username);
    await forgot(u.username);
    const [first, second] = await smtp.waitFor(u.email, 2, RESET);
    const t1 = tokenFromMail(first!, '/reset-password');
    const t2 = tokenFromMail(second!, '/reset-password');
    expect(t1).not.toBe(t2);
    expect((await reset(t2, 'the second passphrase')).status).toBe(204);
    expect((await reset(t1, 'the first passphrase')).body.code).toBe('invalid_token');

    const v = await withEmail();
    await forgot(v.email);
    const token = tokenFromMail((await smtp.waitFor(v.email, 1, RESET))[0]!, '/reset-password');
    await app.rt.models.AccountToken.update(
      { expires_at: new Date(Date.now() - 1000) },
      { where: { user_id: v.id, purpose: 'password_reset' } },
    );
    expect((await reset(token, 'too late passphrase')).body.code).toBe('invalid_token');
    expect((await login(v.username, v.password)).status).toBe(200);
  });

  it('names bad fields', async () => {
    const noLogin = await api(app, 'POST', '/auth/password/forgot', { body: {} });
    expect([noLogin.status, Object.keys(noLogin.body.errors)]).toEqual([400, ['login']]);
    const weak = await reset('x'.repeat(43), 'short');
    expect([weak.status, Object.keys(weak.body.errors)]).toEqual([400, ['password']]);
    const unknownToken = await reset('x'.repeat(43), 'a fine passphrase');
    expect([unknownToken.status, unknownToken.body.code]).toEqual([400, 'invalid_token']);
  });

  it('throttles per source (every attempt, known or not) and per account (silently)', async () => {
    for (let i = 0; i < 3; i++) expect((await forgot(address(), FORGOT_IP)).status).toBe(204);
    const limited = await forgot(address(), FORGOT_IP);
    expect([limited.status, limited.body.code]).toEqual([429, 'rate_limited']);

    const u = await withEmail();
    for (let i = 0; i < 4; i++) expect((await forgot(u.username)).status).toBe(204);
    // The fourth request answered the same but issued no link.
    expect(
      await app.rt.models.AccountToken.count({ where: { user_id: u.id, purpose: 'password_reset' } }),
    ).toBe(3);
  });

  it('does not count requests from the machine itself per source; per account still does', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) statuses.push((await forgot(address(), '127.0.0.1')).status);
    expect(statuses).toEqual([204, 204, 204, 204, 204]);

    const u = await withEmail();
    for (let i = 0; i < 5; i++) expect((await forgot(u.email, '127.0.0.1')).status).toBe(204);
    expect(
      await app.rt.models.AccountToken.count({ where: { user_id: u.id, purpose: 'password_reset' } }),
    ).toBe(3);
  });

  it('retries a mail the SMTP server refused at first', async () => {
    const u = await withEmail();
    await smtp.waitFor(u.email, 1, /verify/i);
    const refusedBefore = smtp.refused;
    smtp.refuseNext(1);
    await forgot(u.username);
    const [mail] = await smtp.waitFor(u.email, 1, RESET);
    expect(tokenFromMail(mail!, '/reset-password')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(smtp.refused).toBe(refusedBefore + 1);
    expect(await app.rt.queues.mail.getFailedCount()).toBe(0);
  });
});

describe('PUT /users/@me/password', () => {
  it('changes the password, keeps the calling session and ends the others', async () => {
    const u = await registerUser(app);
    const other = (await login(u.username, u.password)).body.token as string;
    const socket = await connectGateway(app.origin, { token: other });
    sockets.push(socket);
    const gone = disconnected(socket);

    const res = await api(app, 'PUT', '/users/@me/password', {
      token: u.token,
      body: { current_password: u.password, password: 'changed passphrase' },
    });
    expect(res.status).toBe(204);
    await gone;
    expect((await api(app, 'GET', '/users/@me', { token: other })).status).toBe(401);
    expect((await api(app, 'GET', '/users/@me', { token: u.token })).status).toBe(200);
    expect((await login(u.username, 'changed passphrase')).status).toBe(200);
    expect(
      await app.rt.models.SecurityEvent.count({ where: { user_id: u.id, type: 'password_changed' } }),
    ).toBe(1);
  });

  it('refuses a wrong current password (400 naming it; the token still works) and names missing fields', async () => {
    const u = await registerUser(app);
    const wrong = await api(app, 'PUT', '/users/@me/password', {
      token: u.token,
      body: { current_password: 'not the password', password: 'changed passphrase' },
    });
    expect([wrong.status, wrong.body.code, Object.keys(wrong.body.errors)]).toEqual([
      400,
      'invalid_credentials',
      ['current_password'],
    ]);
    expect((await api(app, 'GET', '/users/@me', { token: u.token })).status).toBe(200);
    const missing = await api(app, 'PUT', '/users/@me/password', { token: u.token, body: {} });
    expect(missing.status).toBe(400);
    expect(Object.keys(missing.body.errors).sort()).toEqual(['current_password', 'password']);
    expect((await login(u.username, u.password)).status).toBe(200);
  });
});

describe('without SMTP', () => {
  const bare = useTestApp({ workers: false, gateway: false });

  it('routes that need mail answer 503 email_disabled; GET /instance says so', async () => {
    const forgotRes = await api(bare, 'POST', '/auth/password/forgot', { body: { login: 'anyone' } });
    expect([forgotRes.status, forgotRes.body.code]).toEqual([503, 'email_disabled']);
    const u = await registerUser(bare, { email: address() });
    const resend = await api(bare, 'POST', '/users/@me/email/verify/resend', { token: u.token });
    expect([resend.status, resend.body.code]).toEqual([503, 'email_disabled']);
    const instance = await api(bare, 'GET', '/instance');
    expect(instance.body).toEqual({ registration: 'open', email: false, require_verified_email: false });
    expect((await api(app, 'GET', '/instance')).body.email).toBe(true);
  });
});
