import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import express from 'express';
import { generate } from 'otplib';
import pg from 'pg';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { ADMIN_UI_DIR, mountAdminDashboard } from '../../../api/admin/dashboard.js';
import { api, registerUser, setAdminByHand, type TestUser } from '../../helpers/accounts.js';
import { useTestApp } from '../../helpers/app.js';
import {
  ROOT,
  ensureViteBuilt,
  expectServedUnderCsp,
  launchChromium,
  openPage as openBrowserPage,
  type OpenedPage,
} from '../../helpers/browser.js';
import { testConfig } from '../../helpers/config.js';
import { TEST_DATABASE_URL } from '../../helpers/env.js';
import { startLocalServer } from '../../helpers/http-server.js';

const UI_SOURCE = path.join(ROOT, 'api', 'admin-ui');
/** The lock every test file that changes ip_rules holds meanwhile (see test/api/admin/ip-rules.test.ts). */
const IP_RULES_LOCK = 4_711_001;

let browser: Browser;
let admin: TestUser;
let plain: TestUser;
let target: TestUser;
let reportId: string;

beforeAll(() => ensureViteBuilt(UI_SOURCE, ADMIN_UI_DIR), 120_000);
const app = useTestApp(
  {
    config: testConfig({ admin: { bull_board: true } }),
    workers: false,
    gateway: false,
  },
  120_000,
);
beforeAll(async () => {
  admin = await registerUser(app);
  await setAdminByHand(app, admin.id, true);
  plain = await registerUser(app);
  target = await registerUser(app);
  const report = await api(app, 'POST', '/reports', {
    token: plain.token,
    body: { target_type: 'user', target_id: target.id, reason: 'posts spam links everywhere' },
  });
  expect(report.status).toBe(201);
  reportId = report.body.id as string;
  browser = await launchChromium();
}, 120_000);

afterAll(async () => {
  await browser?.close();
});

