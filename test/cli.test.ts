import crypto from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { useTestApp } from './helpers/app.js';
import { api, enableMfa, randomIp, registerUser } from './helpers/accounts.js';
import { configEnv } from './helpers/config.js';
import { TEST_DATABASE_URL } from './helpers/env.js';
import { spawnEntry } from './helpers/processes.js';
import { connectGateway, type GatewayClient } from './helpers/gateway-client.js';

/** Held while a file changes the global ip_rules table (see test/api/admin/ip-rules.test.ts). */
const IP_RULES_LOCK = 4_711_001;

const app = useTestApp({ workers: false });
const clients: GatewayClient[] = [];
afterAll(() => {
  for (const c of clients) c.close();
});

/** Runs `cli.ts <args>` from source against the test app's database and Redis. */
async function cli(args: string[], env: NodeJS.ProcessEnv = {}) {
  const proc = spawnEntry(
    'cli.ts',
    {
      ...configEnv(app.config),
      // No ~/.plexichat config of the machine; a snowflake worker id no parallel test file uses.
      HOME: path.join(os.tmpdir(), 'plexichat-test-home'),
      PLEXICHAT_SNOWFLAKE__WORKER_ID: '31',
      ...env,
    },
    args,
  );
  const code = await proc.exited;
  return { code, output: proc.output() };
}

const name = () => `adm_${crypto.randomBytes(5).toString('hex')}`;
const password = 'cli admin password';

describe('plexichat cli', () => {
  it('creates an admin who can sign in and read /admin/security-events', async () => {
    const username = name();
    const created = await cli(['admin', 'create', username, '--email', `${username}@example.test`], {
      PLEXICHAT_ADMIN_PASSWORD: password,
    });
    expect(created.output).toMatch(new RegExp(`^created admin ${username} \\(\\d+\\)\\n$`));
    expect(created.code).toBe(0);

    const login = await api(app, 'POST', '/auth/login', {
      body: { login: username, password },
      headers: { 'x-forwarded-for': randomIp() },
    });
    expect(login.status).toBe(200);
    expect(login.body.user).toMatchObject({ username, admin: true, email: `${username}@example.test` });
    const events = await api(app, 'GET', `/admin/security-events?user_id=${login.body.user.id}`, {
      token: login.body.token,
    });
    expect(events.status).toBe(200);
    expect(events.body[0]).toMatchObject({ type: 'login_success', user_id: login.body.user.id });
  }, 60_000);

  it('refuses an existing username (any case), a short password and bad arguments', async () => {
    const username = name();
    expect((await cli(['admin', 'create', username], { PLEXICHAT_ADMIN_PASSWORD: password })).code).toBe(0);

    const again = await cli(['admin', 'create', username.toUpperCase()], {
      PLEXICHAT_ADMIN_PASSWORD: password,
    });
    expect(again.code).not.toBe(0);
    expect(again.output).toMatch(/^plexichat: a user named "[^"]+" already exists/);
    expect(again.output.trim().split('\n')).toHaveLength(1);

    // No env var and an empty (non-TTY) stdin: no password.
    const short = await cli(['admin', 'create', name()]);
    expect([short.code, short.output]).toEqual([
      1,
      'plexichat: the password must be at least 8 characters\n',
    ]);

    const unknown = await cli(['admin', 'promote', username]);
    expect(unknown.code).toBe(1);
    expect(unknown.output).toMatch(/"admin" needs one of: create, grant, revoke/);
  }, 60_000);

  it('grants and revokes the admin flag; the user’s connections hear each as USER_UPDATE', async () => {
    const username = name();
    const reg = await api(app, 'POST', '/auth/register', {
      body: { username, password },
      headers: { 'x-forwarded-for': randomIp() },
    });
    expect(reg.status).toBe(201);
    const isAdmin = async () => (await app.rt.models.User.findByPk(reg.body.user.id))?.is_admin;
    const watching = await connectGateway(app.origin, { token: reg.body.token });
    clients.push(watching);
    const adminFlags = async (count: number) =>
      (await watching.waitForFrames(count, (f) => f.t === 'USER_UPDATE')).map(
        (f) => (f.d as unknown as { admin: boolean }).admin,
      );

    const granted = await cli(['admin', 'grant', username]);
    expect([granted.code, granted.output]).toEqual([
      0,
      `${username} (${reg.body.user.id}) is now an admin\n`,
    ]);
    expect(await isAdmin()).toBe(true);
    expect(await adminFlags(1)).toEqual([true]);
    const read = await api(app, 'GET', '/admin/ip-rules', { token: reg.body.token });
    expect(read.status).toBe(200);

    const revoked = await cli(['admin', 'revoke', username]);
    expect([revoked.code, revoked.output]).toEqual([
      0,
      `${username} (${reg.body.user.id}) is no longer an admin\n`,
    ]);
    expect(await isAdmin()).toBe(false);
    expect(await adminFlags(2)).toEqual([true, false]);
    expect((await api(app, 'GET', '/admin/ip-rules', { token: reg.body.token })).status).toBe(403);

    const missing = await cli(['admin', 'grant', name()]);
    expect(missing.code).toBe(1);
    expect(missing.output).toMatch(/^plexichat: no user named/);
  }, 60_000);

  it('lists and clears the ip rules, and running processes drop them', async () => {
    const lock = new pg.Client({ connectionString: TEST_DATABASE_URL });
    await lock.connect();
    await lock.query('SELECT pg_advisory_lock($1)', [IP_RULES_LOCK]);
    try {
      const { IpRule } = app.rt.models;
      const id = app.rt.snowflake.next();
      await IpRule.create({
        id,
        cidr: '203.0.113.0/24',
        action: 'deny',
        note: 'cli test',
        created_at: new Date(),
      });
      // As PUT /admin/ip-rules does: tell the running app to reload (it looks at most once a second).
      await app.rt.redis.incr(`${app.config.redis.key_prefix}:ip_rules:version`);
      await new Promise((resolve) => setTimeout(resolve, 1100));
      expect(
        (await api(app, 'GET', '/version', { headers: { 'x-forwarded-for': '203.0.113.8' } })).status,
      ).toBe(403);

      const list = await cli(['ip-rules', 'list']);
      expect(list.code).toBe(0);
      expect(list.output).toContain(`${id}\tdeny\t203.0.113.0/24\tcli test\n`);

      const cleared = await cli(['ip-rules', 'clear']);
      expect(cleared.code).toBe(0);
      expect(cleared.output).toMatch(/^deleted [1-9]\d* ip rules\n$/);
      expect(await IpRule.count()).toBe(0);
      expect((await cli(['ip-rules', 'list'])).output).toBe('no ip rules (every address may connect)\n');

      // The CLI's version bump reaches the app within its refresh interval (1 s).
      await new Promise((resolve) => setTimeout(resolve, 1100));
      expect(
        (await api(app, 'GET', '/version', { headers: { 'x-forwarded-for': '203.0.113.8' } })).status,
      ).toBe(200);
    } finally {
      await app.rt.models.IpRule.destroy({ where: {} });
      await lock.query('SELECT pg_advisory_unlock($1)', [IP_RULES_LOCK]).catch(() => undefined);
      await lock.end();
    }
  }, 90_000);

  it('prints help without touching the database', async () => {
    const help = await cli(['help'], { PLEXICHAT_DATABASE__URL: 'postgres://nobody@127.0.0.1:1/none' });
    expect(help.code).toBe(0);
    expect(help.output).toMatch(/^Usage: npm run cli -- <command>/);
    expect(help.output).toContain('ip-rules clear');
  });
});

