/**
 * A black-box sweep of the public contract (API.md and spec/data-types.txt), written the way a
 * checker who read only those documents would write it: every request goes over HTTP or socket.io
 * to a real started instance on 127.0.0.1 (rate limits on, as `npm start` runs), and every check is
 * about what API.md states: paths under /api/v1, methods, status codes, body shapes and field
 * names, ID and timestamp formats, pagination order, permission rules and the gateway protocol.
 *
 * The only things done behind the API's back are what an operator does outside it: granting the
 * instance admin flag (as `cli admin grant` does) and reading the mail an SMTP server received.
 *
 * Each test collects every deviation it finds (`Sweep`), so one run lists all of them instead of
 * stopping at the first.
 */
import crypto from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { io } from 'socket.io-client';
import { api, enableMfa, randomIp, totpCode, type ApiResponse, type TestUser } from './helpers/accounts.js';
import { standIn, type TestApp } from './helpers/app.js';
import { connectGateway, type GatewayClient } from './helpers/gateway-client.js';
import { tryVoiceCommand } from './helpers/voice-client.js';
import { useMailApp } from './helpers/mail-app.js';
import { tokenFromMail, type SmtpReceiver } from './helpers/smtp-receiver.js';

/**
 * The instance under test. By default one started here (rate limits on, voice on, mail to an SMTP
 * receiver on loopback). `PLEXICHAT_SWEEP_URL=http://127.0.0.1:<port>` points the sweep at one
 * started elsewhere (`npm start`) instead; it must trust X-Forwarded-For from loopback
 * (`server.trusted_proxies`) since the sweep speaks for many clients. There the checks that need
 * the mail or the admin flag are left out, unless `PLEXICHAT_SWEEP_ADMIN_TOKEN` gives an admin's token.
 */
const EXTERNAL = process.env.PLEXICHAT_SWEEP_URL?.replace(/\/+$/, '');
const local = EXTERNAL ? null : useMailApp({ rate_limits: { enabled: true } }, { voice: true });
const app: Pick<TestApp, 'origin' | 'api'> = EXTERNAL
  ? { origin: EXTERNAL, api: `${EXTERNAL}/api/v1` }
  : standIn('app', () => local!.app);
/** Mail the instance sent, when the sweep started it. */
const smtp: SmtpReceiver | null = local?.smtp ?? null;

/** An admin's token: `user` made admin (as `cli admin grant` does) when the sweep started the instance. */
async function adminToken(user: TestUser): Promise<string | null> {
  if (!local) return process.env.PLEXICHAT_SWEEP_ADMIN_TOKEN ?? null;
  await local.app.rt.models.User.update({ is_admin: true }, { where: { id: user.id } });
  return user.token;
}

const EPOCH_MS = 1704067200000n;
const SNOWFLAKE = /^(0|[1-9]\d{0,18})$/;
const SNAKE = /^[a-z][a-z0-9_]*$/;

// Bodies are whatever the server sent, and each check reads its own fields of them: a checker's
// view, not the server's types (which this sweep must not lean on). So `any`, and lambdas that
// pick a field out of one return `any` as well.
/* eslint-disable @typescript-eslint/no-unsafe-return */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- see above
type Json = any;

/** Collects deviations; `done()` fails the test listing every one of them. */
class Sweep {
  readonly problems: string[] = [];
  ok(cond: unknown, what: string): boolean {
    if (!cond) this.problems.push(what);
    return Boolean(cond);
  }
  eq(actual: unknown, expected: unknown, what: string): boolean {
    return this.ok(
      JSON.stringify(actual) === JSON.stringify(expected),
      `${what}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)?.slice(0, 300)}`,
    );
  }
  status(res: ApiResponse, expected: number, what: string): boolean {
    return this.ok(
      res.status === expected,
      `${what}: expected ${expected}, got ${res.status} ${JSON.stringify(res.body)?.slice(0, 300)}`,
    );
  }
  /** The error body of API.md: `{code, message, errors?}`, with `fields` named in `errors`. */
  error(res: ApiResponse, status: number, what: string, code?: string, fields: string[] = []): void {
    if (!this.status(res, status, what)) return;
    const body = res.body ?? {};
    this.ok(
      typeof body.code === 'string' && SNAKE.test(body.code),
      `${what}: code ${JSON.stringify(body.code)} is not snake_case`,
    );
    this.ok(typeof body.message === 'string' && body.message.length > 0, `${what}: no message`);
    if (code) this.eq(body.code, code, `${what}: code`);
    for (const field of fields) {
      this.ok(
        body.errors && field in body.errors,
        `${what}: errors does not name ${field} (${JSON.stringify(body.errors)})`,
      );
    }
    if (body.errors !== undefined) {
      this.ok(
        body.errors !== null && typeof body.errors === 'object' && !Array.isArray(body.errors),
        `${what}: errors is not an object`,
      );
    }
  }
  snowflake(value: unknown, what: string): boolean {
    return this.ok(
      typeof value === 'string' && SNOWFLAKE.test(value),
      `${what}: ${JSON.stringify(value)} is not a decimal-string snowflake`,
    );
  }
  /** `created_at` an integer of unix seconds, equal to the id's own time. */
  created(obj: Json, what: string): void {
    if (!this.snowflake(obj?.id, `${what}.id`)) return;
    const fromId = Number(((BigInt(obj.id) >> 22n) + EPOCH_MS) / 1000n);
    this.ok(
      Number.isInteger(obj.created_at),
      `${what}.created_at ${JSON.stringify(obj.created_at)} is not integer unix seconds`,
    );
    this.ok(
      obj.created_at === fromId,
      `${what}.created_at ${obj.created_at} disagrees with the id's time ${fromId}`,
    );
  }
  user(u: Json, what: string): void {
    this.created(u, what);
    this.ok(typeof u?.username === 'string', `${what}.username missing`);
    this.ok(u && 'avatar_url' in u, `${what}.avatar_url missing (data-types: nullable, but listed)`);
  }
  perms(value: unknown, what: string): void {
    this.ok(
      typeof value === 'string' && /^\d+$/.test(value),
      `${what}: ${JSON.stringify(value)} is not a decimal-string bitfield`,
    );
  }
  done(): void {
    expect(this.problems).toEqual([]);
  }
}

type Caller = Pick<TestUser, 'token'> & { bot?: boolean };