/** A fresh browser profile with a page that records its errors. */
async function openPage(): Promise<OpenedPage> {
  const opened = await openBrowserPage(browser);
  // Bull Board links a web font from Google; the test machine has no way out and needs none.
  await opened.context.route(/^https:\/\/fonts\.(googleapis|gstatic)\.com\//, (route) => route.abort());
  return opened;
}

async function signIn(page: Page, who: TestUser): Promise<void> {
  await page.goto(`${app.origin}/admin/`);
  await page.fill('#login-name', who.username);
  await page.fill('#login-password', who.password);
  await page.click('#login-submit');
}

describe('the admin dashboard at /admin/', () => {
  it('is served with the Content-Security-Policy intact: no inline script, assets as files', async () => {
    await expectServedUnderCsp(app.origin, '/admin');
  });

  it('answers its page paths with the page, /admin with a redirect, missing assets with 404', async () => {
    const page = await fetch(`${app.origin}/admin/users`);
    expect([page.status, (await page.text()).includes('<div id="app">')]).toEqual([200, true]);
    const bare = await fetch(`${app.origin}/admin`, { redirect: 'manual' });
    expect([bare.status, bare.headers.get('location')]).toEqual([301, '/admin/']);
    expect((await fetch(`${app.origin}/admin/assets/gone-1234.js`)).status).toBe(404);
    expect((await fetch(`${app.origin}/admin/favicon.ico`)).status).toBe(404);
  });

  it('answers 503 saying how to build it when the build is missing', async () => {
    const bare = express();
    mountAdminDashboard(bare, path.join(os.tmpdir(), `no-admin-ui-${crypto.randomBytes(4).toString('hex')}`));
    const server = await startLocalServer(bare);
    try {
      const res = await fetch(`${server.origin}/admin/`);
      expect(res.status).toBe(503);
      expect(await res.text()).toContain('npm run build:admin');
    } finally {
      await server.close();
    }
  });
});

describe('the admin dashboard in Chromium', () => {
  let context: BrowserContext;
  let page: Page;
  let errors: string[];

  beforeAll(async () => {
    ({ context, page, errors } = await openPage());
  });
  afterAll(() => context?.close());

  it('signs an admin in through the form, shows the overview numbers and charts, and opens the cookie session', async () => {
    await signIn(page, admin);
    const users = page.locator('[data-stat="users"] .value');
    await users.waitFor();
    expect(Number((await users.textContent())?.replace(/,/g, ''))).toBeGreaterThanOrEqual(3);
    const stats = await api(app, 'GET', '/admin/stats', { token: admin.token });
    expect(await page.locator('[data-stat="servers"] .value').textContent()).toMatch(/^[\d,]+$/);
    for (const queue of Object.keys(stats.body.queues as object)) {
      await page
        .locator(`#queue-chart svg g[data-group="${queue}"] rect[data-series="waiting"]`)
        .waitFor({ state: 'attached' });
    }
    expect(await page.locator('#status-chart svg rect.bar').count()).toBe(3);
    expect(await page.locator('#signed-in-as').textContent()).toBe(admin.username);

    const shot = path.join(
      os.tmpdir(),
      `plexichat-admin-overview-${crypto.randomBytes(4).toString('hex')}.png`,
    );
    await page.screenshot({ path: shot, fullPage: true });
    const png = fs.readFileSync(shot);
    expect(png.subarray(1, 4).toString('latin1')).toBe('PNG');
    expect(png.length).toBeGreaterThan(10_000);

    const cookie = (await context.cookies()).find((c) => c.name === 'plexichat_admin');
    expect(cookie).toMatchObject({ path: '/admin', httpOnly: true, sameSite: 'Strict', secure: false });
    // HttpOnly: the page's scripts cannot read it; the token lives in sessionStorage.
    expect(await page.evaluate<string>('document.cookie')).toBe('');
    expect(await page.evaluate<string>("sessionStorage.getItem('plexichat_admin')")).toContain('"token"');
  });

  it('resolves a report with a note', async () => {
    await page.click('nav a[data-page="reports"]');
    const card = page.locator(`[data-report-id="${reportId}"]`);
    await card.waitFor();
    expect(await card.textContent()).toContain('posts spam links everywhere');
    await card.locator('textarea.note').fill('warned them in DMs');
    await card.locator('button.resolve').click();
    await card.waitFor({ state: 'detached' });
    const resolved = await api(app, 'GET', '/admin/reports?status=resolved&limit=100', {
      token: admin.token,
    });
    const stored = resolved.body.find((r: { id: string }) => r.id === reportId);
    expect(stored).toMatchObject({ status: 'resolved', resolved_by: admin.id });
    expect(stored.notes.map((n: { content: string }) => n.content)).toEqual(['warned them in DMs']);
  });

  it('finds a user and disables them: their token stops working', async () => {
    // The race that made this test flaky: the page's first, unfiltered list already shows the user,
    // the disable click lands on that row, and the search's answer, read before the disabling, is
    // drawn after it. The routes below force that order; the page must still end up showing the
    // user disabled.
    let searchRead!: () => void;
    const searchIsRead = new Promise<void>((resolve) => (searchRead = resolve));
    let patched!: () => void;
    const patchIsDone = new Promise<void>((resolve) => (patched = resolve));
    await page.route(/\/admin\/users\?/, async (route) => {
      const url = new URL(route.request().url());
      if (!url.searchParams.has('query')) {
        // The first list shows the user, as it does whenever they are among the newest 50.
        url.searchParams.set('query', target.username);
        return route.fulfill({ response: await route.fetch({ url: url.toString() }) });
      }
      const answer = await route.fetch();
      searchRead();
      await patchIsDone;
      await route.fulfill({ response: answer });
    });
    await page.route(new RegExp(`/admin/users/${target.id}$`), async (route) => {
      if (route.request().method() !== 'PATCH') return route.continue();
      await searchIsRead;
      await route.fulfill({ response: await route.fetch() });
      patched();
    });
    await page.click('nav a[data-page="users"]');
    await page.locator(`tr[data-user-id="${target.id}"]`).waitFor();
    await page.fill('#user-query', target.username);
    await page.click('#user-search');
    const row = page.locator(`tr[data-user-id="${target.id}"]`);
    await row.locator('button.disable').click();
    await row.locator('button.enable').waitFor();
    expect(await row.locator('td.state').textContent()).toMatch(/^disabled /);
    expect(await row.locator('td.sessions').textContent()).toBe('0');
    expect((await api(app, 'GET', '/users/@me', { token: target.token })).status).toBe(401);
    await page.unrouteAll();

    // The admin's own row offers no way to disable themselves.
    await page.fill('#user-query', admin.username);
    await page.click('#user-search');
    await page.locator(`tr[data-user-id="${admin.id}"] button.disable[disabled]`).waitFor();
  });

  it('shows the registration mode, creates an account and hands over a reset link for it', async () => {
    await page.click('nav a[data-page="users"]');
    await page
      .locator('#registration-mode')
      .filter({ hasText: /^open · no mail configured$/ })
      .waitFor();
    const username = `dash_${crypto.randomBytes(4).toString('hex')}`;
    await page.fill('#new-username', username);
    await page.fill('#new-password', 'dashboard made passphrase');
    await page.click('#create-user-submit');
    const row = page.locator('#users tbody tr').filter({ hasText: username });
    await row.waitFor();
    // No email on the account, no 2FA: those buttons are off.
    await row.locator('button.reset-mail[disabled]').waitFor();
    await row.locator('button.mfa-off[disabled]').waitFor();

    await row.locator('button.reset-link').click();
    const link = (await page.locator('#reset-link code').textContent()) ?? '';
    const token = new URL(link).searchParams.get('token');
    const reset = await api(app, 'POST', '/auth/password/reset', {
      body: { token, password: 'a passphrase of their own' },
    });
    expect(reset.status).toBe(204);
    const login = await api(app, 'POST', '/auth/login', {
      body: { login: username, password: 'a passphrase of their own' },
    });
    expect(login.status).toBe(200);
  });

  it('shows the security events, the disabling among them', async () => {
    await page.click('nav a[data-page="security"]');
    await page.fill('#events-user', target.id);
    await page.click('#security-events-filter');
    const row = page
      .locator('#security-events tbody tr')
      .filter({ hasText: target.id })
      .filter({ has: page.getByText('account_disabled', { exact: true }) });
    await row.waitFor();
    expect(await row.textContent()).toContain(`by: ${admin.id}`);
  });

  it('deletes a user after asking: their token stops working and the row shows the placeholder', async () => {
    const doomed = await registerUser(app);
    await page.click('nav a[data-page="users"]');
    await page.fill('#user-query', doomed.username);
    await page.click('#user-search');
    const row = page.locator(`tr[data-user-id="${doomed.id}"]`);
    // Declining the question changes nothing.
    const declined = page.waitForEvent('dialog').then((dialog) => dialog.dismiss());
    await row.locator('button.delete').click();
    await declined;
    expect((await api(app, 'GET', '/users/@me', { token: doomed.token })).status).toBe(200);
    const accepted = page.waitForEvent('dialog').then((dialog) => dialog.accept());
    await row.locator('button.delete').click();
    await accepted;
    await page
      .locator(`tr[data-user-id="${doomed.id}"] td.state`)
      .getByText(/^deleted /)
      .waitFor();
    const deleted = page.locator(`tr[data-user-id="${doomed.id}"]`);
    expect(await deleted.locator('strong').textContent()).toBe(`deleted_user_${doomed.id}`);
    expect(await deleted.locator('button').count()).toBe(0);
    expect((await api(app, 'GET', '/users/@me', { token: doomed.token })).status).toBe(401);
    // No delete button for the admin's own account.
    await page.fill('#user-query', admin.username);
    await page.click('#user-search');
    await page.locator(`tr[data-user-id="${admin.id}"] button.disable[disabled]`).waitFor();
    expect(await page.locator(`tr[data-user-id="${admin.id}"] button.delete`).count()).toBe(0);
  });

  it('adds a deny rule and removes it again', async () => {
    const lock = new pg.Client({ connectionString: TEST_DATABASE_URL });
    await lock.connect();
    await lock.query('SELECT pg_advisory_lock($1)', [IP_RULES_LOCK]);
    try {
      await page.click('nav a[data-page="ip-rules"]');
      await page.locator('#ip-rules tbody tr').first().waitFor();
      await page.fill('#rule-cidr', '203.0.113.9/24');
      await page.fill('#rule-note', 'from the dashboard test');
      await page.click('#rule-add');
      const row = page.locator('#ip-rules tr[data-cidr="203.0.113.0/24"]');
      await row.waitFor();
      const listed = await api(app, 'GET', '/admin/ip-rules', { token: admin.token });
      expect(listed.body).toContainEqual(
        expect.objectContaining({ cidr: '203.0.113.0/24', action: 'deny', note: 'from the dashboard test' }),
      );
      await row.locator('button.remove').click();
      await row.waitFor({ state: 'detached' });
      const after = await api(app, 'GET', '/admin/ip-rules', { token: admin.token });
      expect(after.body.map((r: { cidr: string }) => r.cidr)).not.toContain('203.0.113.0/24');
    } finally {
      await api(app, 'PUT', '/admin/ip-rules', { token: admin.token, body: { rules: [] } });
      await lock.query('SELECT pg_advisory_unlock($1)', [IP_RULES_LOCK]).catch(() => undefined);
      await lock.end();
    }
  });

  it('lists servers', async () => {
    const created = await api(app, 'POST', '/servers', {
      token: plain.token,
      body: { name: 'Dashboard test' },
    });
    expect(created.status).toBe(201);
    await page.click('nav a[data-page="servers"]');
    const row = page.locator(`tr[data-server-id="${created.body.id}"]`);
    await row.waitFor();
    expect(await row.locator('td.members').textContent()).toBe('1');
  });

  it('follows the Bull Board link, which loads with the cookie and works under the CSP', async () => {
    const queues = context.waitForEvent('response', (r) => r.url().includes('/admin/queues/api/queues'));
    const [board] = await Promise.all([context.waitForEvent('page'), page.click('#bull-board-link')]);
    const blocked: string[] = [];
    board.on('console', (msg) => {
      if (/Content Security Policy/i.test(msg.text())) blocked.push(msg.text());
    });
    expect((await queues).status()).toBe(200);
    const messages = board.getByText('messages', { exact: true }).first();
    await messages.waitFor();
    const queue = board.waitForResponse((r) => r.url().includes('activeQueue=messages'));
    await messages.click();
    expect((await queue).status()).toBe(200);
    await board.waitForURL(/\/admin\/queues\/queue\/messages$/);
    // A change as Bull Board's own buttons make it: the browser's headers pass the origin check.
    const retried = await board.evaluate<number>(
      "fetch('/admin/queues/api/queues/messages/retry/failed', { method: 'PUT' }).then((r) => r.status)",
    );
    expect(retried).toBe(200);
    await board.screenshot({ path: path.join(os.tmpdir(), 'plexichat-admin-bull-board.png') });
    expect(blocked).toEqual([]);
    await board.close();
  });

  it('signs out: the sign-in form returns and Bull Board refuses the browser again', async () => {
    await page.click('#sign-out');
    await page.locator('#login-name').waitFor();
    const res = await page.request.get(`${app.origin}/admin/queues/api/queues`);
    expect(res.status()).toBe(401);
    expect(errors).toEqual([]);
  });
});

describe('signing in to the dashboard', () => {
  it('tells a non-admin they are not an admin, and leaves no session behind', async () => {
    const { context, page } = await openPage();
    try {
      await signIn(page, plain);
      const status = page.locator('#login-status .notice.error');
      await status.waitFor();
      expect(await status.textContent()).toContain('not an admin');
      const sessions = await api(app, 'GET', '/users/@me/sessions', { token: plain.token });
      expect(sessions.body).toHaveLength(1);
      expect(await page.locator('nav').count()).toBe(0);
    } finally {
      await context.close();
    }
  });

  it('asks for the TOTP code of a 2FA account, then signs in', async () => {
    const second = await registerUser(app);
    await setAdminByHand(app, second.id, true);
    const enabled = await api(app, 'POST', '/users/@me/mfa/totp/enable', { token: second.token });
    const secret = enabled.body.secret as string;
    const now = Math.floor(Date.now() / 1000);
    const confirmed = await api(app, 'POST', '/users/@me/mfa/totp/confirm', {
      token: second.token,
      body: { code: await generate({ secret, epoch: now }) },
    });
    expect(confirmed.status).toBe(200);

    const { context, page } = await openPage();
    try {
      await signIn(page, second);
      await page.locator('#login-totp').waitFor();
      await page.fill('#login-totp', '000000');
      await page.click('#login-submit');
      await page.locator('#login-status .notice.error').waitFor();
      // The code used to confirm is spent: the next period's code (within the drift window) works.
      await page.fill('#login-totp', await generate({ secret, epoch: now + 30 }));
      await page.click('#login-submit');
      await page.locator('[data-stat="users"] .value').waitFor();
      expect(await page.locator('#signed-in-as').textContent()).toBe(second.username);
    } finally {
      await context.close();
    }
  });

  it('goes back to the sign-in when the session is ended elsewhere or the admin flag is taken away', async () => {
    const other = await registerUser(app);
    await setAdminByHand(app, other.id, true);
    const { context, page } = await openPage();
    try {
      await signIn(page, other);
      await page.locator('[data-stat="users"] .value').waitFor();
      expect((await api(app, 'POST', `/admin/users/${other.id}/logout`, { token: admin.token })).status).toBe(
        200,
      );
      await page.click('nav a[data-page="servers"]');
      await page.getByText('Your session ended. Sign in again.').waitFor();

      await page.fill('#login-name', other.username);
      await page.fill('#login-password', other.password);
      await page.click('#login-submit');
      await page.locator('[data-stat="users"] .value').waitFor();
      await setAdminByHand(app, other.id, false);
      await page.click('nav a[data-page="reports"]');
      await page.getByText('This account is no longer an admin of this instance.').waitFor();
    } finally {
      await context.close();
    }
  });

  it('sends a signed-out browser on Bull Board to the dashboard sign-in', async () => {
    const { context, page } = await openPage();
    try {
      const res = await page.goto(`${app.origin}/admin/queues`);
      expect(res?.status()).toBe(401);
      await page.click('a[href="/admin/"]');
      await page.locator('#login-name').waitFor();
    } finally {
      await context.close();
    }
  });
});
