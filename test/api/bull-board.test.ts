import {
  ADMIN_COOKIE,
  BROWSER_SESSION_TTL_SECONDS,
  signBrowserSession,
} from '../../api/admin/browser-auth.js';
import { api as call, registerUser, setAdminByHand, type TestUser } from '../helpers/accounts.js';
import { startTestApp, useTestApp } from '../helpers/app.js';
import { testConfig } from '../helpers/config.js';

describe('Bull Board at /admin/queues and /api/v1/admin/queues', () => {
  it('is not mounted when admin.bull_board is false', async () => {
    const app = await startTestApp({
      config: testConfig({ admin: { bull_board: false } }),
      workers: false,
      gateway: false,
    });
    try {
      for (const path of ['/admin/queues', '/api/v1/admin/queues']) {
        expect((await fetch(`${app.origin}${path}`)).status).toBe(404);
      }
    } finally {
      await app.close();
    }
  });

  it('by default serves the dashboard and lists the queues to an admin at both paths, nobody else', async () => {
    const app = await startTestApp({ workers: false, gateway: false });
    try {
      const admin = await registerUser(app);
      const plain = await registerUser(app);
      await setAdminByHand(app, admin.id, true);
      for (const base of ['/admin/queues', '/api/v1/admin/queues']) {
        const page = await fetch(`${app.origin}${base}`, { headers: admin.headers });
        expect([base, page.status]).toEqual([base, 200]);
        expect(await page.text()).toMatch(/<html/i);
        const api = await fetch(`${app.origin}${base}/api/queues`, { headers: admin.headers });
        expect([base, api.status]).toEqual([base, 200]);
        const body = (await api.json()) as { queues: { name: string }[] };
        expect(body.queues.map((q) => q.name)).toContain('messages');
        const anonymous = await fetch(`${app.origin}${base}/api/queues`, {
          headers: { accept: 'application/json' },
        });
        expect([base, anonymous.status]).toEqual([base, 401]);
        expect([
          base,
          (await fetch(`${app.origin}${base}/api/queues`, { headers: plain.headers })).status,
        ]).toEqual([base, 403]);
      }
    } finally {
      await app.close();
    }
  });
});

