import crypto from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { startTestApp, type TestApp } from './helpers/app.js';
import { api, randomIp } from './helpers/accounts.js';
import { configEnv } from './helpers/config.js';
import { TEST_DATABASE_URL } from './helpers/env.js';
import { spawnEntry } from './helpers/processes.js';

/** Held while a file changes the global ip_rules table (see test/api/admin/ip-rules.test.ts). */
const IP_RULES_LOCK = 4_711_001;

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp({ workers: false, gateway: false });
});
afterAll(() => app.close());

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

  it('grants and revokes the admin flag', async () => {
    const username = name();
    const reg = await api(app, 'POST', '/auth/register', {
      body: { username, password },
      headers: { 'x-forwarded-for': randomIp() },
    });
    expect(reg.status).toBe(201);
    const isAdmin = async () => (await app.rt.models.User.findByPk(reg.body.user.id))?.is_admin;

    const granted = await cli(['admin', 'grant', username]);
    expect([granted.code, granted.output]).toEqual([
      0,
      `${username} (${reg.body.user.id}) is now an admin\n`,
    ]);
    expect(await isAdmin()).toBe(true);
    const read = await api(app, 'GET', '/admin/ip-rules', { token: reg.body.token });
    expect(read.status).toBe(200);

    const revoked = await cli(['admin', 'revoke', username]);
    expect([revoked.code, revoked.output]).toEqual([
      0,
      `${username} (${reg.body.user.id}) is no longer an admin\n`,
    ]);
    expect(await isAdmin()).toBe(false);
    expect((await api(app, 'GET', '/admin/ip-rules', { token: reg.body.token })).status).toBe(404);

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