describe('plexichat cli: user accounts', () => {
  const publicUrl = { PLEXICHAT_SERVER__PUBLIC_URL: 'https://chat.example.test' };

  it('user create makes an ordinary account that signs in', async () => {
    const username = name();
    const created = await cli(['user', 'create', username], { PLEXICHAT_ADMIN_PASSWORD: password });
    expect(created.output).toMatch(new RegExp(`^created user ${username} \\(\\d+\\)\\n$`));
    const login = await api(app, 'POST', '/auth/login', {
      body: { login: username, password },
      headers: { 'x-forwarded-for': randomIp() },
    });
    expect([login.status, login.body.user.admin]).toEqual([200, false]);
  }, 60_000);

  it('user reset-password --link prints a one-time link that resets the password; without SMTP no mail', async () => {
    const username = name();
    const reg = await api(app, 'POST', '/auth/register', {
      body: { username, password, email: `${username}@example.test` },
      headers: { 'x-forwarded-for': randomIp() },
    });
    const issued = await cli(['user', 'reset-password', username, '--link'], publicUrl);
    expect(issued.code).toBe(0);
    const match = /^https:\/\/chat\.example\.test\/reset-password\?token=([A-Za-z0-9_-]{43})\n$/.exec(
      issued.output,
    );
    expect(match).not.toBeNull();
    const reset = await api(app, 'POST', '/auth/password/reset', {
      body: { token: match?.[1], password: 'reset from the cli' },
    });
    expect(reset.status).toBe(204);
    expect((await api(app, 'GET', '/users/@me', { token: reg.body.token })).status).toBe(401);
    const events = await app.rt.models.SecurityEvent.findAll({
      where: { user_id: reg.body.user.id, type: 'password_reset_link_issued' },
    });
    expect(events.map((e) => e.details)).toEqual([{ by: 'cli', via: 'cli' }]);

    const mail = await cli(['user', 'reset-password', username]);
    expect([mail.code, mail.output]).toEqual([
      1,
      'plexichat: This instance does not send mail (email.smtp_url is not set); ask an administrator\n',
    ]);
  }, 60_000);

  it('user disable-2fa turns 2FA off, recorded', async () => {
    const u = await registerUser(app);
    await enableMfa(app, u);
    const off = await cli(['user', 'disable-2fa', u.username]);
    expect([off.code, off.output]).toEqual([
      0,
      `turned off two-factor authentication for ${u.username} (${u.id})\n`,
    ]);
    const login = await api(app, 'POST', '/auth/login', {
      body: { login: u.username, password: u.password },
      headers: { 'x-forwarded-for': randomIp() },
    });
    expect([login.status, login.body.user.mfa_enabled]).toEqual([200, false]);
    expect(await app.rt.models.SecurityEvent.count({ where: { user_id: u.id, type: 'mfa_disabled' } })).toBe(
      1,
    );

    const again = await cli(['user', 'disable-2fa', u.username]);
    expect([again.code, again.output]).toEqual([1, 'plexichat: Two-factor authentication is not on\n']);
  }, 60_000);
});