describe('Bull Board behind admin authentication', () => {
  let admin: TestUser;
  let plain: TestUser;

  const app = useTestApp({
    config: testConfig({ admin: { bull_board: true } }),
    workers: false,
    gateway: false,
  });
  beforeAll(async () => {
    admin = await registerUser(app);
    await setAdminByHand(app, admin.id, true);
    plain = await registerUser(app);
  });

  const board = (headers: Record<string, string> = {}, path = '/admin/queues/api/queues') =>
    fetch(`${app.origin}${path}`, { headers, redirect: 'manual' });
  const withCookie = (value: string) => ({ cookie: `${ADMIN_COOKIE}=${value}` });

  /** Opens a browser session for `u` and returns the cookie's value and its Set-Cookie line. */
  async function browserSession(u: TestUser): Promise<{ value: string; line: string; body: unknown }> {
    const res = await fetch(`${app.api}/admin/browser-session`, { method: 'POST', headers: u.headers });
    expect(res.status).toBe(200);
    const line = res.headers.getSetCookie().find((c) => c.startsWith(`${ADMIN_COOKIE}=`)) ?? '';
    const value = decodeURIComponent(line.slice(ADMIN_COOKIE.length + 1).split(';')[0] ?? '');
    return { value, line, body: await res.json() };
  }

  /** A second admin session (login), so revoking it leaves `admin.token` alone. */
  async function adminSession(): Promise<TestUser> {
    const res = await call(app, 'POST', '/auth/login', {
      body: { login: admin.username, password: admin.password },
    });
    expect(res.status).toBe(200);
    return { ...admin, token: res.body.token, headers: { authorization: `Bearer ${res.body.token}` } };
  }

  async function sessionIdOf(u: TestUser): Promise<string> {
    const sessions = await call(app, 'GET', '/users/@me/sessions', { token: u.token });
    return sessions.body.find((s: { current: boolean }) => s.current).id as string;
  }

  it('refuses anonymous callers: 401 JSON for clients, a sign-in page for browsers', async () => {
    for (const path of ['/admin/queues', '/admin/queues/api/queues', '/admin/queues/static/js/x.js']) {
      const res = await board({ accept: 'application/json' }, path);
      expect(res.status).toBe(401);
      expect(await res.json()).toMatchObject({ code: 'unauthorized' });
    }
    const page = await board({ accept: 'text/html,application/xhtml+xml,*/*;q=0.8' }, '/admin/queues');
    expect(page.status).toBe(401);
    expect(page.headers.get('content-type')).toMatch(/text\/html/);
    expect(await page.text()).toContain('href="/admin/"');
    const retry = await fetch(`${app.origin}/admin/queues/api/queues/messages/retry/failed`, {
      method: 'PUT',
    });
    expect(retry.status).toBe(401);
  });

  it('refuses bad credentials: an unknown token, a Bot token, a malformed header, a junk cookie', async () => {
    expect((await board({ authorization: `Bearer ${'A'.repeat(43)}` })).status).toBe(401);
    expect((await board({ authorization: `Bot ${admin.token}` })).status).toBe(401);
    expect((await board({ authorization: 'Basic YWRtaW46YWRtaW4=' })).status).toBe(401);
    expect((await board(withCookie('junk'))).status).toBe(401);
  });

  it('answers 403 to a signed-in non-admin, who cannot get a cookie either', async () => {
    const res = await board(plain.headers);
    expect(res.status).toBe(403);
    expect(await res.json()).toMatchObject({ code: 'missing_permission', permission: 'INSTANCE_ADMIN' });
    const session = await call(app, 'POST', '/admin/browser-session', { token: plain.token });
    expect(session.status).toBe(403);
    expect(session.headers.getSetCookie()).toEqual([]);
  });

  it('serves an admin with the Bearer token', async () => {
    const res = await board(admin.headers);
    expect(res.status).toBe(200);
    expect(((await res.json()) as { queues: { name: string }[] }).queues.map((q) => q.name)).toContain(
      'messages',
    );
  });

  it('POST /admin/browser-session sets an HttpOnly, SameSite=Strict cookie for /admin that serves Bull Board', async () => {
    const before = Math.floor(Date.now() / 1000);
    const { value, line, body } = await browserSession(admin);
    expect(body).toEqual({ expires_at: expect.any(Number), bull_board: true });
    const expiresAt = (body as { expires_at: number }).expires_at;
    expect(expiresAt - before).toBeGreaterThanOrEqual(BROWSER_SESSION_TTL_SECONDS);
    expect(expiresAt - before).toBeLessThanOrEqual(BROWSER_SESSION_TTL_SECONDS + 5);
    const attributes = line.split(';').map((a) => a.trim().toLowerCase());
    expect(attributes).toEqual(
      expect.arrayContaining([
        'path=/admin',
        'httponly',
        'samesite=strict',
        `max-age=${BROWSER_SESSION_TTL_SECONDS}`,
      ]),
    );
    expect(attributes).not.toContain('secure');
    // The value holds no token: the session id and expiry, signed.
    expect(value).toMatch(new RegExp(`^${await sessionIdOf(admin)}\\.${expiresAt}\\.[A-Za-z0-9_-]{43}$`));
    expect(value).not.toContain(admin.token);

    const res = await board(withCookie(value));
    expect(res.status).toBe(200);
    const page = await board(withCookie(value), '/admin/queues');
    expect(page.status).toBe(200);
    expect(await page.text()).toMatch(/<html/i);
  });

  it('refuses a tampered cookie', async () => {
    const { value } = await browserSession(admin);
    const [id = '', exp = '', sig = ''] = value.split('.');
    const flipped = `${sig.slice(0, -1)}${sig.endsWith('A') ? 'B' : 'A'}`;
    const otherSession = await sessionIdOf(plain);
    for (const forged of [
      `${id}.${exp}.${flipped}`,
      `${id}.${Number(exp) + 86_400}.${sig}`,
      `${otherSession}.${exp}.${sig}`,
      `${id}.${exp}`,
    ]) {
      expect([forged, (await board(withCookie(forged))).status]).toEqual([forged, 401]);
    }
    // Signed with another instance's secret.
    const elsewhere = testConfig({ security: { secret_key: Buffer.alloc(32, 7).toString('base64') } });
    expect((await board(withCookie(signBrowserSession(elsewhere, id, Number(exp))))).status).toBe(401);
    // The untouched value still works: the refusals above were for the changes.
    expect((await board(withCookie(value))).status).toBe(200);
  });

  it('refuses an expired cookie', async () => {
    const id = await sessionIdOf(admin);
    const now = Math.floor(Date.now() / 1000);
    expect((await board(withCookie(signBrowserSession(app.config, id, now - 1)))).status).toBe(401);
    expect((await board(withCookie(signBrowserSession(app.config, id, now + 60)))).status).toBe(200);
  });

  it('a cookie stops working when its session is revoked', async () => {
    const second = await adminSession();
    const { value } = await browserSession(second);
    expect((await board(withCookie(value))).status).toBe(200);
    expect((await call(app, 'POST', '/auth/logout', { token: second.token })).status).toBe(204);
    expect((await board(withCookie(value))).status).toBe(401);
  });

  it('a cookie stops working when its user is no longer an admin (403) or is disabled (401)', async () => {
    const other = await registerUser(app);
    await setAdminByHand(app, other.id, true);
    const { value } = await browserSession(other);
    expect((await board(withCookie(value))).status).toBe(200);
    await setAdminByHand(app, other.id, false);
    expect((await board(withCookie(value))).status).toBe(403);
    await setAdminByHand(app, other.id, true);
    expect(
      (await call(app, 'PATCH', `/admin/users/${other.id}`, { token: admin.token, body: { disabled: true } }))
        .status,
    ).toBe(200);
    expect((await board(withCookie(value))).status).toBe(401);
  });

  it('takes changes through the cookie only from this origin; Bearer callers from anywhere', async () => {
    const { value } = await browserSession(admin);
    const retry = (headers: Record<string, string>) =>
      fetch(`${app.origin}/admin/queues/api/queues/messages/retry/failed`, { method: 'PUT', headers });
    const foreigners: Record<string, string>[] = [
      { 'sec-fetch-site': 'same-site' },
      { 'sec-fetch-site': 'cross-site', origin: app.origin },
      { origin: 'https://evil.example.com' },
    ];
    for (const foreign of foreigners) {
      const res = await retry({ ...withCookie(value), ...foreign });
      expect([foreign, res.status]).toEqual([foreign, 403]);
      expect(await res.json()).toMatchObject({ code: 'cross_origin_request' });
    }
    expect((await retry({ ...withCookie(value), 'sec-fetch-site': 'same-origin' })).status).toBe(200);
    expect((await retry({ ...withCookie(value), origin: app.origin })).status).toBe(200);
    // Reading needs no origin check: SameSite=Strict keeps the cookie off other sites' requests.
    expect((await board({ ...withCookie(value), 'sec-fetch-site': 'same-site' })).status).toBe(200);
    expect((await retry({ ...admin.headers, origin: 'https://evil.example.com' })).status).toBe(200);
  });

  it('the cookie does not authenticate the REST API', async () => {
    const { value } = await browserSession(admin);
    const res = await fetch(`${app.api}/admin/stats`, { headers: withCookie(value) });
    expect(res.status).toBe(401);
  });

  it('DELETE /admin/browser-session clears the cookie', async () => {
    const res = await fetch(`${app.api}/admin/browser-session`, { method: 'DELETE', headers: admin.headers });
    expect(res.status).toBe(204);
    const line = res.headers.getSetCookie().find((c) => c.startsWith(`${ADMIN_COOKIE}=`)) ?? '';
    expect(line).toMatch(/^plexichat_admin=;/);
    expect(line.toLowerCase()).toContain('path=/admin');
    expect(line).toMatch(/Expires=Thu, 01 Jan 1970/);
  });

  it('marks the cookie Secure when server.public_url is https', async () => {
    const secure = await startTestApp({
      config: testConfig({ admin: { bull_board: true }, server: { public_url: 'https://chat.example.com' } }),
      workers: false,
      gateway: false,
    });
    try {
      const u = await registerUser(secure);
      await setAdminByHand(secure, u.id, true);
      const res = await fetch(`${secure.api}/admin/browser-session`, { method: 'POST', headers: u.headers });
      expect(res.status).toBe(200);
      const line = res.headers.getSetCookie().find((c) => c.startsWith(`${ADMIN_COOKIE}=`)) ?? '';
      expect(line.split(';').map((a) => a.trim().toLowerCase())).toContain('secure');
    } finally {
      await secure.close();
    }
  });
});