/** Whether the server closes `client`'s connection within 5 s (from now). */
function closedWithin(client: GatewayClient): Promise<boolean> {
  return new Promise<boolean>((resolve) => {
    const timer = setTimeout(() => resolve(false), 5000);
    client.socket.once('disconnect', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

/** Every JSON answer and gateway frame the sweep saw, for the format scan at the end. */
const seen: { what: string; body: unknown }[] = [];
const clients: GatewayClient[] = [];

/** A request as a checker makes it: JSON, the caller's token under its scheme, a fresh client address. */
async function call(
  method: string,
  path: string,
  who?: Caller | null,
  body?: unknown,
  headers: Record<string, string> = {},
) {
  const h: Record<string, string> = { 'x-forwarded-for': randomIp(), ...headers };
  if (who) h.authorization = `${who.bot ? 'Bot' : 'Bearer'} ${who.token}`;
  const res = await api(app, method, path, { body, headers: h });
  if (res.body && typeof res.body === 'object')
    seen.push({ what: `${method} ${path} -> ${res.status}`, body: res.body });
  return res;
}

// Every test's gateway connections close when it ends, whatever it found.
afterEach(() => {
  for (const client of clients) client.close();
});

/** A gateway connection (as connectGateway), kept for the format scan and closed after its test. */
async function gateway(...args: Parameters<typeof connectGateway>): Promise<GatewayClient> {
  const client = await connectGateway(...args);
  clients.push(client);
  return client;
}

interface Account extends TestUser {
  email: string;
  user: Json;
}

async function register(s: Sweep, what = 'register'): Promise<Account> {
  const username = `cs_${crypto.randomBytes(5).toString('hex')}`;
  const password = `pw-${crypto.randomBytes(9).toString('hex')}`;
  const email = `${username}@example.test`;
  const res = await call('POST', '/auth/register', null, { username, password, email });
  if (res.status !== 201) throw new Error(`${what}: ${res.status} ${JSON.stringify(res.body)}`);
  s.ok(typeof res.body.token === 'string' && res.body.user, `${what}: body is not {token, user}`);
  s.user(res.body.user, `${what}.user`);
  return {
    id: res.body.user.id,
    username,
    password,
    email,
    token: res.body.token,
    headers: { authorization: `Bearer ${res.body.token}` },
    user: res.body.user,
  };
}

const idTime = (id: string): number => Number(((BigInt(id) >> 22n) + EPOCH_MS) / 1000n);
/** `list` mapped by `f` when it is an array (else what it was, for the deviation's text). */
const mapped = (list: unknown, f: (x: Json) => unknown): unknown =>
  Array.isArray(list) ? list.map(f) : list;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls `probe` until it returns something truthy (a background job's result), or gives up. */
async function eventually<T>(
  probe: () => Promise<T | undefined | null | false>,
  ms = 15000,
): Promise<T | undefined> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    const value = await probe();
    if (value) return value;
    await sleep(100);
  }
  return undefined;
}

/** A server with its owner, its @everyone role and general channel. */
async function makeServer(s: Sweep, owner: Caller, name = 'Sweep') {
  const res = await call('POST', '/servers', owner, { name, description: 'contract sweep' });
  s.status(res, 201, 'POST /servers');
  const server = res.body;
  const channels = (await call('GET', `/servers/${server.id}/channels`, owner)).body as Json[];
  const general = channels.find((c) => c.name === 'general' && c.channel_type === 'text');
  if (!general) throw new Error(`no general channel: ${JSON.stringify(channels)}`);
  return { server, general };
}

async function joinServer(who: Caller, owner: Caller, channelId: string): Promise<void> {
  const invite = await call('POST', `/channels/${channelId}/invites`, owner, {});
  const joined = await call('POST', `/invites/${invite.body.code}`, who);
  if (joined.status >= 300) throw new Error(`join: ${joined.status} ${JSON.stringify(joined.body)}`);
}

/** The usual cast: an owner with a fresh server, and a member who joined it by invite. */
async function ownerAndMember(s: Sweep) {
  const owner = await register(s);
  const m = await register(s);
  const { server, general } = await makeServer(s, owner);
  await joinServer(m, owner, general.id);
  return { owner, m, server, general };
}

async function send(who: Caller, channelId: string, body: Json): Promise<ApiResponse> {
  return call('POST', `/channels/${channelId}/messages`, who, body);
}

// ---------------------------------------------------------------------------------------------

describe('health, meta, docs', () => {
  it('answers the shapes API.md gives', async () => {
    const s = new Sweep();
    const health = await call('GET', '/health');
    s.status(health, 200, 'GET /health');
    s.eq(health.body?.status, 'ok', 'health.status');
    s.ok(/^[abcr]\.\d+\.\d+-\d+$/.test(health.body?.version), `health.version ${health.body?.version}`);
    s.eq(
      Object.keys(health.body?.checks ?? {}).sort(),
      ['database', 'queues', 'redis', 'storage'],
      'health.checks keys',
    );
    const ready = await call('GET', '/ready');
    s.status(ready, 200, 'GET /ready');
    const version = await call('GET', '/version');
    s.status(version, 200, 'GET /version');
    s.ok(
      /^a\.1\.0-\d+$/.test(version.body?.version),
      `version.version ${version.body?.version} is not a.1.0-N`,
    );
    s.eq(version.body?.api, 1, 'version.api');
    s.eq(version.body?.version, health.body?.version, 'health and version agree');
    for (const path of ['/docs', '/redoc', '/docs/api']) {
      const res = await fetch(`${app.origin}${path}`);
      s.ok(res.status === 200, `GET ${path}: ${res.status}`);
      const html = await res.text();
      s.ok(!/https?:\/\/(cdn|unpkg|fonts\.googleapis|cdnjs)/.test(html), `${path} loads assets from a CDN`);
    }
    const openapi = await call('GET', '/openapi.json');
    s.status(openapi, 200, 'GET /openapi.json');
    s.ok(/^3\./.test(openapi.body?.openapi ?? ''), `openapi version ${openapi.body?.openapi}`);
    const wrongMethod = await call('DELETE', '/health');
    s.error(wrongMethod, 405, 'DELETE /health');
    s.error(await call('GET', '/no/such/route'), 404, 'an unknown route');
    const malformed = await fetch(`${app.api}/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"login":',
    });
    s.ok(malformed.status === 400, `malformed JSON: ${malformed.status}`);
    s.error(await call('GET', '/auth/oauth/nosuchprovider'), 404, 'an unconfigured sign-in provider');
    s.error(
      await call('GET', `/proxy?url=${encodeURIComponent('http://127.0.0.1/x.png')}`),
      403,
      'proxy of a private address',
    );
    const metrics = await fetch(`${app.origin}/metrics`, { headers: { 'x-forwarded-for': randomIp() } });
    s.ok(metrics.status === 401 || metrics.status === 403, `GET /metrics anonymous: ${metrics.status}`);
    s.done();
  });

  it('lists every route of API.md in the OpenAPI document, with its method', async () => {
    const s = new Sweep();
    const doc = (await call('GET', '/openapi.json')).body;
    const paths = doc.paths as Record<string, Record<string, unknown>>;
    // A method listed on a collection (PATCH /servers/{id}/reports) may live on its items' path.
    const have = (method: string, path: string) =>
      Object.entries(paths).some(
        ([p, ops]) =>
          method.toLowerCase() in ops &&
          (p === `/api/v1${path}` ||
            p === path ||
            new RegExp(`^(/api/v1)?${path.replace(/[{}]/g, '\\$&')}/\\{[a-z_]+\\}$`).test(p)),
      );
    for (const [methods, path] of API_MD_ROUTES) {
      for (const method of methods.split('/'))
        s.ok(have(method, path), `${method} ${path} not in the OpenAPI document`);
    }
    s.done();
  });
});

/** Every REST route API.md's tables list (the docs routes aside), as `[methods, path]`. */
const API_MD_ROUTES: [string, string][] = [
  ['GET', '/health'],
  ['GET', '/ready'],
  ['GET', '/version'],
  ['POST', '/auth/register'],
  ['POST', '/auth/login'],
  ['POST', '/auth/mfa/totp'],
  ['POST', '/auth/logout'],
  ['GET', '/users/@me/sessions'],
  ['DELETE', '/users/@me/sessions/{session_id}'],
  ['POST', '/users/@me/mfa/totp/enable'],
  ['POST', '/users/@me/mfa/totp/confirm'],
  ['POST', '/users/@me/mfa/totp/disable'],
  ['GET/PATCH', '/users/@me'],
  ['GET', '/users/{user_id}'],
  ['GET', '/users/@me/servers'],
  ['GET', '/users/@me/relationships'],
  ['PUT/DELETE', '/users/@me/relationships/{user_id}'],
  ['POST', '/users/@me/channels'],
  ['GET', '/users/@me/notes'],
  ['POST', '/auth/password/forgot'],
  ['POST', '/auth/password/reset'],
  ['PUT', '/users/@me/password'],
  ['POST', '/users/@me/email/verify'],
  ['DELETE', '/users/@me'],
  ['POST/GET', '/users/@me/export'],
  ['POST', '/servers'],
  ['GET/PATCH/DELETE', '/servers/{server_id}'],
  ['GET/POST', '/servers/{server_id}/channels'],
  ['GET', '/servers/{server_id}/members'],
  ['GET/PATCH/DELETE', '/servers/{server_id}/members/{user_id}'],
  ['PUT/DELETE', '/servers/{server_id}/bans/{user_id}'],
  ['GET/POST', '/servers/{server_id}/roles'],
  ['PATCH/DELETE', '/servers/{server_id}/roles/{role_id}'],
  ['PUT/DELETE', '/servers/{server_id}/members/{user_id}/roles/{role_id}'],
  ['GET', '/servers/{server_id}/audit-logs'],
  ['POST', '/channels/{channel_id}/invites'],
  ['GET/POST', '/invites/{code}'],
  ['GET/PATCH/DELETE', '/channels/{channel_id}'],
  ['PUT/DELETE', '/channels/{channel_id}/permissions/{overwrite_id}'],
  ['GET/POST', '/channels/{channel_id}/messages'],
  ['GET/PATCH/DELETE', '/channels/{channel_id}/messages/{message_id}'],
  ['POST', '/channels/{channel_id}/messages/bulk-delete'],
  ['GET', '/channels/{channel_id}/pins'],
  ['PUT/DELETE', '/channels/{channel_id}/pins/{message_id}'],
  ['PUT/DELETE', '/channels/{channel_id}/messages/{message_id}/reactions/{emoji}/@me'],
  ['GET', '/channels/{channel_id}/messages/{message_id}/reactions/{emoji}'],
  ['POST', '/channels/{channel_id}/typing'],
  ['POST', '/channels/{channel_id}/messages/{message_id}/threads'],
  ['POST', '/channels/{channel_id}/threads'],
  ['PUT/DELETE', '/channels/{thread_id}/thread-members/@me'],
  ['GET', '/servers/{server_id}/messages/search'],
  ['POST', '/attachments'],
  ['GET', '/media/{key}'],
  ['GET', '/proxy'],
  ['GET/POST', '/servers/{server_id}/emojis'],
  ['PATCH/DELETE', '/servers/{server_id}/emojis/{emoji_id}'],
  ['POST/GET', '/channels/{channel_id}/webhooks'],
  ['POST', '/webhooks/{webhook_id}/{token}'],
  ['GET', '/webhooks/{webhook_id}/deliveries'],
  ['POST/GET', '/applications'],
  ['PUT', '/applications/{app_id}/commands'],
  ['POST', '/interactions'],
  ['POST', '/interactions/{interaction_id}/{token}/callback'],
  ['GET', '/oauth2/authorize'],
  ['POST', '/oauth2/token'],
  ['GET', '/auth/oauth/{provider}'],
  ['GET', '/auth/oauth/{provider}/callback'],
  ['POST', '/reports'],
  ['GET/PATCH', '/servers/{server_id}/reports'],
  ['GET/POST/PATCH/DELETE', '/servers/{server_id}/automod/rules'],
  ['GET', '/admin/security-events'],
  ['GET/PUT', '/admin/ip-rules'],
  ['GET', '/admin/stats'],
  ['POST/DELETE', '/users/@me/push-subscriptions'],
  ['GET', '/users/@me/notifications'],
];

describe('accounts and sessions', () => {
  it('register, login, validation, logout, sessions', async () => {
    const s = new Sweep();
    const a = await register(s);
    // Validation names every offending field at once.
    const bad = await call('POST', '/auth/register', null, { username: '', password: 1 });
    s.error(bad, 400, 'register with bad fields', undefined, ['username', 'password']);
    const empty = await call('POST', '/auth/register', null, {});
    s.error(empty, 400, 'register with nothing', undefined, ['username', 'password']);
    const taken = await call('POST', '/auth/register', null, {
      username: a.username,
      password: 'another-password-1',
    });
    s.error(taken, 409, 'register a taken username');

    const login = await call('POST', '/auth/login', null, { login: a.username, password: a.password });
    s.status(login, 200, 'login');
    s.ok(
      typeof login.body?.token === 'string' && login.body?.user?.id === a.id,
      'login body is {token, user}',
    );
    s.user(login.body?.user, 'login.user');
    const byEmail = await call('POST', '/auth/login', null, { login: a.email, password: a.password });
    s.status(byEmail, 200, 'login by email');
    const wrong = await call('POST', '/auth/login', null, {
      login: a.username,
      password: 'not-the-password',
    });
    s.error(wrong, 401, 'login with a wrong password');
    s.error(await call('POST', '/auth/login', null, {}), 400, 'login with nothing', undefined, [
      'login',
      'password',
    ]);

    s.error(await call('GET', '/users/@me'), 401, 'GET /users/@me without a token');
    s.error(await call('GET', '/users/@me', { token: 'nonsense' }), 401, 'GET /users/@me with a bad token');

    const sessions = await call('GET', '/users/@me/sessions', a);
    s.status(sessions, 200, 'GET /users/@me/sessions');
    const list = sessions.body as Json[];
    s.ok(
      Array.isArray(list) && list.length === 3,
      `sessions: expected 3 (register + 2 logins), got ${list?.length}`,
    );
    for (const session of list ?? []) {
      for (const key of ['id', 'created_at', 'last_used_at', 'ip', 'user_agent', 'current']) {
        s.ok(key in session, `session lacks ${key}`);
      }
      s.created(session, 'session');
      s.ok(
        session.last_used_at === null || Number.isInteger(session.last_used_at),
        `session.last_used_at ${session.last_used_at}`,
      );
    }
    s.eq((list ?? []).filter((x) => x.current).length, 1, 'exactly one current session');
    const current = (list ?? []).find((x) => x.current);
    s.ok(current && current.created_at === idTime(current.id), 'current session is the caller');

    // Revoking another session: its token stops working, the caller's keeps working.
    const other = { token: login.body.token as string };
    const otherId = ((await call('GET', '/users/@me/sessions', other)).body as Json[]).find((x) => x.current)
      ?.id as string;
    const revoke = await call('DELETE', `/users/@me/sessions/${otherId}`, a);
    s.status(revoke, 204, 'DELETE /users/@me/sessions/{id}');
    s.error(await call('GET', '/users/@me', other), 401, 'a revoked session');
    s.status(await call('GET', '/users/@me', a), 200, 'the revoking session still works');
    s.error(await call('DELETE', `/users/@me/sessions/${otherId}`, a), 404, 'revoking a revoked session');

    // Logout revokes the calling session.
    const byEmailToken = { token: byEmail.body.token as string };
    const logout = await call('POST', '/auth/logout', byEmailToken);
    s.ok(logout.status === 204 || logout.status === 200, `logout: ${logout.status}`);
    s.error(await call('GET', '/users/@me', byEmailToken), 401, 'after logout');
    s.done();
  });

  it('2FA: enable, confirm, login ticket, TOTP and backup codes, disable', async () => {
    const s = new Sweep();
    const a = await register(s);
    const enable = await call('POST', '/users/@me/mfa/totp/enable', a);
    s.status(enable, 200, 'mfa enable');
    s.ok(typeof enable.body?.secret === 'string', 'enable.secret');
    s.ok(
      /^otpauth:\/\/totp\//.test(enable.body?.otpauth_url ?? ''),
      `enable.otpauth_url ${enable.body?.otpauth_url}`,
    );
    s.error(
      await call('POST', '/users/@me/mfa/totp/confirm', a, { code: '000000' }),
      400,
      'confirm with a wrong code',
      undefined,
      ['code'],
    );
    const confirm = await call('POST', '/users/@me/mfa/totp/confirm', a, {
      code: await totpCode(enable.body.secret),
    });
    s.status(confirm, 200, 'mfa confirm');
    const backup = confirm.body?.backup_codes as string[];
    s.ok(
      Array.isArray(backup) && backup.length > 0 && backup.every((c) => typeof c === 'string'),
      'backup_codes',
    );

    const login = await call('POST', '/auth/login', null, { login: a.username, password: a.password });
    s.status(login, 200, 'login with 2FA on');
    s.eq(login.body?.mfa_required, true, 'login.mfa_required');
    s.ok(typeof login.body?.ticket === 'string', 'login.ticket');
    s.ok(!('token' in (login.body ?? {})), 'login with 2FA on gives no token');
    s.error(
      await call('POST', '/auth/mfa/totp', null, { ticket: login.body.ticket, code: '000000' }),
      401,
      'a wrong TOTP code',
    );
    const withBackup = await call('POST', '/auth/mfa/totp', null, {
      ticket: login.body.ticket,
      code: backup[0],
    });
    s.status(withBackup, 200, 'mfa with a backup code');
    s.ok(
      typeof withBackup.body?.token === 'string' && withBackup.body?.user?.id === a.id,
      'mfa answer is {token, user}',
    );
    const again = await call('POST', '/auth/login', null, { login: a.username, password: a.password });
    const reused = await call('POST', '/auth/mfa/totp', null, { ticket: again.body.ticket, code: backup[0] });
    s.ok(reused.status === 401 || reused.status === 400, `a spent backup code: ${reused.status}`);
    const disable = await call('POST', '/users/@me/mfa/totp/disable', a, { code: backup[1] });
    s.ok(disable.status === 204 || disable.status === 200, `mfa disable: ${disable.status}`);
    const plain = await call('POST', '/auth/login', null, { login: a.username, password: a.password });
    s.ok(typeof plain.body?.token === 'string', 'login after disable gives a token');
    s.done();
  });

  it('profiles, relationships, DMs and notes', async () => {
    const s = new Sweep();
    const a = await register(s);
    const b = await register(s);
    const me = await call('GET', '/users/@me', a);
    s.status(me, 200, 'GET /users/@me');
    s.user(me.body, 'me');
    const renamed = `cs_${crypto.randomBytes(5).toString('hex')}`;
    const patch = await call('PATCH', '/users/@me', a, { username: renamed });
    s.status(patch, 200, 'PATCH /users/@me');
    s.eq(patch.body?.username, renamed, 'PATCH answers the new profile');
    s.error(await call('PATCH', '/users/@me', a, { username: '' }), 400, 'PATCH a bad username', undefined, [
      'username',
    ]);
    const pub = await call('GET', `/users/${a.id}`, b);
    s.status(pub, 200, 'GET /users/{id}');
    s.user(pub.body, 'public user');
    s.ok(!('email' in (pub.body ?? {})), 'the public profile hides the email');
    s.error(await call('GET', '/users/123456789012345678', b), 404, 'an unknown user');
    s.error(await call('GET', '/users/abc', b), 400, 'a malformed user id', undefined, ['user_id']);

    // Relationships: request, pending both ways, accept, block, remove.
    const req = await call('PUT', `/users/@me/relationships/${b.id}`, a, { status: 'friend' });
    s.ok([200, 201, 204].includes(req.status), `friend request: ${req.status}`);
    const aRel = (await call('GET', '/users/@me/relationships', a)).body as Json[];
    const bRel = (await call('GET', '/users/@me/relationships', b)).body as Json[];
    s.eq(
      mapped(aRel, (r) => [r.user?.id, r.status]),
      [[b.id, 'pending_outgoing']],
      'sender sees pending_outgoing',
    );
    s.eq(
      mapped(bRel, (r) => [r.user?.id, r.status]),
      [[a.id, 'pending_incoming']],
      'recipient sees pending_incoming',
    );
    if (aRel?.[0]) s.user(aRel[0].user, 'relationship.user');
    await call('PUT', `/users/@me/relationships/${a.id}`, b, { status: 'friend' });
    const friends = (await call('GET', '/users/@me/relationships', a)).body as Json[];
    s.eq(
      mapped(friends, (r) => r.status),
      ['friend'],
      'accepted: friend',
    );
    const block = await call('PUT', `/users/@me/relationships/${b.id}`, a, { status: 'blocked' });
    s.ok([200, 201, 204].includes(block.status), `block: ${block.status}`);
    s.eq(
      mapped((await call('GET', '/users/@me/relationships', a)).body, (r) => r.status),
      ['blocked'],
      'blocked',
    );
    s.error(
      await call('PUT', `/users/@me/relationships/${b.id}`, a, { status: 'bogus' }),
      400,
      'a bad status',
      undefined,
      ['status'],
    );
    s.status(await call('DELETE', `/users/@me/relationships/${b.id}`, a), 204, 'DELETE relationship');
    s.eq((await call('GET', '/users/@me/relationships', a)).body, [], 'no relationships left');

    // DM channel: created once, reused.
    const dm1 = await call('POST', '/users/@me/channels', a, { recipient_id: b.id });
    s.ok(dm1.status === 200 || dm1.status === 201, `DM create: ${dm1.status}`);
    s.eq(dm1.body?.channel_type, 'dm', 'DM channel_type');
    s.created(dm1.body, 'dm');
    const dm2 = await call('POST', '/users/@me/channels', a, { recipient_id: b.id });
    s.eq(dm2.body?.id, dm1.body?.id, 'the same DM channel again');
    const dm3 = await call('POST', '/users/@me/channels', b, { recipient_id: a.id });
    s.eq(dm3.body?.id, dm1.body?.id, 'the other side gets the same DM channel');
    s.error(await call('POST', '/users/@me/channels', a, {}), 400, 'DM without recipient', undefined, [
      'recipient_id',
    ]);
    const notes = await call('GET', '/users/@me/notes', a);
    s.status(notes, 200, 'GET /users/@me/notes');
    s.eq(notes.body?.channel_type, 'notes', 'notes channel_type');
    s.eq((await call('GET', '/users/@me/notes', a)).body?.id, notes.body?.id, 'notes is one channel');
    const note = await send(a, notes.body.id, { content: 'remember' });
    s.ok(note.status === 200 || note.status === 201, `message to notes: ${note.status}`);
    s.error(await call('GET', `/channels/${notes.body.id}`, b), 404, "someone else's notes");
    s.done();
  });
});

describe('account lifecycle', () => {
  it('forgot -> 204 always, reset by the mailed link, password change, export, deletion', async () => {
    const s = new Sweep();
    const a = await register(s);
    // API.md: without email.smtp_url, routes that need mail answer 503 email_disabled.
    const forgot = async (login: string, what: string) => {
      const res = await call('POST', '/auth/password/forgot', null, { login });
      if (smtp) s.status(res, 204, what);
      else if (res.status !== 204) s.error(res, 503, what, 'email_disabled');
    };
    await forgot(`nobody_${crypto.randomBytes(4).toString('hex')}`, 'forgot for an unknown login');
    await forgot(a.email, 'forgot for a known email');
    s.error(await call('POST', '/auth/password/forgot', null, {}), 400, 'forgot without login', undefined, [
      'login',
    ]);
    s.error(
      await call('POST', '/auth/password/reset', null, {
        token: 'x'.repeat(43),
        password: 'a-newer-password-123',
      }),
      400,
      'an unknown reset token',
      'invalid_token',
    );
    s.error(await call('POST', '/auth/password/reset', null, {}), 400, 'reset with nothing', undefined, [
      'token',
      'password',
    ]);
    let password = a.password;
    if (smtp) {
      // Registering with an email mails a verification link; its token verifies (the account's session).
      const [verifyMail] = await smtp.waitFor(a.email, 1, /verify/i);
      const verify = await call('POST', '/users/@me/email/verify', a, {
        token: tokenFromMail(verifyMail!, '/verify-email'),
      });
      s.status(verify, 204, 'POST /users/@me/email/verify');
      const [mail] = await smtp.waitFor(a.email, 1, /reset/i);
      const token = tokenFromMail(mail!, '/reset-password');
      const second = {
        token: (await call('POST', '/auth/login', null, { login: a.username, password })).body
          .token as string,
      };
      password = 'a-new-password-123';
      s.status(await call('POST', '/auth/password/reset', null, { token, password }), 204, 'reset');
      s.error(await call('GET', '/users/@me', a), 401, 'a session after the reset');
      s.error(await call('GET', '/users/@me', second), 401, 'another session after the reset');
      s.error(
        await call('POST', '/auth/password/reset', null, { token, password: 'a-newer-password-123' }),
        400,
        'a used reset token',
        'invalid_token',
      );
    }
    const login = await call('POST', '/auth/login', null, { login: a.username, password });
    s.status(login, 200, 'login with the current password');
    const me = { token: login.body.token as string };
    const other = {
      token: (await call('POST', '/auth/login', null, { login: a.username, password })).body.token as string,
    };

    // Password change: 204, other sessions revoked, this one kept.
    s.error(
      await call('PUT', '/users/@me/password', me, {
        current_password: 'wrong-password-1',
        password: 'third-password-123',
      }),
      400,
      'password change with a wrong current password',
    );
    s.error(
      await call('PUT', '/users/@me/password', me, {}),
      400,
      'password change with nothing',
      undefined,
      ['current_password', 'password'],
    );
    s.status(
      await call('PUT', '/users/@me/password', me, {
        current_password: password,
        password: 'third-password-123',
      }),
      204,
      'PUT /users/@me/password',
    );
    s.status(await call('GET', '/users/@me', me), 200, 'the changing session survives');
    s.error(await call('GET', '/users/@me', other), 401, 'other sessions after a password change');
    s.error(
      await call('POST', '/users/@me/email/verify', me, { token: 'y'.repeat(43) }),
      400,
      'verify with an unknown token',
    );

    // Export: 202, then {status, url?}; the url downloads with the caller's token.
    const before = await call('GET', '/users/@me/export', me);
    s.status(before, 200, 'GET /users/@me/export before any');
    s.ok(typeof before.body?.status === 'string', `export status before any: ${JSON.stringify(before.body)}`);
    const exp = await call('POST', '/users/@me/export', me);
    s.status(exp, 202, 'POST /users/@me/export');
    const ready = await eventually(async () => {
      const res = await call('GET', '/users/@me/export', me);
      return res.body?.url ? res : undefined;
    });
    s.ok(ready, 'the export never got a url');
    if (ready) {
      s.ok(typeof ready.body.status === 'string', 'export.status');
      s.ok(/^https?:\/\//.test(ready.body.url), `export.url ${ready.body.url} is not absolute`);
      const path = new URL(ready.body.url).pathname + new URL(ready.body.url).search;
      const dl = await fetch(`${app.origin}${path}`, { headers: { authorization: `Bearer ${me.token}` } });
      s.ok(dl.status === 200, `export download: ${dl.status}`);
      s.ok(
        dl.headers.get('content-type')?.includes('zip') ?? false,
        `export content-type ${dl.headers.get('content-type')}`,
      );
      const anonymous = await fetch(`${app.origin}${path}`);
      s.ok(
        anonymous.status === 401 || anonymous.status === 404,
        `export download without a token: ${anonymous.status}`,
      );
    }

    // Deletion: 409 owns_servers naming them while the account owns servers.
    const { server, general } = await makeServer(s, me, 'Owned');
    await send(me, general.id, { content: 'stays after deletion' });
    const blocked = await call('DELETE', '/users/@me', me, { password: 'third-password-123' });
    s.error(blocked, 409, 'DELETE /users/@me while owning a server', 'owns_servers');
    s.ok(
      JSON.stringify(blocked.body).includes(server.id),
      `owns_servers does not name the server: ${JSON.stringify(blocked.body)}`,
    );
    const wrongPw = await call('DELETE', '/users/@me', me, { password: 'wrong-password-9' });
    s.ok([400, 401, 403].includes(wrongPw.status), `deletion with a wrong password: ${wrongPw.status}`);
    // A member's messages stay in a server the account does not own.
    const owner = await register(s);
    const other2 = await makeServer(s, owner, 'Elsewhere');
    await joinServer(me, owner, other2.general.id);
    const kept = await send(me, other2.general.id, { content: 'I will be gone' });
    s.status(await call('DELETE', `/servers/${server.id}`, me), 204, 'DELETE /servers/{id} by its owner');
    s.status(
      await call('DELETE', '/users/@me', me, { password: 'third-password-123' }),
      204,
      'DELETE /users/@me',
    );
    s.error(await call('GET', '/users/@me', me), 401, 'a session of a deleted account');
    const history = (await call('GET', `/channels/${other2.general.id}/messages`, owner)).body as Json[];
    const left = history?.find((m) => m.id === kept.body?.id);
    s.ok(left, "the deleted account's message stays");
    s.eq(left?.author_id, a.id, 'the message keeps its author id');
    const placeholder = await call('GET', `/users/${a.id}`, owner);
    s.ok(
      placeholder.status === 200 && placeholder.body?.username !== a.username,
      `deleted user's profile: ${placeholder.status} ${JSON.stringify(placeholder.body)}`,
    );
    s.done();
  }, 60_000);
});

// API.md's permission table, written out here rather than imported: the sweep uses nothing of the server's.
const P = {
  CREATE_INVITE: 1n << 0n,
  KICK_MEMBERS: 1n << 1n,
  BAN_MEMBERS: 1n << 2n,
  ADMINISTRATOR: 1n << 3n,
  MANAGE_CHANNELS: 1n << 4n,
  MANAGE_SERVER: 1n << 5n,
  ADD_REACTIONS: 1n << 6n,
  VIEW_AUDIT_LOG: 1n << 7n,
  VIEW_CHANNEL: 1n << 10n,
  SEND_MESSAGES: 1n << 11n,
  MANAGE_MESSAGES: 1n << 13n,
  ATTACH_FILES: 1n << 15n,
  READ_MESSAGE_HISTORY: 1n << 16n,
  MENTION_EVERYONE: 1n << 17n,
  CHANGE_NICKNAME: 1n << 26n,
  MANAGE_NICKNAMES: 1n << 27n,
  MANAGE_ROLES: 1n << 28n,
  MANAGE_WEBHOOKS: 1n << 29n,
  MANAGE_EMOJIS: 1n << 30n,
  CREATE_THREADS: 1n << 35n,
  SEND_MESSAGES_IN_THREADS: 1n << 38n,
  MODERATE_MEMBERS: 1n << 40n,
  PIN_MESSAGES: 1n << 51n,
};
const bits = (...list: bigint[]) => list.reduce((a, b) => a | b, 0n).toString();

function checkServer(s: Sweep, server: Json, what: string): void {
  s.created(server, what);
  for (const key of ['name', 'description', 'icon_url', 'owner_id', 'member_count']) {
    s.ok(server && key in server, `${what} lacks ${key}`);
  }
  s.snowflake(server?.owner_id, `${what}.owner_id`);
  s.ok(Number.isInteger(server?.member_count), `${what}.member_count ${server?.member_count}`);
}

function checkChannel(s: Sweep, channel: Json, what: string): void {
  s.created(channel, what);
  for (const key of [
    'server_id',
    'name',
    'channel_type',
    'topic',
    'position',
    'nsfw',
    'slowmode_seconds',
    'parent_id',
  ]) {
    s.ok(channel && key in channel, `${what} lacks ${key}`);
  }
  s.ok(
    ['text', 'voice', 'category', 'dm', 'notes', 'stage', 'announcement', 'forum'].includes(
      channel?.channel_type,
    ),
    `${what}.channel_type ${channel?.channel_type}`,
  );
}

describe('servers, members, roles, invites', () => {
  it('server and channel shapes, @everyone, general, 404 for outsiders', async () => {
    const s = new Sweep();
    const owner = await register(s);
    const outsider = await register(s);
    const { server, general } = await makeServer(s, owner);
    checkServer(s, server, 'POST /servers answer');
    s.eq(server.owner_id, owner.id, 'creator is owner');
    s.eq(server.member_count, 1, 'member_count of a new server');
    s.error(await call('POST', '/servers', owner, {}), 400, 'POST /servers without name', undefined, [
      'name',
    ]);
    const get = await call('GET', `/servers/${server.id}`, owner);
    s.status(get, 200, 'GET /servers/{id}');
    checkServer(s, get.body, 'GET /servers/{id}');
    checkChannel(s, general, 'general');
    const roles = await call('GET', `/servers/${server.id}/roles`, owner);
    s.status(roles, 200, 'GET roles');
    const everyone = (roles.body as Json[])?.find((r) => r.name === '@everyone');
    s.eq(everyone?.id, server.id, '@everyone role id equals the server id');
    s.perms(everyone?.permissions, '@everyone.permissions');
    const mine = await call('GET', '/users/@me/servers', owner);
    s.eq(
      mapped(mine.body, (x) => x.id),
      [server.id],
      'GET /users/@me/servers',
    );

    for (const [method, path] of [
      ['GET', `/servers/${server.id}`],
      ['PATCH', `/servers/${server.id}`],
      ['DELETE', `/servers/${server.id}`],
      ['GET', `/servers/${server.id}/channels`],
      ['GET', `/servers/${server.id}/members`],
      ['GET', `/servers/${server.id}/roles`],
      ['GET', `/servers/${server.id}/audit-logs`],
      ['GET', `/servers/${server.id}/emojis`],
      ['GET', `/servers/${server.id}/messages/search?content=x`],
      ['GET', `/channels/${general.id}`],
      ['GET', `/channels/${general.id}/messages`],
      ['POST', `/channels/${general.id}/messages`],
      ['POST', `/channels/${general.id}/invites`],
      ['POST', `/channels/${general.id}/typing`],
      ['GET', `/channels/${general.id}/pins`],
      ['GET', `/channels/${general.id}/webhooks`],
    ] as const) {
      const body =
        method === 'GET' || method === 'DELETE'
          ? undefined
          : method === 'PATCH'
            ? { name: 'x' }
            : path.endsWith('/messages')
              ? { content: 'x' }
              : {};
      s.error(await call(method, path, outsider, body), 404, `outsider ${method} ${path}`);
    }
    const ghost = '123456789012345678';
    s.error(await call('GET', `/servers/${ghost}`, owner), 404, 'an unknown server');
    s.error(await call('GET', `/channels/${ghost}`, owner), 404, 'an unknown channel');
    s.error(await call('GET', `/channels/${general.id}/messages/${ghost}`, owner), 404, 'an unknown message');

    // Channels: a category, a channel under it; listed with parent_id and position.
    const cat = await call('POST', `/servers/${server.id}/channels`, owner, {
      name: 'Stuff',
      channel_type: 'category',
    });
    s.status(cat, 201, 'POST /servers/{id}/channels (category)');
    const child = await call('POST', `/servers/${server.id}/channels`, owner, {
      name: 'child',
      channel_type: 'text',
      parent_id: cat.body?.id,
      topic: 't',
      nsfw: true,
      slowmode_seconds: 5,
    });
    s.status(child, 201, 'POST /servers/{id}/channels (child)');
    checkChannel(s, child.body, 'created channel');
    s.eq(
      [child.body?.parent_id, child.body?.topic, child.body?.nsfw, child.body?.slowmode_seconds],
      [cat.body?.id, 't', true, 5],
      'created channel fields',
    );
    s.error(
      await call('POST', `/servers/${server.id}/channels`, owner, { name: '', channel_type: 'bogus' }),
      400,
      'bad channel',
      undefined,
      ['name', 'channel_type'],
    );
    const listed = (await call('GET', `/servers/${server.id}/channels`, owner)).body as Json[];
    s.ok(
      listed?.every((c) => 'parent_id' in c && Number.isInteger(c.position)),
      'channel list has parent_id and position',
    );
    s.eq(listed?.find((c) => c.id === child.body?.id)?.parent_id, cat.body?.id, 'listed parent_id');
    const patched = await call('PATCH', `/channels/${child.body?.id}`, owner, {
      name: 'renamed',
      topic: 'new',
    });
    s.status(patched, 200, 'PATCH /channels/{id}');
    s.eq([patched.body?.name, patched.body?.topic], ['renamed', 'new'], 'PATCH answer');
    const sys = ((await call('GET', `/channels/${child.body?.id}/messages`, owner)).body as Json[]) ?? [];
    s.ok(
      sys.some((m) => m.type === 'channel_name_change'),
      `a rename posts channel_name_change (${JSON.stringify(sys.map((m) => m.type))})`,
    );
    s.status(await call('DELETE', `/channels/${child.body?.id}`, owner), 204, 'DELETE /channels/{id}');
    s.error(await call('GET', `/channels/${child.body?.id}`, owner), 404, 'a deleted channel');

    const srvPatch = await call('PATCH', `/servers/${server.id}`, owner, {
      name: 'Renamed',
      description: 'd',
    });
    s.status(srvPatch, 200, 'PATCH /servers/{id}');
    s.eq([srvPatch.body?.name, srvPatch.body?.description], ['Renamed', 'd'], 'PATCH server answer');
    s.done();
  });

  it('members, roles and hierarchy, kicks, bans, invites, audit log', async () => {
    const s = new Sweep();
    const owner = await register(s);
    const mod = await register(s);
    const member = await register(s);
    const { server, general } = await makeServer(s, owner);
    const invite = await call('POST', `/channels/${general.id}/invites`, owner, {
      max_age: 3600,
      max_uses: 5,
    });
    s.ok(invite.status === 200 || invite.status === 201, `POST invites: ${invite.status}`);
    s.ok(typeof invite.body?.code === 'string', 'invite.code');
    s.eq([invite.body?.max_age, invite.body?.max_uses], [3600, 5], 'invite max_age/max_uses echoed');
    const preview = await call('GET', `/invites/${invite.body.code}`, mod);
    s.status(preview, 200, 'GET /invites/{code}');
    s.ok(JSON.stringify(preview.body).includes(server.id), 'the preview names the server');
    const join1 = await call('POST', `/invites/${invite.body.code}`, mod);
    s.ok(join1.status === 200 || join1.status === 201, `join: ${join1.status}`);
    await call('POST', `/invites/${invite.body.code}`, member);
    s.error(await call('GET', '/invites/nope-not-a-code', mod), 404, 'an unknown invite');
    const sysJoin = ((await call('GET', `/channels/${general.id}/messages`, owner)).body as Json[]) ?? [];
    s.ok(
      sysJoin.some((m) => m.type === 'member_join'),
      `joining posts member_join (${JSON.stringify(sysJoin.map((m) => m.type))})`,
    );

    // Roles: create two, ordered by position.
    const high = await call('POST', `/servers/${server.id}/roles`, owner, {
      name: 'high',
      permissions: bits(P.KICK_MEMBERS),
    });
    s.ok(high.status === 200 || high.status === 201, `POST roles: ${high.status}`);
    s.perms(high.body?.permissions, 'role.permissions');
    s.snowflake(high.body?.id, 'role.id');
    const modRole = await call('POST', `/servers/${server.id}/roles`, owner, {
      name: 'mod',
      permissions: bits(
        P.MANAGE_ROLES,
        P.KICK_MEMBERS,
        P.MANAGE_SERVER,
        P.MODERATE_MEMBERS,
        P.VIEW_AUDIT_LOG,
        P.MANAGE_NICKNAMES,
      ),
    });
    const low = await call('POST', `/servers/${server.id}/roles`, owner, { name: 'low', permissions: '0' });
    s.error(
      await call('POST', `/servers/${server.id}/roles`, owner, { name: 'x', permissions: 'lots' }),
      400,
      'role with bad permissions',
      undefined,
      ['permissions'],
    );
    // Put them in order: high above mod above low.
    const roles = ((await call('GET', `/servers/${server.id}/roles`, owner)).body as Json[]) ?? [];
    const positions = roles.map((r) => r.position);
    s.eq(
      positions,
      [...positions].sort((x, y) => x - y),
      'roles ordered by position',
    );
    const order = [
      { id: low.body.id, position: 1 },
      { id: modRole.body.id, position: 2 },
      { id: high.body.id, position: 3 },
    ];
    for (const r of order)
      await call('PATCH', `/servers/${server.id}/roles/${r.id}`, owner, { position: r.position });
    const assign = await call(
      'PUT',
      `/servers/${server.id}/members/${mod.id}/roles/${modRole.body.id}`,
      owner,
    );
    s.status(assign, 204, 'PUT member role');
    const modMember = await call('GET', `/servers/${server.id}/members/${mod.id}`, owner);
    s.status(modMember, 200, 'GET member');
    s.ok(
      (modMember.body?.roles ?? []).includes(modRole.body.id),
      `member.roles ${JSON.stringify(modMember.body?.roles)}`,
    );
    s.ok(modMember.body?.user?.id === mod.id || modMember.body?.user_id === mod.id, 'member names its user');

    // Hierarchy: strictly below the caller's highest role.
    s.error(
      await call('PATCH', `/servers/${server.id}/roles/${high.body.id}`, mod, { name: 'nope' }),
      403,
      'mod edits a higher role',
    );
    s.error(
      await call('PATCH', `/servers/${server.id}/roles/${modRole.body.id}`, mod, { name: 'nope' }),
      403,
      'mod edits its own (equal) role',
    );
    s.status(
      await call('PATCH', `/servers/${server.id}/roles/${low.body.id}`, mod, { name: 'lower' }),
      200,
      'mod edits a lower role',
    );
    s.error(
      await call('PUT', `/servers/${server.id}/members/${member.id}/roles/${high.body.id}`, mod),
      403,
      'mod assigns a higher role',
    );
    s.status(
      await call('PUT', `/servers/${server.id}/members/${member.id}/roles/${low.body.id}`, mod),
      204,
      'mod assigns a lower role',
    );
    s.status(
      await call('DELETE', `/servers/${server.id}/members/${member.id}/roles/${low.body.id}`, mod),
      204,
      'DELETE member role',
    );
    s.error(
      await call('DELETE', `/servers/${server.id}/members/${owner.id}`, mod),
      403,
      'mod kicks the owner',
    );
    // A fellow moderator (same highest role) is not strictly below.
    const peer = await register(s);
    await call('POST', `/invites/${invite.body.code}`, peer);
    await call('PUT', `/servers/${server.id}/members/${peer.id}/roles/${modRole.body.id}`, owner);
    s.error(
      await call('DELETE', `/servers/${server.id}/members/${peer.id}`, mod),
      403,
      'mod kicks a fellow mod',
    );
    s.error(
      await call('PATCH', `/servers/${server.id}/members/${peer.id}`, mod, {
        communication_disabled_until: Math.floor(Date.now() / 1000) + 60,
      }),
      403,
      'mod times out a fellow mod',
    );
    s.status(
      await call('DELETE', `/servers/${server.id}/members/${peer.id}`, owner),
      204,
      'the owner kicks a mod',
    );
    // Missing permission: 403 naming it.
    const noPerm = await call('PATCH', `/servers/${server.id}`, member, { name: 'x' });
    s.error(noPerm, 403, 'a member without MANAGE_SERVER');
    s.ok(
      JSON.stringify(noPerm.body).includes('MANAGE_SERVER'),
      `403 does not name MANAGE_SERVER: ${JSON.stringify(noPerm.body)}`,
    );
    s.error(await call('DELETE', `/servers/${server.id}`, mod), 403, 'a non-owner deletes the server');

    // Members: paginated by user id.
    const all = await call('GET', `/servers/${server.id}/members`, mod);
    s.status(all, 200, 'GET members');
    const ids = ((all.body as Json[]) ?? []).map((m) => m.user?.id ?? m.user_id);
    s.eq(ids.length, 3, 'three members');
    s.eq(
      ids,
      [...ids].sort((x, y) => (BigInt(x) < BigInt(y) ? -1 : 1)),
      'members in user id order',
    );
    const page = await call('GET', `/servers/${server.id}/members?limit=1&after=${ids[0]}`, mod);
    s.eq(
      ((page.body as Json[]) ?? []).map((m) => m.user?.id ?? m.user_id),
      [ids[1]],
      'members after, limit 1',
    );
    s.error(
      await call('GET', `/servers/${server.id}/members?limit=0`, mod),
      400,
      'members limit=0',
      undefined,
      ['limit'],
    );
    s.error(
      await call('GET', `/servers/${server.id}/members?limit=101`, mod),
      400,
      'members limit=101',
      undefined,
      ['limit'],
    );

    // Member PATCH: nick, timeout. A timed-out member keeps only VIEW_CHANNEL and READ_MESSAGE_HISTORY.
    const nick = await call('PATCH', `/servers/${server.id}/members/${member.id}`, mod, { nick: 'nicky' });
    s.status(nick, 200, 'PATCH member nick');
    s.eq(nick.body?.nick, 'nicky', 'member.nick');
    const until = Math.floor(Date.now() / 1000) + 600;
    const timeout = await call('PATCH', `/servers/${server.id}/members/${member.id}`, mod, {
      communication_disabled_until: until,
    });
    s.status(timeout, 200, 'PATCH member timeout');
    s.error(await send(member, general.id, { content: 'muted?' }), 403, 'a timed-out member sends');
    s.status(
      await call('GET', `/channels/${general.id}/messages`, member),
      200,
      'a timed-out member reads history',
    );
    await call('PATCH', `/servers/${server.id}/members/${member.id}`, mod, {
      communication_disabled_until: null,
    });
    s.ok([200, 201].includes((await send(member, general.id, { content: 'free' })).status), 'timeout lifted');

    // Kick, ban, unban.
    s.status(await call('DELETE', `/servers/${server.id}/members/${member.id}`, mod), 204, 'kick');
    s.error(await call('GET', `/servers/${server.id}`, member), 404, 'a kicked member sees the server');
    await call('POST', `/invites/${invite.body.code}`, member);
    const ban = await call('PUT', `/servers/${server.id}/bans/${member.id}`, owner, {
      delete_message_seconds: 3600,
    });
    s.status(ban, 204, 'PUT ban');
    const rejoin = await call('POST', `/invites/${invite.body.code}`, member);
    s.ok(rejoin.status === 403 || rejoin.status === 404, `a banned user joins: ${rejoin.status}`);
    s.status(await call('DELETE', `/servers/${server.id}/bans/${member.id}`, owner), 204, 'unban');

    // Audit log, filterable by user and action, paginated.
    const audit = await call('GET', `/servers/${server.id}/audit-logs`, owner);
    s.status(audit, 200, 'GET audit-logs');
    const entries = (
      Array.isArray(audit.body) ? audit.body : (audit.body?.audit_log_entries ?? audit.body?.entries)
    ) as Json[];
    s.ok(
      Array.isArray(entries) && entries.length > 0,
      `audit log entries: ${JSON.stringify(audit.body)?.slice(0, 200)}`,
    );
    for (const e of (entries ?? []).slice(0, 3)) s.created(e, 'audit entry');
    const byMod = await call('GET', `/servers/${server.id}/audit-logs?user_id=${mod.id}`, owner);
    const modEntries = (
      Array.isArray(byMod.body) ? byMod.body : (byMod.body?.audit_log_entries ?? byMod.body?.entries)
    ) as Json[];
    s.ok(
      modEntries?.length > 0 && modEntries.every((e) => e.user_id === mod.id),
      'audit filtered by user_id',
    );
    const idsDesc = (entries ?? []).map((e) => BigInt(e.id));
    s.ok(
      idsDesc.every((v, i) => i === 0 || v < idsDesc[i - 1]!),
      'audit log newest first',
    );
    s.error(
      await call('GET', `/servers/${server.id}/audit-logs`, member),
      404,
      'a non-member reads the audit log',
    );
    s.done();
  }, 60_000);
});

describe('permission computation', () => {
  it('owner, base, ADMINISTRATOR, @everyone / role / member overwrites in order, threads inherit', async () => {
    const s = new Sweep();
    const { owner, m, server } = await ownerAndMember(s);
    const ch = (
      await call('POST', `/servers/${server.id}/channels`, owner, { name: 'perm', channel_type: 'text' })
    ).body;
    const roleA = (await call('POST', `/servers/${server.id}/roles`, owner, { name: 'a', permissions: '0' }))
      .body;
    const roleB = (await call('POST', `/servers/${server.id}/roles`, owner, { name: 'b', permissions: '0' }))
      .body;
    await call('PUT', `/servers/${server.id}/members/${m.id}/roles/${roleA.id}`, owner);
    await call('PUT', `/servers/${server.id}/members/${m.id}/roles/${roleB.id}`, owner);
    const canSend = async (what: string, expected: boolean) => {
      const res = await send(m, ch.id, { content: what });
      s.ok(
        res.status < 300 === expected,
        `${what}: send answered ${res.status}, expected ${expected ? 'success' : '403'}`,
      );
      if (!expected) s.error(res, 403, what);
    };
    const put = (id: string, type: 'role' | 'member', allow: bigint, deny: bigint) =>
      call('PUT', `/channels/${ch.id}/permissions/${id}`, owner, {
        type,
        allow: allow.toString(),
        deny: deny.toString(),
      });

    await canSend('no overwrites', true);
    const deny = await put(server.id, 'role', 0n, P.SEND_MESSAGES);
    s.status(deny, 204, 'PUT @everyone overwrite');
    await canSend('@everyone denies SEND_MESSAGES', false);
    await put(roleA.id, 'role', 0n, P.SEND_MESSAGES);
    await put(roleB.id, 'role', P.SEND_MESSAGES, 0n);
    await canSend('role A denies, role B allows (role allows win together)', true);
    await put(m.id, 'member', 0n, P.SEND_MESSAGES);
    await canSend('member overwrite denies', false);
    s.status(await call('DELETE', `/channels/${ch.id}/permissions/${m.id}`, owner), 204, 'DELETE overwrite');
    await canSend('member overwrite removed', true);
    const chGet = await call('GET', `/channels/${ch.id}`, owner);
    const ows = (chGet.body?.permission_overwrites ?? []) as Json[];
    s.ok(ows.length === 3, `permission_overwrites listed: ${JSON.stringify(ows)}`);
    for (const o of ows) {
      s.snowflake(o.id, 'overwrite.id');
      s.perms(o.allow, 'overwrite.allow');
      s.perms(o.deny, 'overwrite.deny');
      s.ok(o.type === 'role' || o.type === 'member', `overwrite.type ${o.type}`);
    }
    s.error(
      await call('PUT', `/channels/${ch.id}/permissions/${m.id}`, owner, { type: 'nope', allow: 'x' }),
      400,
      'bad overwrite',
      undefined,
      ['type', 'allow'],
    );

    // Hidden channel: 404 for the member, not 403; ADMINISTRATOR sees through overwrites.
    await put(server.id, 'role', 0n, P.VIEW_CHANNEL);
    s.error(await call('GET', `/channels/${ch.id}`, m), 404, 'a channel without VIEW_CHANNEL');
    s.error(await call('GET', `/channels/${ch.id}/messages`, m), 404, 'history without VIEW_CHANNEL');
    const listed = ((await call('GET', `/servers/${server.id}/channels`, m)).body as Json[]) ?? [];
    s.ok(!listed.some((c) => c.id === ch.id), 'a hidden channel is not listed');
    await call('PATCH', `/servers/${server.id}/roles/${roleA.id}`, owner, {
      permissions: bits(P.ADMINISTRATOR),
    });
    s.status(await call('GET', `/channels/${ch.id}`, m), 200, 'ADMINISTRATOR sees a hidden channel');
    await call('PATCH', `/servers/${server.id}/roles/${roleA.id}`, owner, { permissions: '0' });
    s.status(await call('GET', `/channels/${ch.id}`, owner), 200, 'the owner sees everything');

    // A thread inherits its parent's permissions.
    await call('DELETE', `/channels/${ch.id}/permissions/${server.id}`, owner);
    const thread = await call('POST', `/channels/${ch.id}/threads`, owner, { name: 'inherit' });
    s.ok(thread.status === 200 || thread.status === 201, `POST threads: ${thread.status}`);
    s.status(await call('GET', `/channels/${thread.body?.id}`, m), 200, 'thread visible with its parent');
    await put(server.id, 'role', 0n, P.VIEW_CHANNEL);
    s.error(await call('GET', `/channels/${thread.body?.id}`, m), 404, 'thread hidden with its parent');
    s.done();
  }, 60_000);
});

function checkMessage(s: Sweep, msg: Json, what: string): void {
  s.created(msg, what);
  for (const key of [
    'channel_id',
    'author_id',
    'content',
    'edited_at',
    'attachments',
    'embeds',
    'pinned',
    'type',
    'content_html',
    'mentions',
    'mention_roles',
    'mention_everyone',
    'reactions',
    'reply_to',
    'thread_id',
    'webhook_id',
    'nonce',
  ]) {
    s.ok(msg && key in msg, `${what} lacks ${key}`);
  }
  s.snowflake(msg?.channel_id, `${what}.channel_id`);
  s.ok(msg?.edited_at === null || Number.isInteger(msg?.edited_at), `${what}.edited_at ${msg?.edited_at}`);
  for (const key of ['attachments', 'embeds', 'mentions', 'mention_roles', 'reactions']) {
    s.ok(Array.isArray(msg?.[key]), `${what}.${key} is not an array`);
  }
  s.ok(typeof msg?.mention_everyone === 'boolean', `${what}.mention_everyone not boolean`);
  s.ok(typeof msg?.pinned === 'boolean', `${what}.pinned not boolean`);
}

describe('channels and messages', () => {
  it('message shape, markdown, mentions, replies, edits, deletes', async () => {
    const s = new Sweep();
    const { owner, m, server, general } = await ownerAndMember(s);
    const role = (
      await call('POST', `/servers/${server.id}/roles`, owner, {
        name: 'pingable',
        permissions: '0',
        mentionable: true,
      })
    ).body;
    const first = await send(owner, general.id, {
      content: `**bold** <script>alert(1)</script> hi <@${m.id}> <@&${role.id}> @everyone`,
      nonce: 'n-1',
    });
    s.ok(first.status === 200 || first.status === 201, `send: ${first.status}`);
    const msg = first.body;
    checkMessage(s, msg, 'sent message');
    s.eq(msg?.author_id, owner.id, 'author_id');
    s.eq(msg?.type, 'default', 'type of a plain message');
    s.eq(msg?.nonce, 'n-1', 'nonce echoed');
    s.ok(
      /<strong>bold<\/strong>/.test(msg?.content_html ?? ''),
      `content_html renders Markdown: ${msg?.content_html}`,
    );
    s.ok(!/<script/i.test(msg?.content_html ?? ''), `content_html is not sanitized: ${msg?.content_html}`);
    s.eq(
      (msg?.mentions ?? []).map((u: Json) => (typeof u === 'string' ? u : u.id)),
      [m.id],
      'mentions',
    );
    s.eq(msg?.mention_roles, [role.id], 'mention_roles');
    s.eq(msg?.mention_everyone, true, 'mention_everyone');
    s.eq(
      [msg?.reply_to, msg?.thread_id, msg?.webhook_id, msg?.edited_at],
      [null, null, null, null],
      'null fields of a plain message',
    );

    const reply = await send(m, general.id, { content: 'answer', reply_to: msg.id });
    s.eq(reply.body?.type, 'reply', 'type of a reply');
    s.eq(reply.body?.reply_to, msg.id, 'reply_to');
    s.error(
      await send(m, general.id, { content: 'x', reply_to: '123456789012345678' }),
      400,
      'reply to an unknown message',
      undefined,
      ['reply_to'],
    );
    s.error(await send(m, general.id, {}), 400, 'an empty message', undefined, ['content']);
    s.error(await send(m, general.id, { content: 'x'.repeat(5000) }), 400, 'a too long message', undefined, [
      'content',
    ]);

    const got = await call('GET', `/channels/${general.id}/messages/${msg.id}`, m);
    s.status(got, 200, 'GET one message');
    checkMessage(s, got.body, 'fetched message');
    s.eq(got.body?.content, msg.content, 'fetched content');

    // Edit: author only; edited_at set in unix seconds.
    s.error(
      await call('PATCH', `/channels/${general.id}/messages/${msg.id}`, m, { content: 'hijack' }),
      403,
      'edit by a non-author',
    );
    const edit = await call('PATCH', `/channels/${general.id}/messages/${msg.id}`, owner, {
      content: 'edited',
    });
    s.status(edit, 200, 'PATCH message');
    s.eq(edit.body?.content, 'edited', 'edit answer content');
    s.ok(
      Number.isInteger(edit.body?.edited_at) && edit.body.edited_at >= msg.created_at,
      `edited_at ${edit.body?.edited_at}`,
    );
    s.ok(Math.abs((edit.body?.edited_at ?? 0) - Date.now() / 1000) < 60, 'edited_at is unix seconds, now');
    // Delete: author, or MANAGE_MESSAGES.
    s.error(
      await call('DELETE', `/channels/${general.id}/messages/${msg.id}`, m),
      403,
      'delete by another without MANAGE_MESSAGES',
    );
    s.status(
      await call('DELETE', `/channels/${general.id}/messages/${reply.body.id}`, owner),
      204,
      'delete by MANAGE_MESSAGES',
    );
    s.error(
      await call('GET', `/channels/${general.id}/messages/${reply.body.id}`, owner),
      404,
      'a deleted message',
    );
    s.done();
  }, 60_000);

  it('history pagination: limit, before, after, order', async () => {
    const s = new Sweep();
    const owner = await register(s);
    const { server } = await makeServer(s, owner);
    const ch = (
      await call('POST', `/servers/${server.id}/channels`, owner, { name: 'pages', channel_type: 'text' })
    ).body;
    const ids: string[] = [];
    for (let i = 0; i < 6; i++) ids.push((await send(owner, ch.id, { content: `m${i}` })).body.id);
    const asc = [...ids];
    const desc = [...ids].reverse();
    const page = async (q: string) =>
      mapped((await call('GET', `/channels/${ch.id}/messages${q}`, owner)).body, (x) => x.id);
    s.eq(await page(''), desc, 'no cursor: newest first');
    s.eq(await page('?limit=2'), desc.slice(0, 2), 'limit=2');
    s.eq(await page(`?before=${ids[3]}&limit=2`), [ids[2], ids[1]], 'before: newest first');
    s.eq(await page(`?after=${ids[1]}&limit=2`), [ids[2], ids[3]], 'after: oldest first');
    s.eq(await page(`?after=${ids[1]}`), asc.slice(2), 'after without limit');
    s.eq(await page('?after=0'), asc, 'after=0: everything oldest first');
    for (const q of ['?limit=0', '?limit=101', '?limit=abc']) {
      s.error(await call('GET', `/channels/${ch.id}/messages${q}`, owner), 400, `history ${q}`, undefined, [
        'limit',
      ]);
    }
    s.error(
      await call('GET', `/channels/${ch.id}/messages?before=xyz`, owner),
      400,
      'history before=xyz',
      undefined,
      ['before'],
    );
    s.eq(((await page('?limit=100')) as string[] | undefined)?.length, 6, 'limit=100 allowed');
    // Bulk delete: 2-100 ids, MANAGE_MESSAGES.
    s.error(
      await call('POST', `/channels/${ch.id}/messages/bulk-delete`, owner, { messages: [ids[0]] }),
      400,
      'bulk-delete one id',
      undefined,
      ['messages'],
    );
    s.status(
      await call('POST', `/channels/${ch.id}/messages/bulk-delete`, owner, { messages: [ids[0], ids[1]] }),
      204,
      'bulk-delete',
    );
    s.eq(await page('?after=0'), asc.slice(2), 'bulk-deleted messages gone');
    s.done();
  }, 60_000);

  it('pins, reactions, typing, threads, search', async () => {
    const s = new Sweep();
    const { owner, m, server, general } = await ownerAndMember(s);
    const msg = (await send(owner, general.id, { content: 'findme pinnable' })).body;

    s.status(await call('PUT', `/channels/${general.id}/pins/${msg.id}`, owner), 204, 'PUT pin');
    const pins = await call('GET', `/channels/${general.id}/pins`, m);
    s.status(pins, 200, 'GET pins');
    s.eq(
      mapped(pins.body, (x) => x.id),
      [msg.id],
      'pins list',
    );
    s.eq((pins.body as Json[])?.[0]?.pinned, true, 'pinned flag');
    const hist = ((await call('GET', `/channels/${general.id}/messages?limit=5`, m)).body as Json[]) ?? [];
    s.eq(hist[0]?.type, 'pin_added', 'pinning posts a pin_added system message');
    s.error(await call('PUT', `/channels/${general.id}/pins/${msg.id}`, m), 403, 'pin without permission');
    s.status(await call('DELETE', `/channels/${general.id}/pins/${msg.id}`, owner), 204, 'DELETE pin');

    const thumbs = encodeURIComponent('👍');
    s.status(
      await call('PUT', `/channels/${general.id}/messages/${msg.id}/reactions/${thumbs}/@me`, m),
      204,
      'PUT reaction',
    );
    s.status(
      await call('PUT', `/channels/${general.id}/messages/${msg.id}/reactions/${thumbs}/@me`, owner),
      204,
      'PUT reaction (2)',
    );
    const seenByM = (await call('GET', `/channels/${general.id}/messages/${msg.id}`, m)).body;
    s.eq(seenByM?.reactions, [{ emoji: '👍', count: 2, me: true }], 'reactions [{emoji,count,me}]');
    await call('DELETE', `/channels/${general.id}/messages/${msg.id}/reactions/${thumbs}/@me`, owner);
    const seenByOwner = (await call('GET', `/channels/${general.id}/messages/${msg.id}`, owner)).body;
    s.eq(seenByOwner?.reactions, [{ emoji: '👍', count: 1, me: false }], 'reactions after removing mine');
    const who = await call('GET', `/channels/${general.id}/messages/${msg.id}/reactions/${thumbs}`, owner);
    s.status(who, 200, 'GET reaction users');
    s.eq(
      mapped(who.body, (u) => u.id),
      [m.id],
      'users who reacted',
    );
    s.error(
      await call('PUT', `/channels/${general.id}/messages/${msg.id}/reactions/not-an-emoji/@me`, m),
      400,
      'a bad emoji',
      undefined,
      ['emoji'],
    );

    s.status(await call('POST', `/channels/${general.id}/typing`, m), 204, 'POST typing');

    // Threads from a message, and without one; joining and leaving.
    const fromMsg = await call('POST', `/channels/${general.id}/messages/${msg.id}/threads`, m, {
      name: 'about it',
    });
    s.status(fromMsg, 201, 'POST message thread');
    s.ok(
      fromMsg.body?.id && fromMsg.body?.parent_id === general.id,
      `thread parent_id ${fromMsg.body?.parent_id}`,
    );
    s.created(fromMsg.body, 'thread');
    const withThread = (await call('GET', `/channels/${general.id}/messages/${msg.id}`, owner)).body;
    s.eq(withThread?.thread_id, fromMsg.body?.id, 'the message carries thread_id');
    const after =
      ((await call('GET', `/channels/${general.id}/messages?limit=3`, owner)).body as Json[]) ?? [];
    s.ok(
      after.some((x) => x.type === 'thread_created'),
      `thread_created system message (${JSON.stringify(after.map((x) => x.type))})`,
    );
    const loose = await call('POST', `/channels/${general.id}/threads`, owner, { name: 'loose' });
    s.status(loose, 201, 'POST thread without message');
    s.status(await call('PUT', `/channels/${loose.body?.id}/thread-members/@me`, m), 204, 'join thread');
    s.status(await call('DELETE', `/channels/${loose.body?.id}/thread-members/@me`, m), 204, 'leave thread');
    const inThread = await send(m, fromMsg.body?.id, { content: 'in the thread' });
    s.ok(inThread.status < 300, `send in thread: ${inThread.status}`);

    // Search: only what the caller can read.
    const found = await eventually(async () => {
      const res = await call('GET', `/servers/${server.id}/messages/search?content=findme`, m);
      const list = (Array.isArray(res.body) ? res.body : res.body?.messages) as Json[] | undefined;
      return list?.length ? res : undefined;
    }, 5000);
    s.ok(found, 'search finds the message');
    const list = (Array.isArray(found?.body) ? found?.body : found?.body?.messages) as Json[] | undefined;
    s.eq(
      list?.map((x) => x.id),
      [msg.id],
      'search result',
    );
    const byAuthor = await call('GET', `/servers/${server.id}/messages/search?author_id=${m.id}`, owner);
    const byAuthorList = (Array.isArray(byAuthor.body) ? byAuthor.body : byAuthor.body?.messages) as
      Json[] | undefined;
    s.ok(
      byAuthorList?.every((x) => x.author_id === m.id),
      'search by author_id',
    );
    s.error(
      await call('GET', `/servers/${server.id}/messages/search?has=nothing`, owner),
      400,
      'search has=nothing',
      undefined,
      ['has'],
    );
    s.done();
  }, 60_000);
});

/** A 1x1 PNG. */
const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==',
  'base64',
);

/** A multipart send: `content` and one PNG as `files[0]`. */
async function sendWithFile(
  who: Caller,
  channelId: string,
  content: string,
): Promise<{ status: number; body: Json }> {
  const form = new FormData();
  form.append('content', content);
  form.append('files[0]', new Blob([PNG], { type: 'image/png' }), 'dot.png');
  const res = await fetch(`${app.api}/channels/${channelId}/messages`, {
    method: 'POST',
    headers: { authorization: `Bearer ${who.token}` },
    body: form,
  });
  return { status: res.status, body: (await res.json()) as Json };
}

describe('media and emoji', () => {
  it('uploads, media, emoji', async () => {
    const s = new Sweep();
    const owner = await register(s);
    const { server, general } = await makeServer(s, owner);
    const form = new FormData();
    form.append('file', new Blob([PNG], { type: 'image/png' }), 'dot.png');
    const res = await fetch(`${app.api}/attachments`, {
      method: 'POST',
      headers: { authorization: `Bearer ${owner.token}` },
      body: form,
    });
    const att = (await res.json()) as Json;
    s.ok(res.status === 201 || res.status === 200, `POST /attachments: ${res.status}`);
    s.snowflake(att.id, 'attachment.id');
    for (const key of ['filename', 'content_type', 'size', 'url'])
      s.ok(key in att, `attachment lacks ${key}`);
    s.eq(
      [att.filename, att.content_type, att.size, att.width, att.height],
      ['dot.png', 'image/png', PNG.length, 1, 1],
      'attachment fields',
    );
    const media = await fetch(
      att.url.startsWith('http')
        ? att.url.replace(/^https?:\/\/[^/]+/, app.origin)
        : `${app.origin}${att.url}`,
      { redirect: 'manual' },
    );
    s.ok(media.status === 200 || (media.status >= 300 && media.status < 400), `GET media: ${media.status}`);
    const withFile = await send(owner, general.id, { content: 'file', attachments: [att.id] });
    s.eq(
      withFile.body?.attachments?.map((x: Json) => x.id),
      [att.id],
      'message attachments',
    );
    const empty = await fetch(`${app.api}/attachments`, {
      method: 'POST',
      headers: { authorization: `Bearer ${owner.token}` },
      body: new FormData(),
    });
    s.ok(empty.status === 400, `POST /attachments with no file: ${empty.status}`);
    const notForm = await call('POST', '/attachments', owner, { file: 'x' });
    s.error(notForm, 415, 'POST /attachments as JSON');

    const emoji = await call('POST', `/servers/${server.id}/emojis`, owner, {
      name: 'dot',
      image: `data:image/png;base64,${PNG.toString('base64')}`,
    });
    s.status(emoji, 201, 'POST emoji');
    s.created(emoji.body, 'emoji');
    s.ok(typeof emoji.body?.url === 'string', 'emoji.url');
    const list = await call('GET', `/servers/${server.id}/emojis`, owner);
    s.eq(
      mapped(list.body, (e) => e.id),
      [emoji.body?.id],
      'GET emojis',
    );
    const renamed = await call('PATCH', `/servers/${server.id}/emojis/${emoji.body?.id}`, owner, {
      name: 'dot2',
    });
    s.status(renamed, 200, 'PATCH emoji');
    s.eq(renamed.body?.name, 'dot2', 'renamed emoji');
    const custom = encodeURIComponent(`dot2:${emoji.body?.id}`);
    const msg = (await send(owner, general.id, { content: 'react' })).body;
    s.status(
      await call('PUT', `/channels/${general.id}/messages/${msg.id}/reactions/${custom}/@me`, owner),
      204,
      'react with name:id',
    );
    const reacted = (await call('GET', `/channels/${general.id}/messages/${msg.id}`, owner)).body;
    s.eq(reacted?.reactions?.length, 1, 'custom emoji reaction listed');
    s.status(
      await call('DELETE', `/servers/${server.id}/emojis/${emoji.body?.id}`, owner),
      204,
      'DELETE emoji',
    );
    s.done();
  });
});

describe('webhooks, bots, applications', () => {
  it('incoming webhooks: create, list, execute with and without wait', async () => {
    const s = new Sweep();
    const { owner, m, general } = await ownerAndMember(s);
    const hook = await call('POST', `/channels/${general.id}/webhooks`, owner, { name: 'hook' });
    s.status(hook, 201, 'POST webhooks');
    s.snowflake(hook.body?.id, 'webhook.id');
    s.ok(typeof hook.body?.token === 'string' && typeof hook.body?.url === 'string', 'webhook {token, url}');
    s.ok(
      hook.body?.url?.includes(`/webhooks/${hook.body?.id}/${hook.body?.token}`),
      `webhook url ${hook.body?.url}`,
    );
    const list = await call('GET', `/channels/${general.id}/webhooks`, owner);
    s.eq(
      mapped(list.body, (w) => w.id),
      [hook.body?.id],
      'GET webhooks',
    );
    s.error(
      await call('GET', `/channels/${general.id}/webhooks`, m),
      403,
      'GET webhooks without MANAGE_WEBHOOKS',
    );
    const path = `/webhooks/${hook.body.id}/${hook.body.token}`;
    const noWait = await call('POST', path, null, { content: 'from a hook' });
    s.status(noWait, 204, 'execute without wait');
    const wait = await call('POST', `${path}?wait=true`, null, { content: 'waited', username: 'Hooky' });
    s.ok(wait.status === 200, `execute ?wait=true: ${wait.status}`);
    checkMessage(s, wait.body, 'webhook message');
    s.eq(wait.body?.webhook_id, hook.body.id, 'webhook message webhook_id');
    const wrongToken = await call('POST', `/webhooks/${hook.body.id}/wrongtoken`, null, { content: 'x' });
    s.ok(
      wrongToken.status === 401 || wrongToken.status === 404,
      `execute with a wrong token: ${wrongToken.status}`,
    );
    s.error(await call('POST', path, null, {}), 400, 'execute with nothing', undefined, ['content']);
    const deliveries = await call('GET', `/webhooks/${hook.body.id}/deliveries`, owner);
    s.status(deliveries, 200, 'GET webhook deliveries');
    s.done();
  });

  it('bots: application, Bot auth, slash command, interaction round trip', async () => {
    const s = new Sweep();
    const { owner, m, server, general } = await ownerAndMember(s);
    const created = await call('POST', '/applications', owner, { name: 'sweepbot' });
    s.status(created, 201, 'POST /applications');
    const appId = (created.body?.application?.id ?? created.body?.id) as string;
    const botToken = (created.body?.token ?? created.body?.bot?.token) as string;
    const botUser = created.body?.bot ?? created.body?.bot_user ?? created.body?.user;
    s.ok(
      typeof botToken === 'string',
      `application answer has a bot token: ${JSON.stringify(created.body)?.slice(0, 300)}`,
    );
    s.ok(botUser?.id, 'application answer has the bot user');
    const listed = await call('GET', '/applications', owner);
    s.ok(
      (listed.body as Json[])?.some((a) => a.id === appId),
      'GET /applications',
    );
    const bot: Caller = { token: botToken, bot: true };
    const me = await call('GET', '/users/@me', bot);
    s.status(me, 200, 'GET /users/@me as Bot');
    s.eq(me.body?.id, botUser?.id, 'the bot is its user');
    s.error(await call('GET', '/users/@me', { token: botToken }), 401, 'a bot token under Bearer');
    s.error(
      await call('GET', '/users/@me', { token: owner.token, bot: true }),
      401,
      'a user token under Bot',
    );
    const added = await call('POST', `/servers/${server.id}/bots`, owner, { application_id: appId });
    s.status(added, 201, 'add the bot to a server');
    const botMsg = await send(bot, general.id, { content: 'beep' });
    s.ok(botMsg.status < 300, `bot sends: ${botMsg.status}`);
    s.eq(botMsg.body?.author_id, botUser?.id, 'bot message author');

    const cmds = await call('PUT', `/applications/${appId}/commands`, owner, [
      { name: 'ping', description: 'pong' },
    ]);
    s.status(cmds, 200, 'PUT commands');
    s.eq(
      mapped(cmds.body, (c) => c.name),
      ['ping'],
      'registered commands',
    );
    const scoped = await call('PUT', `/applications/${appId}/commands?server_id=${server.id}`, owner, [
      { name: 'local', description: 'here' },
    ]);
    s.status(scoped, 200, 'PUT commands ?server_id=');
    const gw = await gateway(app.origin, { token: botToken });
    if (s.problems.length) s.done();
    const invoke = call('POST', '/interactions', m, {
      command: 'ping',
      options: [],
      channel_id: general.id,
    });
    const [frame] = await gw.waitForFrames(1, (f) => f.t === 'INTERACTION_CREATE');
    const d = frame!.d as Json;
    s.ok(d.id && d.token, `INTERACTION_CREATE carries id and token: ${JSON.stringify(d).slice(0, 200)}`);
    const cb = await call('POST', `/interactions/${d.id}/${d.token}/callback`, null, {
      type: 'message',
      data: { content: 'pong' },
    });
    s.ok(cb.status === 204 || cb.status === 200, `callback: ${cb.status}`);
    const result = await invoke;
    s.status(result, 200, 'POST /interactions');
    s.eq(result.body?.message?.content, 'pong', 'the interaction answer');
    s.done();
  });
});

describe('moderation, admin, push, notifications', () => {
  it('reports, automod, admin 403 for non-admins', async () => {
    const s = new Sweep();
    const { owner, m, server, general } = await ownerAndMember(s);
    const target = (await send(owner, general.id, { content: 'report me' })).body;
    const report = await call('POST', '/reports', m, {
      target_type: 'message',
      target_id: target.id,
      reason: 'rude',
    });
    s.status(report, 201, 'POST /reports');
    s.created(report.body, 'report');
    s.error(
      await call('POST', '/reports', m, { target_type: 'server', reason: '' }),
      400,
      'bad report',
      undefined,
      ['target_type', 'target_id', 'reason'],
    );
    const userReport = await call('POST', '/reports', m, {
      target_type: 'user',
      target_id: owner.id,
      reason: 'spam',
    });
    s.status(userReport, 201, 'report a user');
    const triage = await call('GET', `/servers/${server.id}/reports`, owner);
    s.status(triage, 200, 'GET server reports');
    s.ok(
      (triage.body as Json[])?.some((r) => r.id === report.body?.id),
      'the report is listed for moderators',
    );
    s.error(
      await call('GET', `/servers/${server.id}/reports`, m),
      403,
      'a member without moderation reads reports',
    );
    const patched = await call('PATCH', `/servers/${server.id}/reports/${report.body?.id}`, owner, {
      status: 'resolved',
    });
    s.status(patched, 200, 'PATCH server report');
    s.eq(patched.body?.status, 'resolved', 'report status');

    const rule = await call('POST', `/servers/${server.id}/automod/rules`, owner, {
      name: 'no bananas',
      trigger_type: 'keyword',
      trigger: { keywords: ['banana'] },
      actions: [{ type: 'block' }],
    });
    s.status(rule, 201, 'POST automod rule');
    s.snowflake(rule.body?.id, 'rule.id');
    const rules = await call('GET', `/servers/${server.id}/automod/rules`, owner);
    s.eq(
      mapped(rules.body, (r) => r.id),
      [rule.body?.id],
      'GET automod rules',
    );
    const blocked = await send(m, general.id, { content: 'I like banana' });
    s.error(blocked, 400, 'a message an automod rule blocks');
    s.ok(
      blocked.status !== 400 ||
        JSON.stringify(blocked.body).includes(rule.body?.id) ||
        JSON.stringify(blocked.body).includes('no bananas'),
      'the automod refusal names the rule',
    );
    const mention = await call('POST', `/servers/${server.id}/automod/rules`, owner, {
      name: 'mentions',
      trigger_type: 'mention-spam',
      trigger: { mention_limit: 5 },
      actions: [{ type: 'block' }],
    });
    s.status(mention, 201, 'automod mention-spam rule');
    const off = await call('PATCH', `/servers/${server.id}/automod/rules/${rule.body?.id}`, owner, {
      enabled: false,
    });
    s.status(off, 200, 'PATCH automod rule');
    s.eq(off.body?.enabled, false, 'rule disabled');
    s.ok(
      (await send(m, general.id, { content: 'banana again' })).status < 300,
      'a disabled rule blocks nothing',
    );
    s.status(
      await call('DELETE', `/servers/${server.id}/automod/rules/${rule.body?.id}`, owner),
      204,
      'DELETE automod rule',
    );
    s.error(await call('GET', `/servers/${server.id}/automod/rules`, m), 403, 'a member reads automod rules');

    for (const path of ['/admin/security-events', '/admin/ip-rules', '/admin/stats', '/admin/queues']) {
      const res = await call('GET', path, m);
      s.error(res, 403, `GET ${path} by a non-admin`);
    }
    s.error(
      await call('PUT', '/admin/ip-rules', m, { rules: [] }),
      403,
      'PUT /admin/ip-rules by a non-admin',
    );
    s.error(await call('GET', '/admin/stats'), 401, 'GET /admin/stats anonymous');
    // An instance admin (granted as `cli admin grant` does).
    const token = await adminToken(owner);
    if (token) {
      const admin = { token };
      const events = await call('GET', '/admin/security-events', admin);
      s.status(events, 200, 'GET /admin/security-events as admin');
      const ev = (Array.isArray(events.body) ? events.body : events.body?.events) as Json[];
      s.ok(Array.isArray(ev), 'security events list');
      for (const e of (ev ?? []).slice(0, 3)) s.created(e, 'security event');
      const stats = await call('GET', '/admin/stats', admin);
      s.status(stats, 200, 'GET /admin/stats as admin');
      for (const key of ['users', 'servers', 'messages'])
        s.ok(JSON.stringify(stats.body).includes(`"${key}"`), `admin stats lacks ${key}`);
      const ipRules = await call('GET', '/admin/ip-rules', admin);
      s.status(ipRules, 200, 'GET /admin/ip-rules as admin');
      // PUT replaces the instance's rules: only on an instance the sweep started itself.
      if (local) {
        s.error(
          await call('PUT', '/admin/ip-rules', admin, { rules: [{ cidr: 'not-a-cidr', action: 'deny' }] }),
          400,
          'a bad CIDR',
        );
        const putRules = await call('PUT', '/admin/ip-rules', admin, {
          rules: [{ cidr: '203.0.113.0/24', action: 'deny' }],
        });
        s.status(putRules, 200, 'PUT /admin/ip-rules as admin');
        await call('PUT', '/admin/ip-rules', admin, { rules: [] });
      }
      s.status(await call('GET', '/admin/queues', admin), 200, 'GET /admin/queues as admin');
    }
    s.done();
  }, 60_000);

  it('push subscriptions and the notification stream', async () => {
    const s = new Sweep();
    const { owner, m, general } = await ownerAndMember(s);
    const ecdh = crypto.createECDH('prime256v1');
    ecdh.generateKeys();
    const sub = {
      // Never contacted: the subscription is gone before anything is pushed.
      endpoint: `https://push.example.test/send/${crypto.randomBytes(6).toString('hex')}`,
      keys: {
        p256dh: ecdh.getPublicKey().toString('base64url'),
        auth: crypto.randomBytes(16).toString('base64url'),
      },
    };
    const created = await call('POST', '/users/@me/push-subscriptions', m, sub);
    s.ok(
      created.status === 201 || created.status === 200,
      `POST push subscription: ${created.status} ${JSON.stringify(created.body)}`,
    );
    s.error(
      await call('POST', '/users/@me/push-subscriptions', m, { endpoint: 'nope', keys: {} }),
      400,
      'a bad subscription',
      undefined,
      ['endpoint'],
    );
    s.status(await call('DELETE', '/users/@me/push-subscriptions', m, sub), 204, 'DELETE push subscription');

    const mention = (await send(owner, general.id, { content: `hey <@${m.id}>` })).body;
    const reply = (
      await send(owner, general.id, {
        content: 'replying',
        reply_to: (await send(m, general.id, { content: 'mine' })).body.id,
      })
    ).body;
    const stream = await eventually(async () => {
      const res = await call('GET', '/users/@me/notifications', m);
      const list = (Array.isArray(res.body) ? res.body : res.body?.notifications) as Json[] | undefined;
      return list && list.length >= 2 ? list : undefined;
    }, 5000);
    s.ok(stream, 'mention and reply notifications listed');
    for (const n of stream ?? []) {
      s.created(n, 'notification');
      s.ok(
        'read' in n || 'read_at' in n || 'acked' in n,
        `notification lacks read state: ${JSON.stringify(n)}`,
      );
    }
    const msgIds = (stream ?? []).map((n) => n.message_id ?? n.message?.id);
    s.ok(
      msgIds.includes(mention?.id) && msgIds.includes(reply?.id),
      `notifications name the messages: ${JSON.stringify(stream)?.slice(0, 300)}`,
    );
    s.done();
  });
});

describe('rate limits', () => {
  it('headers on limited routes; 429 with retry_after and Retry-After', async () => {
    const s = new Sweep();
    const owner = await register(s);
    const res = await call('GET', '/users/@me', owner);
    for (const h of [
      'x-ratelimit-limit',
      'x-ratelimit-remaining',
      'x-ratelimit-reset',
      'x-ratelimit-reset-after',
      'x-ratelimit-bucket',
    ]) {
      s.ok(res.headers.get(h) !== null, `GET /users/@me lacks ${h}`);
    }
    const reset = Number(res.headers.get('x-ratelimit-reset'));
    s.ok(
      Number.isFinite(reset) && Math.abs(reset - Date.now() / 1000) < 3600,
      `X-RateLimit-Reset ${res.headers.get('x-ratelimit-reset')} is not unix seconds`,
    );
    s.ok(
      /^\d+(\.\d+)?$/.test(res.headers.get('x-ratelimit-reset-after') ?? ''),
      'X-RateLimit-Reset-After is seconds',
    );
    s.ok(/^\d+\.\d+$/.test(res.headers.get('x-ratelimit-reset') ?? ''), 'X-RateLimit-Reset is a float');
    s.ok(
      Number(res.headers.get('x-ratelimit-remaining')) < Number(res.headers.get('x-ratelimit-limit')),
      'Remaining below Limit after a request',
    );
    // Message sends: 10 per 10 s per channel.
    const { general } = await makeServer(s, owner);
    let limited: ApiResponse | undefined;
    for (let i = 0; i < 15 && !limited; i++) {
      const r = await send(owner, general.id, { content: `burst ${i}` });
      if (r.status === 429) limited = r;
    }
    s.ok(limited, 'no 429 after 15 sends in a row');
    if (limited) {
      s.error(limited, 429, 'the 429');
      s.ok(
        typeof limited.body?.retry_after === 'number' && limited.body.retry_after > 0,
        `retry_after ${limited.body?.retry_after}`,
      );
      s.ok(
        /^[1-9]\d*$/.test(limited.headers.get('retry-after') ?? ''),
        `Retry-After ${limited.headers.get('retry-after')} is not whole seconds (RFC 9110)`,
      );
      s.eq(limited.headers.get('x-ratelimit-remaining'), '0', 'X-RateLimit-Remaining on a 429');
    }
    s.done();
  });
});

describe('gateway', () => {
  it('READY first, numbered dispatches, client commands with acks', async () => {
    const s = new Sweep();
    const { owner, m, server, general } = await ownerAndMember(s);
    const gw = await gateway(app.origin, { token: m.token });
    const gwOwner = await gateway(app.origin, { token: owner.token });
    const ready = gw.frames[0]!;
    s.eq(ready.t, 'READY', 'the first dispatch');
    s.ok(Number.isInteger(ready.s), `READY.s ${ready.s}`);
    const d = ready.d as Json;
    for (const key of ['session_id', 'user', 'servers', 'channels', 'presences', 'read_states'])
      s.ok(key in d, `READY lacks ${key}`);
    s.eq(d.user?.id, m.id, 'READY.user');
    s.ok(
      d.servers?.some((x: Json) => x.id === server.id),
      'READY.servers lists the server',
    );
    s.ok(
      d.channels?.some((x: Json) => x.id === general.id),
      'READY.channels lists general',
    );

    const sent = (await send(owner, general.id, { content: 'over the gateway', nonce: 'gw-1' })).body;
    const [created] = await gw.waitForFrames(
      1,
      (f) => f.t === 'MESSAGE_CREATE' && (f.d as Json).nonce === 'gw-1',
    );
    checkMessage(s, created!.d, 'MESSAGE_CREATE');
    s.eq((created!.d as Json).id, sent.id, 'MESSAGE_CREATE is the sent message');
    await call('PATCH', `/channels/${general.id}/messages/${sent.id}`, owner, { content: 'changed' });
    await gw.waitForFrames(1, (f) => f.t === 'MESSAGE_UPDATE');
    await call(
      'PUT',
      `/channels/${general.id}/messages/${sent.id}/reactions/${encodeURIComponent('🔥')}/@me`,
      owner,
    );
    await gw.waitForFrames(1, (f) => f.t === 'MESSAGE_REACTION_ADD');
    await call('DELETE', `/channels/${general.id}/messages/${sent.id}`, owner);
    await gw.waitForFrames(1, (f) => f.t === 'MESSAGE_DELETE');
    const seqs = gw.frames.map((f) => f.s);
    s.eq(
      seqs,
      seqs.map((_, i) => seqs[0]! + i),
      's increases by 1',
    );
    for (const f of gw.frames)
      s.ok(
        typeof f.t === 'string' && 'd' in f,
        `a dispatch without {t, s, d}: ${JSON.stringify(f).slice(0, 100)}`,
      );

    // Client commands: acked.
    const presence = await gw.command('presence_update', {
      status: 'idle',
      activity: { name: 'sweeping' },
    });
    s.eq(presence.ok, true, `presence_update ack ${JSON.stringify(presence)}`);
    const seen = await gwOwner
      .waitForFrames(
        1,
        (f) =>
          f.t === 'PRESENCE_UPDATE' && ((f.d as Json).user?.id === m.id || (f.d as Json).user_id === m.id),
      )
      .catch(() => []);
    s.ok(seen.length === 1, 'PRESENCE_UPDATE reaches a fellow member');
    s.eq(((seen[0]?.d ?? {}) as Json).status, 'idle', 'PRESENCE_UPDATE.status');
    const badPresence = await gw.command('presence_update', { status: 'sleeping' });
    s.eq(
      [badPresence.ok, typeof badPresence.code, Object.keys(badPresence.errors ?? {})],
      [false, 'string', ['status']],
      'presence_update with a bad status',
    );
    const typing = await gw.command('typing_start', { channel_id: general.id });
    s.eq(typing.ok, true, `typing_start ack ${JSON.stringify(typing)}`);
    const typed = await gwOwner.waitForFrames(1, (f) => f.t === 'TYPING_START').catch(() => []);
    s.ok(typed.length === 1, 'TYPING_START reaches the channel');
    const members = await gw.command('request_members', { server_id: server.id });
    s.eq(members.ok, true, `request_members ack ${JSON.stringify(members).slice(0, 200)}`);
    s.ok(JSON.stringify(members).includes(owner.id), 'request_members answers the members');
    const voiceText = await gw.command('voice_state_update', {
      channel_id: general.id,
      self_mute: false,
      self_deaf: false,
    });
    s.eq(
      [voiceText.ok, Object.keys(voiceText.errors ?? {})],
      [false, ['channel_id']],
      'voice_state_update into a text channel',
    );
    const voiceNone = await gw.command('voice_state_update', {
      channel_id: null,
      self_mute: false,
      self_deaf: false,
    });
    s.eq(voiceNone.ok, true, `voice_state_update leaving ${JSON.stringify(voiceNone)}`);
    const unknownServer = await gw.command('request_members', { server_id: '123456789012345678' });
    s.eq(
      [unknownServer.ok, unknownServer.code],
      [false, 'unknown_server'],
      'request_members of an unknown server',
    );
    s.done();
  });

  it('resume replays then RESUMED; a bad resume gets INVALID_SESSION and a fresh READY', async () => {
    const s = new Sweep();
    const owner = await register(s);
    const { general } = await makeServer(s, owner);
    const gw = await gateway(app.origin, { token: owner.token });
    const sessionId = (gw.frames[0]!.d as Json).session_id as string;
    await send(owner, general.id, { content: 'one' });
    await gw.waitForFrames(1, (f) => f.t === 'MESSAGE_CREATE');
    const seq = gw.lastSeq();
    gw.close();
    const missed = [
      (await send(owner, general.id, { content: 'two' })).body.id,
      (await send(owner, general.id, { content: 'three' })).body.id,
    ];
    const resumed = await gateway(
      app.origin,
      { token: owner.token, session_id: sessionId, seq },
      '/gateway',
      (f) => f.t === 'RESUMED',
    );
    const replay = resumed.frames.filter((f) => f.t === 'MESSAGE_CREATE').map((f) => (f.d as Json).id);
    s.eq(replay, missed, 'the missed messages replayed in order');
    const last = resumed.frames.at(-1)!;
    s.eq(last.t, 'RESUMED', 'RESUMED after the replay');
    s.ok(!resumed.frames.some((f) => f.t === 'READY'), 'no READY on a resume');
    const nums = resumed.frames.filter((f) => f.t !== 'RESUMED').map((f) => f.s);
    s.eq(
      nums,
      nums.map((_, i) => seq + 1 + i),
      'replayed frames numbered from seq+1',
    );
    await send(owner, general.id, { content: 'four' });
    const [after] = await resumed.waitForFrames(3, (f) => f.t === 'MESSAGE_CREATE');
    s.ok(after, 'live events after RESUMED');
    const bad = await gateway(app.origin, { token: owner.token, session_id: 'no-such-session', seq: 3 });
    const types = bad.frames.map((f) => f.t);
    s.eq(types.slice(0, 2), ['INVALID_SESSION', 'READY'], 'INVALID_SESSION then a fresh READY');
    const refused = await new Promise<Json>((resolve) => {
      const socket = io(app.origin, {
        path: '/gateway',
        transports: ['websocket'],
        auth: { token: 'nonsense' },
        reconnection: false,
        forceNew: true,
      });
      socket.once('connect', () => {
        socket.disconnect();
        resolve({ connected: true });
      });
      socket.once('connect_error', (err: Json) => {
        socket.disconnect();
        resolve(err.data ?? { message: err.message });
      });
    });
    s.ok(!refused.connected, 'a bad token connects to the gateway');
    s.done();
  });

  it("losing VIEW_CHANNEL stops that channel's events at once; a revoked session is disconnected", async () => {
    const s = new Sweep();
    const { owner, m, server, general } = await ownerAndMember(s);
    const secret = (
      await call('POST', `/servers/${server.id}/channels`, owner, { name: 'secret', channel_type: 'text' })
    ).body;
    const gw = await gateway(app.origin, { token: m.token });
    await send(owner, secret.id, { content: 'visible' });
    await gw.waitForFrames(1, (f) => f.t === 'MESSAGE_CREATE' && (f.d as Json).channel_id === secret.id);
    const hide = await call('PUT', `/channels/${secret.id}/permissions/${m.id}`, owner, {
      type: 'member',
      allow: '0',
      deny: bits(P.VIEW_CHANNEL),
    });
    s.status(hide, 204, 'hide the channel');
    await send(owner, secret.id, { content: 'hidden' });
    const marker = (await send(owner, general.id, { content: 'marker' })).body;
    await gw.waitForFrames(1, (f) => f.t === 'MESSAGE_CREATE' && (f.d as Json).id === marker.id);
    const leaked = gw.frames.filter((f) => f.t === 'MESSAGE_CREATE' && (f.d as Json).content === 'hidden');
    s.eq(leaked.length, 0, "a hidden channel's message reached the member");
    s.ok(
      gw.frames.some((f) => f.t === 'CHANNEL_DELETE' && (f.d as Json).id === secret.id),
      'the member is told the channel went away (CHANNEL_DELETE)',
    );

    const sessions = (await call('GET', '/users/@me/sessions', m)).body as Json[];
    const current = sessions.find((x) => x.current);
    const second = (await call('POST', '/auth/login', null, { login: m.username, password: m.password })).body
      .token as string;
    const disconnected = closedWithin(gw);
    s.status(
      await call('DELETE', `/users/@me/sessions/${current.id}`, { token: second }),
      204,
      'revoke the connected session',
    );
    s.ok(await disconnected, "the revoked session's gateway connection stays open");
    s.done();
  });
});

describe('less-trodden corners', () => {
  it('gateway dispatch families: CHANNEL_*, SERVER_*, SERVER_MEMBER_*, ROLE_*, THREAD_*, RELATIONSHIP_*, NOTIFICATION_CREATE', async () => {
    const s = new Sweep();
    const owner = await register(s);
    const m = await register(s);
    const { server, general } = await makeServer(s, owner);
    const gwOwner = await gateway(app.origin, { token: owner.token });
    const gwM = await gateway(app.origin, { token: m.token });
    await joinServer(m, owner, general.id);
    await gwM
      .waitForFrames(1, (f) => f.t === 'SERVER_CREATE')
      .catch(() => s.problems.push('joining sends SERVER_CREATE to the joiner'));
    const wait = async (client: GatewayClient, t: string) => {
      const got = await client.waitForFrames(1, (f) => f.t === t, 5000).catch(() => []);
      s.ok(got.length > 0, `no ${t} dispatch`);
      return got[0]?.d as Json;
    };
    const added = await wait(gwOwner, 'SERVER_MEMBER_ADD');
    s.ok(JSON.stringify(added ?? {}).includes(m.id), 'SERVER_MEMBER_ADD names the member');
    const ch = (
      await call('POST', `/servers/${server.id}/channels`, owner, { name: 'events', channel_type: 'text' })
    ).body;
    const created = await wait(gwM, 'CHANNEL_CREATE');
    if (created) checkChannel(s, created, 'CHANNEL_CREATE');
    await call('PATCH', `/channels/${ch.id}`, owner, { topic: 'changed' });
    await wait(gwM, 'CHANNEL_UPDATE');
    await call('PATCH', `/servers/${server.id}`, owner, { description: 'changed' });
    const updated = await wait(gwM, 'SERVER_UPDATE');
    if (updated) checkServer(s, updated, 'SERVER_UPDATE');
    const role = (await call('POST', `/servers/${server.id}/roles`, owner, { name: 'r', permissions: '0' }))
      .body;
    await wait(gwM, 'ROLE_CREATE');
    await call('PATCH', `/servers/${server.id}/roles/${role.id}`, owner, { name: 'r2' });
    await wait(gwM, 'ROLE_UPDATE');
    await call('PUT', `/servers/${server.id}/members/${m.id}/roles/${role.id}`, owner);
    await wait(gwM, 'SERVER_MEMBER_UPDATE');
    await call('DELETE', `/servers/${server.id}/roles/${role.id}`, owner);
    await wait(gwM, 'ROLE_DELETE');
    const thread = (await call('POST', `/channels/${ch.id}/threads`, owner, { name: 'th' })).body;
    const th = await wait(gwM, 'THREAD_CREATE');
    s.eq(th?.id, thread?.id, 'THREAD_CREATE is the thread');
    await call('DELETE', `/channels/${ch.id}`, owner);
    await wait(gwM, 'CHANNEL_DELETE');
    await send(owner, general.id, { content: `ping <@${m.id}>` });
    await wait(gwM, 'NOTIFICATION_CREATE');
    await call('PUT', `/users/@me/relationships/${owner.id}`, m, { status: 'friend' });
    const rel = await gwOwner.waitForFrames(1, (f) => f.t.startsWith('RELATIONSHIP_'), 5000).catch(() => []);
    s.ok(rel.length > 0, 'a friend request sends a RELATIONSHIP_* dispatch');
    await call('DELETE', `/servers/${server.id}/members/${m.id}`, owner);
    await wait(gwOwner, 'SERVER_MEMBER_REMOVE');
    // The removed member learns it (Discord sends GUILD_DELETE; SERVER_MEMBER_REMOVE naming them does too).
    const gone = await gwM
      .waitForFrames(
        1,
        (f) =>
          f.t === 'SERVER_DELETE' || (f.t === 'SERVER_MEMBER_REMOVE' && JSON.stringify(f.d).includes(m.id)),
        5000,
      )
      .catch(() => []);
    s.ok(gone.length > 0, 'the kicked member is told');
    s.done();
  });

  it('voice: VOICE_SERVER_UPDATE {endpoint, token, router_rtp_capabilities}; /voice signaling acks', async () => {
    const s = new Sweep();
    const owner = await register(s);
    const { server } = await makeServer(s, owner);
    const vc = (
      await call('POST', `/servers/${server.id}/channels`, owner, { name: 'talk', channel_type: 'voice' })
    ).body;
    const gw = await gateway(app.origin, { token: owner.token });
    const ack = await gw.command('voice_state_update', {
      channel_id: vc.id,
      self_mute: false,
      self_deaf: false,
    });
    s.eq(ack.ok, true, `voice_state_update ack ${JSON.stringify(ack)}`);
    const [update] = await gw.waitForFrames(1, (f) => f.t === 'VOICE_SERVER_UPDATE', 5000).catch(() => []);
    const d = (update?.d ?? {}) as Json;
    s.ok(
      typeof d.endpoint === 'string' && typeof d.token === 'string' && d.router_rtp_capabilities,
      `VOICE_SERVER_UPDATE ${JSON.stringify(d).slice(0, 200)}`,
    );
    const state = await gw.waitForFrames(1, (f) => f.t === 'VOICE_STATE_UPDATE', 5000).catch(() => []);
    s.ok(state.length > 0, 'VOICE_STATE_UPDATE dispatched');
    // API.md names the namespace, not the socket.io path: VOICE_SERVER_UPDATE carries it as `path`
    // (README, Decisions: voice signaling's path).
    s.ok(typeof d.path === 'string', 'VOICE_SERVER_UPDATE names the socket.io path of /voice');
    s.eq(await tryVoiceCommand(d, d.path as string), 'ok', '/voice create_transport');
    // A client that read only API.md connects to `${endpoint}/voice` on socket.io's default path.
    await gw.command('voice_state_update', { channel_id: null, self_mute: false, self_deaf: false });
    await gw.command('voice_state_update', { channel_id: vc.id, self_mute: false, self_deaf: false });
    const [again] = await gw
      .waitForFrames(2, (f) => f.t === 'VOICE_SERVER_UPDATE', 5000)
      .then((frames) => frames.slice(1))
      .catch(() => []);
    s.eq(
      await tryVoiceCommand((again?.d ?? {}) as Json, undefined),
      'ok',
      '/voice create_transport on socket.io’s default path',
    );
    await gw.command('voice_state_update', { channel_id: null, self_mute: false, self_deaf: false });
    s.done();
  });

  it('404 rather than 403 on every route of a server or channel the caller cannot see', async () => {
    const s = new Sweep();
    const owner = await register(s);
    const outsider = await register(s);
    const member = await register(s);
    const { server, general } = await makeServer(s, owner);
    await joinServer(member, owner, general.id);
    const hidden = (
      await call('POST', `/servers/${server.id}/channels`, owner, { name: 'hidden', channel_type: 'text' })
    ).body;
    const msg = (await send(owner, hidden.id, { content: 'secret' })).body;
    const role = (await call('POST', `/servers/${server.id}/roles`, owner, { name: 'r', permissions: '0' }))
      .body;
    await call('PUT', `/channels/${hidden.id}/permissions/${server.id}`, owner, {
      type: 'role',
      allow: '0',
      deny: bits(P.VIEW_CHANNEL),
    });
    const thumbs = encodeURIComponent('👍');
    const channelRoutes: [string, string, unknown?][] = [
      ['GET', `/channels/${hidden.id}`],
      ['PATCH', `/channels/${hidden.id}`, { name: 'x' }],
      ['DELETE', `/channels/${hidden.id}`],
      ['PUT', `/channels/${hidden.id}/permissions/${member.id}`, { type: 'member', allow: '0', deny: '0' }],
      ['GET', `/channels/${hidden.id}/messages`],
      ['POST', `/channels/${hidden.id}/messages`, { content: 'x' }],
      ['GET', `/channels/${hidden.id}/messages/${msg.id}`],
      ['PATCH', `/channels/${hidden.id}/messages/${msg.id}`, { content: 'x' }],
      ['DELETE', `/channels/${hidden.id}/messages/${msg.id}`],
      ['POST', `/channels/${hidden.id}/messages/bulk-delete`, { messages: [msg.id, general.id] }],
      ['GET', `/channels/${hidden.id}/pins`],
      ['PUT', `/channels/${hidden.id}/pins/${msg.id}`],
      ['PUT', `/channels/${hidden.id}/messages/${msg.id}/reactions/${thumbs}/@me`],
      ['GET', `/channels/${hidden.id}/messages/${msg.id}/reactions/${thumbs}`],
      ['POST', `/channels/${hidden.id}/typing`],
      ['POST', `/channels/${hidden.id}/messages/${msg.id}/threads`, { name: 't' }],
      ['POST', `/channels/${hidden.id}/threads`, { name: 't' }],
      ['POST', `/channels/${hidden.id}/invites`, {}],
      ['GET', `/channels/${hidden.id}/webhooks`],
      ['POST', `/channels/${hidden.id}/webhooks`, { name: 'w' }],
    ];
    for (const [method, path, body] of channelRoutes) {
      s.error(
        await call(method, path, member, body),
        404,
        `member without VIEW_CHANNEL: ${method} ${path.replace(/\d{6,}/g, '{id}')}`,
      );
      s.error(
        await call(method, path, outsider, body),
        404,
        `outsider: ${method} ${path.replace(/\d{6,}/g, '{id}')}`,
      );
    }
    const serverRoutes: [string, string, unknown?][] = [
      ['POST', `/servers/${server.id}/channels`, { name: 'x', channel_type: 'text' }],
      ['GET', `/servers/${server.id}/members/${owner.id}`],
      ['PATCH', `/servers/${server.id}/members/${member.id}`, { nick: 'x' }],
      ['DELETE', `/servers/${server.id}/members/${member.id}`],
      ['PUT', `/servers/${server.id}/bans/${member.id}`, {}],
      ['DELETE', `/servers/${server.id}/bans/${member.id}`],
      ['POST', `/servers/${server.id}/roles`, { name: 'x' }],
      ['PATCH', `/servers/${server.id}/roles/${role.id}`, { name: 'x' }],
      ['DELETE', `/servers/${server.id}/roles/${role.id}`],
      ['PUT', `/servers/${server.id}/members/${member.id}/roles/${role.id}`],
      ['DELETE', `/servers/${server.id}/members/${member.id}/roles/${role.id}`],
      [
        'POST',
        `/servers/${server.id}/emojis`,
        { name: 'xx', image: `data:image/png;base64,${PNG.toString('base64')}` },
      ],
      ['GET', `/servers/${server.id}/reports`],
      ['GET', `/servers/${server.id}/automod/rules`],
      [
        'POST',
        `/servers/${server.id}/automod/rules`,
        { name: 'x', trigger_type: 'keyword', trigger: { keywords: ['x'] }, actions: [{ type: 'block' }] },
      ],
    ];
    for (const [method, path, body] of serverRoutes) {
      s.error(
        await call(method, path, outsider, body),
        404,
        `outsider: ${method} ${path.replace(/\d{6,}/g, '{id}')}`,
      );
    }
    // Reporting what one cannot see: as if it did not exist.
    s.error(
      await call('POST', '/reports', outsider, { target_type: 'message', target_id: msg.id, reason: 'x' }),
      404,
      'reporting a message one cannot see',
    );
    s.done();
  }, 60_000);

  it('a timed-out member keeps only VIEW_CHANNEL and READ_MESSAGE_HISTORY', async () => {
    const s = new Sweep();
    const { owner, m, server, general } = await ownerAndMember(s);
    const msg = (await send(owner, general.id, { content: 'react to me' })).body;
    await call('PATCH', `/servers/${server.id}/members/${m.id}`, owner, {
      communication_disabled_until: Math.floor(Date.now() / 1000) + 600,
    });
    s.status(await call('GET', `/channels/${general.id}`, m), 200, 'timed out: view the channel');
    s.status(await call('GET', `/channels/${general.id}/messages`, m), 200, 'timed out: read history');
    s.error(
      await call(
        'PUT',
        `/channels/${general.id}/messages/${msg.id}/reactions/${encodeURIComponent('👍')}/@me`,
        m,
      ),
      403,
      'timed out: react',
    );
    s.error(await call('POST', `/channels/${general.id}/invites`, m, {}), 403, 'timed out: create an invite');
    s.error(
      await call('POST', `/channels/${general.id}/threads`, m, { name: 't' }),
      403,
      'timed out: start a thread',
    );
    s.error(await call('POST', `/channels/${general.id}/typing`, m), 403, 'timed out: typing');
    const member = (await call('GET', `/servers/${server.id}/members/${m.id}`, owner)).body;
    s.ok(
      JSON.stringify(member).match(/"(communication_disabled_until|timeout_until)":\d+/),
      `the member shows its timeout: ${JSON.stringify(member)}`,
    );
    s.done();
  });

  it('status codes: 413, 415, embeds up to 10, multipart sends, invites used up, rate-limit headers on writes', async () => {
    const s = new Sweep();
    const owner = await register(s);
    const m = await register(s);
    const { general } = await makeServer(s, owner);
    const big = await fetch(`${app.api}/channels/${general.id}/messages`, {
      method: 'POST',
      headers: { authorization: `Bearer ${owner.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ content: 'x'.repeat(5 * 1024 * 1024) }),
    });
    s.ok(big.status === 413, `a 5 MiB JSON body: ${big.status}`);
    const text = await fetch(`${app.api}/channels/${general.id}/messages`, {
      method: 'POST',
      headers: { authorization: `Bearer ${owner.token}`, 'content-type': 'text/plain' },
      body: 'hello',
    });
    s.ok(text.status === 415, `a text/plain body: ${text.status} ${await text.text()}`);
    const embed = { title: 't', description: 'd' };
    const ten = await send(owner, general.id, { embeds: Array.from({ length: 10 }, () => embed) });
    s.ok(ten.status < 300, `10 embeds: ${ten.status}`);
    s.eq(ten.body?.embeds?.length, 10, 'embeds kept');
    s.error(
      await send(owner, general.id, { embeds: Array.from({ length: 11 }, () => embed) }),
      400,
      '11 embeds',
      undefined,
      ['embeds'],
    );
    const multi = await sendWithFile(owner, general.id, 'with a file');
    s.ok(multi.status < 300, `multipart send: ${multi.status} ${JSON.stringify(multi.body).slice(0, 200)}`);
    s.eq([multi.body?.content, multi.body?.attachments?.length], ['with a file', 1], 'multipart message');
    const once = await call('POST', `/channels/${general.id}/invites`, owner, { max_uses: 1 });
    s.ok((await call('POST', `/invites/${once.body.code}`, m)).status < 300, 'first use of a one-use invite');
    const third = await register(s);
    const used = await call('POST', `/invites/${once.body.code}`, third);
    s.ok(used.status === 404 || used.status === 410, `a used-up invite: ${used.status}`);
    const write = await call('POST', `/channels/${general.id}/typing`, owner);
    for (const h of [
      'x-ratelimit-limit',
      'x-ratelimit-remaining',
      'x-ratelimit-reset',
      'x-ratelimit-reset-after',
      'x-ratelimit-bucket',
    ]) {
      s.ok(write.headers.get(h) !== null, `POST typing lacks ${h}`);
    }
    const notFound = await call('GET', '/channels/123456789012345678/messages', owner);
    s.ok(
      notFound.headers.get('x-ratelimit-limit') !== null,
      'a 404 of a limited route lacks X-RateLimit-Limit',
    );
    // Avatar via upload.
    const avatar = await call('PATCH', '/users/@me', owner, {
      avatar: `data:image/png;base64,${PNG.toString('base64')}`,
    });
    s.status(avatar, 200, 'PATCH /users/@me avatar');
    s.ok(/^https?:\/\//.test(avatar.body?.avatar_url ?? ''), `avatar_url ${avatar.body?.avatar_url}`);
    s.done();
  });

  it('lists page as API.md says: default 50, before newest first, after oldest first', async () => {
    const s = new Sweep();
    const owner = await register(s);
    const { server } = await makeServer(s, owner);
    // 55 audit entries: roles and channels created.
    for (let i = 0; i < 28; i++)
      await call('POST', `/servers/${server.id}/roles`, owner, { name: `r${i}`, permissions: '0' });
    for (let i = 0; i < 27; i++)
      await call('POST', `/servers/${server.id}/channels`, owner, { name: `c${i}`, channel_type: 'text' });
    const list = async (q: string) => {
      const res = await call('GET', `/servers/${server.id}/audit-logs${q}`, owner);
      const entries = (
        Array.isArray(res.body) ? res.body : (res.body?.audit_log_entries ?? res.body?.entries)
      ) as Json[];
      return (entries ?? []).map((e) => e.id as string);
    };
    const first = await list('');
    s.eq(first.length, 50, 'audit log default limit');
    const desc = [...first].sort((a, b) => (BigInt(b) > BigInt(a) ? 1 : -1));
    s.eq(first, desc, 'audit log newest first');
    const all = await list('?limit=100');
    s.ok(all.length >= 55, `audit log limit=100 gave ${all.length}`);
    const oldest = all.at(-1)!;
    const after = await list(`?after=${oldest}&limit=3`);
    s.eq(after, [...all].reverse().slice(1, 4), 'audit log after: oldest first');
    const before = await list(`?before=${all[2]}&limit=2`);
    s.eq(before, all.slice(3, 5), 'audit log before: newest first');
    s.error(
      await call('GET', `/servers/${server.id}/audit-logs?limit=101`, owner),
      400,
      'audit log limit=101',
      undefined,
      ['limit'],
    );
    s.done();
  }, 60_000);

  it('sessions that end close their gateway connections: logout, password change, deletion (with 2FA)', async () => {
    const s = new Sweep();
    const a = await register(s);
    const login = async () =>
      (await call('POST', '/auth/login', null, { login: a.username, password: a.password })).body
        .token as string;
    // Logout: the calling session's connection.
    const out = { token: await login() };
    const outGw = await gateway(app.origin, { token: out.token });
    const outClosed = closedWithin(outGw);
    await call('POST', '/auth/logout', out);
    s.ok(await outClosed, 'a logged-out session keeps its gateway connection');
    // Password change: the other sessions' connections.
    const other = { token: await login() };
    const otherGw = await gateway(app.origin, { token: other.token });
    const otherClosed = closedWithin(otherGw);
    const changed = 'changed-password-42';
    await call('PUT', '/users/@me/password', a, { current_password: a.password, password: changed });
    s.ok(await otherClosed, 'another session keeps its gateway connection after a password change');
    a.password = changed;
    const { secret } = await enableMfa(app, a);
    const mine = await gateway(app.origin, { token: a.token });
    const mineClosed = closedWithin(mine);
    s.error(
      await call('DELETE', '/users/@me', a, { password: a.password }),
      400,
      'deletion without the 2FA code',
      undefined,
      ['code'],
    );
    s.status(
      await call('DELETE', '/users/@me', a, { password: a.password, code: await totpCode(secret) }),
      204,
      'deletion with the code',
    );
    s.ok(await mineClosed, "a deleted account's gateway connection stays open");
    s.done();
  });
});

describe('more corners', () => {
  it("resuming another user's session, invisible presence, role-based loss of VIEW_CHANNEL", async () => {
    const s = new Sweep();
    const { owner, m, server, general } = await ownerAndMember(s);
    const gwOwner = await gateway(app.origin, { token: owner.token });
    const ownerSession = (gwOwner.frames[0]!.d as Json).session_id as string;
    // Someone else's session id is not a way into their events.
    const thief = await gateway(app.origin, { token: m.token, session_id: ownerSession, seq: 1 });
    s.eq(
      thief.frames.map((f) => f.t).slice(0, 2),
      ['INVALID_SESSION', 'READY'],
      "resuming another user's session",
    );
    s.eq(
      (thief.frames.find((f) => f.t === 'READY')?.d as Json)?.user?.id,
      m.id,
      "the READY is the caller's own",
    );
    thief.close();

    const gwM = await gateway(app.origin, { token: m.token });
    const ack = await gwM.command('presence_update', { status: 'invisible' });
    s.eq(ack.ok, true, `presence_update invisible ${JSON.stringify(ack)}`);
    const seen = await gwOwner
      .waitForFrames(
        1,
        (f) =>
          f.t === 'PRESENCE_UPDATE' &&
          JSON.stringify(f.d).includes(m.id) &&
          (f.d as Json).status !== 'online',
        5000,
      )
      .catch(() => []);
    s.eq((seen[0]?.d as Json)?.status, 'offline', 'others see an invisible user as offline');

    // Sight through a role: taking the role away stops the channel's events at once.
    const ch = (
      await call('POST', `/servers/${server.id}/channels`, owner, { name: 'club', channel_type: 'text' })
    ).body;
    const role = (
      await call('POST', `/servers/${server.id}/roles`, owner, { name: 'club', permissions: '0' })
    ).body;
    await call('PUT', `/channels/${ch.id}/permissions/${server.id}`, owner, {
      type: 'role',
      allow: '0',
      deny: bits(P.VIEW_CHANNEL),
    });
    await call('PUT', `/channels/${ch.id}/permissions/${role.id}`, owner, {
      type: 'role',
      allow: bits(P.VIEW_CHANNEL),
      deny: '0',
    });
    await call('PUT', `/servers/${server.id}/members/${m.id}/roles/${role.id}`, owner);
    await gwM
      .waitForFrames(1, (f) => f.t === 'CHANNEL_CREATE' && (f.d as Json).id === ch.id, 5000)
      .catch(() => s.problems.push('gaining sight: no CHANNEL_CREATE'));
    const msg = (await send(owner, ch.id, { content: 'members only' })).body;
    await gwM
      .waitForFrames(1, (f) => f.t === 'MESSAGE_CREATE' && (f.d as Json).id === msg.id, 5000)
      .catch(() => s.problems.push("a visible channel's message did not arrive"));
    s.status(
      await call('DELETE', `/servers/${server.id}/members/${m.id}/roles/${role.id}`, owner),
      204,
      'take the role',
    );
    await send(owner, ch.id, { content: 'after the role went' });
    await call(
      'PUT',
      `/channels/${ch.id}/messages/${msg.id}/reactions/${encodeURIComponent('👀')}/@me`,
      owner,
    );
    await call('POST', `/channels/${ch.id}/typing`, owner);
    const marker = (await send(owner, general.id, { content: 'marker' })).body;
    await gwM.waitForFrames(1, (f) => f.t === 'MESSAGE_CREATE' && (f.d as Json).id === marker.id);
    const leaked = gwM.frames
      .filter(
        (f) =>
          JSON.stringify(f.d).includes(ch.id) &&
          f.t !== 'CHANNEL_DELETE' &&
          f.t !== 'CHANNEL_CREATE' &&
          f.s > 0,
      )
      .filter(
        (f) =>
          ['MESSAGE_CREATE', 'MESSAGE_REACTION_ADD', 'TYPING_START'].includes(f.t) &&
          (f.d as Json).content !== 'members only',
      );
    s.eq(
      leaked.map((f) => f.t),
      [],
      'events of a channel the member no longer sees',
    );
    s.done();
  });

  it('PIN_MESSAGES alone pins; registering with an invite joins; anonymous invite preview', async () => {
    const s = new Sweep();
    const { owner, m, server, general } = await ownerAndMember(s);
    const pinner = (
      await call('POST', `/servers/${server.id}/roles`, owner, {
        name: 'pinner',
        permissions: bits(P.PIN_MESSAGES),
      })
    ).body;
    await call('PUT', `/servers/${server.id}/members/${m.id}/roles/${pinner.id}`, owner);
    const msg = (await send(owner, general.id, { content: 'pin me' })).body;
    s.status(await call('PUT', `/channels/${general.id}/pins/${msg.id}`, m), 204, 'PIN_MESSAGES pins');
    s.error(
      await call('DELETE', `/channels/${general.id}/messages/${msg.id}`, m),
      403,
      'PIN_MESSAGES does not delete',
    );

    const invite = (await call('POST', `/channels/${general.id}/invites`, owner, {})).body;
    const anon = await call('GET', `/invites/${invite.code}`);
    s.ok(anon.status === 200 || anon.status === 401, `anonymous invite preview: ${anon.status}`);
    const username = `cs_${crypto.randomBytes(5).toString('hex')}`;
    const reg = await call('POST', '/auth/register', null, {
      username,
      password: 'pw-long-enough-1',
      invite: invite.code,
    });
    s.status(reg, 201, 'register with an invite');
    const servers = (await call('GET', '/users/@me/servers', { token: reg.body?.token })).body;
    s.eq(
      mapped(servers, (x) => x.id),
      [server.id],
      'registering with an invite joins its server',
    );
    const badInvite = await call('POST', '/auth/register', null, {
      username: `${username}x`,
      password: 'pw-long-enough-1',
      invite: 'no-such-invite',
    });
    s.ok(
      badInvite.status === 400 || badInvite.status === 404,
      `register with an unknown invite: ${badInvite.status}`,
    );
    if (badInvite.status === 400)
      s.error(badInvite, 400, 'register with an unknown invite', undefined, ['invite']);
    s.done();
  });
});

describe('who sees what', () => {
  it('search, presences and DMs reach only those who may see them; metrics for admins in Prometheus format', async () => {
    const s = new Sweep();
    const owner = await register(s);
    const m = await register(s);
    const stranger = await register(s);
    const { server, general } = await makeServer(s, owner);
    await joinServer(m, owner, general.id);
    const hidden = (
      await call('POST', `/servers/${server.id}/channels`, owner, { name: 'vault', channel_type: 'text' })
    ).body;
    await call('PUT', `/channels/${hidden.id}/permissions/${server.id}`, owner, {
      type: 'role',
      allow: '0',
      deny: bits(P.VIEW_CHANNEL),
    });
    const secret = (await send(owner, hidden.id, { content: 'zebracode hidden' })).body;
    const open = (await send(owner, general.id, { content: 'zebracode open' })).body;
    const results = async (who: Caller) => {
      const res = await call('GET', `/servers/${server.id}/messages/search?content=zebracode`, who);
      return mapped(Array.isArray(res.body) ? res.body : res.body?.messages, (x) => x.id);
    };
    const ownerSees = await eventually(
      async () => ((await results(owner)) as string[])?.length === 2 || undefined,
      5000,
    );
    s.ok(ownerSees, 'the owner finds both messages');
    s.eq(await results(m), [open.id], 'a member finds only what they can read');
    s.ok(secret.id, 'the hidden message was sent');
    const inHidden = await call('GET', `/servers/${server.id}/messages/search?channel_id=${hidden.id}`, m);
    s.eq(
      mapped(inHidden.body?.messages ?? inHidden.body, (x) => x.id),
      [],
      'search in a channel one cannot read',
    );

    const gwStranger = await gateway(app.origin, { token: stranger.token });
    const gwM = await gateway(app.origin, { token: m.token });
    const gwOwner = await gateway(app.origin, { token: owner.token });
    await gwM.command('presence_update', { status: 'dnd' });
    await gwOwner.waitForFrames(
      1,
      (f) => f.t === 'PRESENCE_UPDATE' && JSON.stringify(f.d).includes(m.id),
      5000,
    );
    const dm = (await call('POST', '/users/@me/channels', owner, { recipient_id: m.id })).body;
    const dmMsg = (await send(owner, dm.id, { content: 'just us' })).body;
    await gwM
      .waitForFrames(1, (f) => f.t === 'MESSAGE_CREATE' && (f.d as Json).id === dmMsg.id, 5000)
      .catch(() => s.problems.push('the DM did not reach its recipient'));
    // The stranger shares nothing with them: a marker of their own shows their stream is live.
    const notes = (await call('GET', '/users/@me/notes', stranger)).body;
    const mark = (await send(stranger, notes.id, { content: 'mine' })).body;
    await gwStranger.waitForFrames(1, (f) => f.t === 'MESSAGE_CREATE' && (f.d as Json).id === mark.id, 5000);
    const leaks = gwStranger.frames.filter(
      (f) => JSON.stringify(f.d).includes(m.id) || JSON.stringify(f.d).includes(dm.id),
    );
    s.eq(
      leaks.map((f) => f.t),
      [],
      'a stranger received events of others',
    );
    s.error(await call('GET', `/channels/${dm.id}/messages`, stranger), 404, "someone else's DM");

    s.error(
      await call('POST', `/channels/${general.id}/messages/bulk-delete`, owner, {
        messages: Array.from({ length: 101 }, (_, i) => String(10n ** 17n + BigInt(i))),
      }),
      400,
      'bulk-delete 101 ids',
      undefined,
      ['messages'],
    );
    const admin = await adminToken(owner);
    if (admin) {
      const metrics = await fetch(`${app.origin}/metrics`, { headers: { authorization: `Bearer ${admin}` } });
      s.ok(metrics.status === 200, `GET /metrics as an admin: ${metrics.status}`);
      s.ok(
        (metrics.headers.get('content-type') ?? '').startsWith('text/plain'),
        `metrics content-type ${metrics.headers.get('content-type')}`,
      );
      s.ok(/^# (HELP|TYPE) /m.test(await metrics.text()), 'metrics in Prometheus text format');
    }
    const user = await fetch(`${app.origin}/metrics`, { headers: { authorization: `Bearer ${m.token}` } });
    s.ok(user.status === 403, `GET /metrics as a user: ${user.status}`);
    s.done();
  });
});

describe('requests as a checker might send them', () => {
  it('bodiless POSTs, forgot-password repeated', async () => {
    const s = new Sweep();
    const owner = await register(s);
    const { general } = await makeServer(s, owner);
    // No body at all (no Content-Type): the optional fields are optional.
    const invite = await fetch(`${app.api}/channels/${general.id}/invites`, {
      method: 'POST',
      headers: { authorization: `Bearer ${owner.token}` },
    });
    s.ok(invite.status === 201 || invite.status === 200, `POST invites without a body: ${invite.status}`);
    const thread = await fetch(`${app.api}/channels/${general.id}/threads`, {
      method: 'POST',
      headers: { authorization: `Bearer ${owner.token}`, 'content-type': 'application/json' },
      body: '{"name":"t"}',
    });
    s.ok(thread.status === 201, `POST threads: ${thread.status}`);
    // "204 always": repeating the request for one account from one address.
    const statuses: number[] = [];
    for (let i = 0; i < 8; i++) {
      const res = await api(app, 'POST', '/auth/password/forgot', {
        body: { login: owner.email },
        headers: { 'x-forwarded-for': '198.51.100.77' },
      });
      statuses.push(res.status);
      if (res.status === 429) {
        s.ok(
          typeof res.body?.retry_after === 'number' && res.headers.get('retry-after'),
          'a forgot 429 carries retry_after',
        );
      }
    }
    s.ok(
      statuses.every((x) => x === 204 || x === 429 || (!smtp && x === 503)),
      `forgot answers ${statuses.join(', ')}`,
    );
    s.done();
  });
});

describe('one permission at a time', () => {
  it('each bit API.md lists gates its action, and a 403 names it', async () => {
    const s = new Sweep();
    const { owner, m, server } = await ownerAndMember(s);
    const ch = (
      await call('POST', `/servers/${server.id}/channels`, owner, { name: 'bits', channel_type: 'text' })
    ).body;
    const msg = (await send(owner, ch.id, { content: 'target' })).body;
    const thread = (await call('POST', `/channels/${ch.id}/threads`, owner, { name: 'bits-thread' })).body;
    const deny = (bit: bigint) =>
      call('PUT', `/channels/${ch.id}/permissions/${server.id}`, owner, {
        type: 'role',
        allow: '0',
        deny: bit.toString(),
      });
    const named = async (what: string, res: Promise<ApiResponse>, permission: string) => {
      const r = await res;
      s.error(r, 403, what);
      s.ok(
        JSON.stringify(r.body ?? {}).includes(permission),
        `${what}: the 403 does not name ${permission}: ${JSON.stringify(r.body)}`,
      );
    };
    await deny(P.ADD_REACTIONS);
    await named(
      'react without ADD_REACTIONS',
      call('PUT', `/channels/${ch.id}/messages/${msg.id}/reactions/${encodeURIComponent('👍')}/@me`, m),
      'ADD_REACTIONS',
    );
    await deny(P.ATTACH_FILES);
    const upload = await sendWithFile(m, ch.id, 'file');
    const uploadBody = upload.body;
    s.ok(
      upload.status === 403 && JSON.stringify(uploadBody).includes('ATTACH_FILES'),
      `a file without ATTACH_FILES: ${upload.status} ${JSON.stringify(uploadBody)}`,
    );
    await deny(P.READ_MESSAGE_HISTORY);
    const history = await call('GET', `/channels/${ch.id}/messages`, m);
    s.ok(
      history.status === 403 ||
        (history.status === 200 && Array.isArray(history.body) && history.body.length === 0),
      `history without READ_MESSAGE_HISTORY: ${history.status} ${JSON.stringify(history.body).slice(0, 100)}`,
    );
    await deny(P.CREATE_INVITE);
    await named(
      'invite without CREATE_INVITE',
      call('POST', `/channels/${ch.id}/invites`, m, {}),
      'CREATE_INVITE',
    );
    await deny(P.CREATE_THREADS);
    await named(
      'thread without CREATE_THREADS',
      call('POST', `/channels/${ch.id}/threads`, m, { name: 'x' }),
      'CREATE_THREADS',
    );
    // Threads: SEND_MESSAGES_IN_THREADS, not SEND_MESSAGES, is what posting in a thread takes.
    await deny(P.SEND_MESSAGES);
    const inThread = await send(m, thread.id, { content: 'thread talk' });
    s.ok(
      inThread.status < 300,
      `posting in a thread with SEND_MESSAGES denied in the parent: ${inThread.status} ${JSON.stringify(inThread.body)}`,
    );
    await deny(P.SEND_MESSAGES_IN_THREADS);
    await named(
      'post in a thread without SEND_MESSAGES_IN_THREADS',
      send(m, thread.id, { content: 'x' }),
      'SEND_MESSAGES_IN_THREADS',
    );
    // MENTION_EVERYONE: without it @everyone is text, not a mention.
    await deny(P.MENTION_EVERYONE);
    await call('DELETE', `/channels/${ch.id}/permissions/${server.id}`, owner);
    await call('PUT', `/channels/${ch.id}/permissions/${server.id}`, owner, {
      type: 'role',
      allow: '0',
      deny: P.MENTION_EVERYONE.toString(),
    });
    const everyone = await send(m, ch.id, { content: '@everyone look' });
    s.ok(
      everyone.status === 403 || everyone.body?.mention_everyone === false,
      `@everyone without MENTION_EVERYONE: ${everyone.status} mention_everyone=${everyone.body?.mention_everyone}`,
    );
    // CHANGE_NICKNAME: one's own nick.
    const everyoneRole = ((await call('GET', `/servers/${server.id}/roles`, owner)).body as Json[]).find(
      (r) => r.id === server.id,
    );
    const base = BigInt(everyoneRole.permissions);
    await call('PATCH', `/servers/${server.id}/roles/${server.id}`, owner, {
      permissions: (base & ~P.CHANGE_NICKNAME).toString(),
    });
    await named(
      'own nick without CHANGE_NICKNAME',
      call('PATCH', `/servers/${server.id}/members/@me`, m, { nick: 'me' }),
      'CHANGE_NICKNAME',
    );
    await call('PATCH', `/servers/${server.id}/roles/${server.id}`, owner, { permissions: base.toString() });
    s.status(
      await call('PATCH', `/servers/${server.id}/members/@me`, m, { nick: 'me' }),
      200,
      'own nick with CHANGE_NICKNAME',
    );
    s.done();
  });
});

describe('formats everywhere (every answer and gateway frame above)', () => {
  /**
   * data-types.txt and API.md's conventions, applied to every object the sweep received: ids and
   * permission bitfields as decimal strings, `*_at` as integer unix seconds (or null), and
   * `created_at` equal to the time in the object's own snowflake.
   */
  it('IDs and bitfields are decimal strings, timestamps integer seconds agreeing with the id', () => {
    const s = new Sweep();
    const isId = (v: unknown) => typeof v === 'string' && SNOWFLAKE.test(v);
    const reported = new Set<string>();
    const flag = (what: string, path: string, problem: string) => {
      // One line per shape of problem, not per occurrence.
      const key = `${path.replace(/\[\d+\]/g, '[]')}: ${problem}`;
      if (reported.has(key)) return;
      reported.add(key);
      s.problems.push(`${what} ${key}`);
    };
    const walk = (what: string, node: unknown, path: string): void => {
      if (Array.isArray(node)) {
        node.forEach((v, i) => walk(what, v, `${path}[${i}]`));
        return;
      }
      if (!node || typeof node !== 'object') return;
      const obj = node as Record<string, unknown>;
      for (const [key, value] of Object.entries(obj)) {
        const at = `${path}.${key}`;
        // Not snowflakes by design: the gateway's session id and a request id are opaque strings.
        // /admin/stats names processes by an opaque instance label, not an object id.
        const opaque = key === 'session_id' || key === 'request_id' || /\.process(es\[\d+\])?$/.test(path);
        if (
          (key === 'id' || key.endsWith('_id')) &&
          !opaque &&
          value !== null &&
          value !== undefined &&
          !isId(value)
        ) {
          flag(what, at, `${JSON.stringify(value)} is not a decimal-string id`);
        }
        if ((key.endsWith('_ids') || key === 'roles' || key === 'mention_roles') && Array.isArray(value)) {
          if (!value.every((v) => isId(v) || (v && typeof v === 'object')))
            flag(what, at, 'ids not decimal strings');
        }
        if (['permissions', 'allow', 'deny'].includes(key) || key.endsWith('_permissions')) {
          if (value !== null && !(typeof value === 'string' && /^\d+$/.test(value))) {
            flag(what, at, `${JSON.stringify(value)} is not a decimal-string bitfield`);
          }
        }
        if (key.endsWith('_at') && value !== null && !Number.isInteger(value)) {
          flag(what, at, `${JSON.stringify(value)} is not integer unix seconds`);
        }
        // An error's `errors` map says why a field was refused; its values are prose.
        if (!(key === 'errors' && path === '$')) walk(what, value, at);
      }
      if (isId(obj.id) && Number.isInteger(obj.created_at) && obj.created_at !== idTime(obj.id as string)) {
        flag(
          what,
          `${path}.created_at`,
          `disagrees with its id (${String(obj.created_at)} vs ${idTime(obj.id as string)})`,
        );
      }
    };
    // The OpenAPI document describes these fields; it is not one of them.
    for (const { what, body } of seen.filter((x) => !x.what.startsWith('GET /openapi.json')))
      walk(what.replace(/\d{6,}/g, '{id}'), body, '$');
    for (const client of clients) for (const f of client.frames) walk(`gateway ${f.t}`, f.d, '$');
    s.ok(seen.length > 200, `only ${seen.length} answers scanned`);
    // PLEXICHAT_SWEEP_DUMP=<file>: everything the sweep saw, to read a deviation's context.
    const dump = process.env.PLEXICHAT_SWEEP_DUMP;
    if (dump)
      writeFileSync(dump, JSON.stringify({ answers: seen, frames: clients.map((c) => c.frames) }, null, 1));
    s.done();
  });
});
