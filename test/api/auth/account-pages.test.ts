import { api, randomIp, registerUser } from '../../helpers/accounts.js';
import { connectGateway, type GatewayClient } from '../../helpers/gateway-client.js';
import { runPageDriver } from '../../helpers/page-driver.js';
import { type ReceivedMail } from '../../helpers/smtp-receiver.js';
import { MAIL_PUBLIC_URL, registerWithEmail, useMailApp } from '../../helpers/mail-app.js';

/**
 * The pages the reset and verification mails link to, served by the API role: what the browser
 * receives, then the real page (its own script, in jsdom) driven from the mailed link to the end.
 */

const PUBLIC_URL = MAIL_PUBLIC_URL;

const { app, smtp } = useMailApp({ email: { from: 'Plexichat <noreply@chat.example.test>' } });
const sockets: GatewayClient[] = [];
afterAll(() => {
  for (const s of sockets) s.close();
});

const withEmail = () => registerWithEmail(app, 'p');

/** The link of a mail as the user's browser opens it: the instance itself stands for public_url. */
function followLink(mail: ReceivedMail, path: string): string {
  const link = mail.text.match(new RegExp(`${PUBLIC_URL}${path}\\?token=[A-Za-z0-9_-]+`))?.[0];
  if (!link) throw new Error(`no ${path} link in:\n${mail.text}`);
  return `${app.origin}${link.slice(PUBLIC_URL.length)}`;
}

interface PageOutcome {
  status: string;
  error: string | null;
  url: string;
  form?: boolean;
  askedToSignIn?: boolean;
  storedSession?: string | null;
}

/** Runs account-pages.driver.ts in its own process; answers what the page showed. */
const drive = (plan: Record<string, unknown>): Promise<PageOutcome> =>
  runPageDriver('test/api/auth/account-pages.driver.ts', { origin: app.origin, ...plan });

const login = (name: string, password: string) =>
  api(app, 'POST', '/auth/login', {
    body: { login: name, password },
    headers: { 'x-forwarded-for': randomIp() },
  });

describe('GET /reset-password and /verify-email', () => {
  it.each(['/reset-password', '/verify-email'])(
    '%s is an HTML page under the CSP, with no referrer and no cache',
    async (path) => {
      const res = await fetch(`${app.origin}${path}?token=${'x'.repeat(43)}`);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^text\/html/);
      const csp = res.headers.get('content-security-policy') ?? '';
      // Scripts only from files of this instance: nothing inline, nothing from elsewhere.
      expect(csp.split(';')).toEqual(expect.arrayContaining(["script-src 'self'", "script-src-attr 'none'"]));
      expect(res.headers.get('referrer-policy')).toBe('no-referrer');
      expect(res.headers.get('cache-control')).toBe('no-store');
      const html = await res.text();
      expect(html).toContain('<script src="/oauth/assets/account.js"></script>');
      expect(html).not.toMatch(/<script>|https?:\/\//);
      const script = await fetch(`${app.origin}/oauth/assets/account.js`);
      expect([script.status, script.headers.get('content-type')]).toEqual([
        200,
        expect.stringMatching(/javascript/),
      ]);
    },
  );
});

describe('the reset-password page, from the mail to a changed password', () => {
  it('names a refused password, then changes it, ends every session, and refuses the link again', async () => {
    const u = await withEmail();
    const socket = await connectGateway(app.origin, { token: u.token });
    sockets.push(socket);
    const gone = new Promise<void>((resolve) => socket.socket.once('disconnect', () => resolve()));

    expect((await api(app, 'POST', '/auth/password/forgot', { body: { login: u.email } })).status).toBe(204);
    const [mail] = await smtp.waitFor(u.email, 1, /reset/i);
    const url = followLink(mail!, '/reset-password');

    const differ = await drive({ url, password: 'a brand new passphrase', confirm: 'another passphrase' });
    expect(differ.error).toMatch(/differ/);
    const weak = await drive({ url, password: 'short' });
    expect(weak.error).toMatch(/password.*at least 8/i);
    expect(weak.form).toBe(true);
    expect(weak.url).toBe(`${app.origin}/reset-password`);
    // Neither attempt used the link up, nor changed anything.
    expect((await login(u.username, u.password)).status).toBe(200);

    const done = await drive({ url, password: 'a brand new passphrase' });
    expect([done.error, done.form]).toEqual([null, false]);
    expect(done.status).toMatch(/password was changed/);

    await gone;
    expect((await api(app, 'GET', '/users/@me', { token: u.token })).status).toBe(401);
    expect((await login(u.username, u.password)).status).toBe(401);
    expect((await login(u.email, 'a brand new passphrase')).status).toBe(200);

    const again = await drive({ url, password: 'yet another passphrase' });
    expect(again.error).toMatch(/expired or was already used/);
    expect((await login(u.email, 'yet another passphrase')).status).toBe(401);
    // Four page loads in Chromium, a mail through the queue: once over 30 s in CI under full load.
  }, 60_000);

  it('without a token, says to open the link from the mail', async () => {
    const res = await drive({ url: `${app.origin}/reset-password` });
    expect([res.form, res.error]).toEqual([false, expect.stringMatching(/link from your email/)]);
  });
});

describe('the verify-email page', () => {
  it('asks a visitor without a session to sign in, then verifies the address', async () => {
    const u = await withEmail();
    const [mail] = await smtp.waitFor(u.email, 1, /verify/i);
    const url = followLink(mail!, '/verify-email');

    const res = await drive({ url, login: { login: u.username, password: u.password } });
    expect([res.askedToSignIn, res.error]).toEqual([true, null]);
    expect(res.status).toMatch(/is verified/);
    expect(res.url).toBe(`${app.origin}/verify-email`);
    expect(res.storedSession).toEqual(expect.any(String));
    expect((await api(app, 'GET', '/users/@me', { token: u.token })).body.verified).toBe(true);
  });

  it("uses the browser's session, and refuses a link meant for another account without using it up", async () => {
    const u = await withEmail();
    const other = await registerUser(app);
    const [mail] = await smtp.waitFor(u.email, 1, /verify/i);
    const url = followLink(mail!, '/verify-email');

    const wrong = await drive({ url, session: other.token });
    expect([wrong.askedToSignIn, wrong.error]).toEqual([false, expect.stringMatching(/another account/)]);
    expect((await api(app, 'GET', '/users/@me', { token: u.token })).body.verified).toBe(false);

    const res = await drive({ url, session: u.token });
    expect([res.askedToSignIn, res.error, res.status]).toEqual([
      false,
      null,
      expect.stringMatching(/is verified/),
    ]);
    expect((await api(app, 'GET', '/users/@me', { token: u.token })).body.verified).toBe(true);
  });
});
