import crypto from 'node:crypto';
import { api, registerUser, setAdminByHand, type TestUser } from '../helpers/accounts.js';
import { useTestApp } from '../helpers/app.js';
import { testConfig } from '../helpers/config.js';
import { createServerWithChannel } from '../helpers/factories.js';
import { REDIRECT_URI, codeFor, createOAuthApp, exchangeCode } from './oauth2/flow.js';

/**
 * Every route that carries a credential in its path, query or body is driven with a real or
 * realistic secret; neither the process's own log (its stdout, captured here) nor the admin log
 * stream (GET /admin/logs) may contain it, while both show the request itself.
 */

let admin: TestUser;
let stdout = '';
const originalWrite = process.stdout.write.bind(process.stdout);

beforeAll(() => {
  // The process log as it leaves the process: every write to stdout, kept (and not echoed).
  process.stdout.write = (chunk: string | Uint8Array): boolean => {
    stdout += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
    return true;
  };
});
const app = useTestApp(
  {
    config: testConfig({
      log: { level: 'info', admin: { enabled: true, level: 'info', max_entries: 5000 } },
      // No workers: a webhook execution with ?wait=true answers send_pending once this passes.
      queues: { wait_timeout_ms: 1000, send_wait_ms: 1000 },
    }),
    workers: false,
    gateway: false,
  },
  60_000,
);
beforeAll(async () => {
  admin = await registerUser(app);
  await setAdminByHand(app, admin.id, true);
}, 60_000);

afterAll(() => {
  process.stdout.write = originalWrite;
});

const secret = (what: string): string => `${what}-${crypto.randomBytes(18).toString('base64url')}`;

/** One request as a client sends it; returns its request id (from X-Request-Id). */
async function drive(
  method: string,
  path: string,
  options: { json?: unknown; form?: Record<string, string>; token?: string } = {},
): Promise<string> {
  const headers: Record<string, string> = {};
  let body: string | undefined;
  if (options.json !== undefined) {
    headers['content-type'] = 'application/json';
    body = JSON.stringify(options.json);
  } else if (options.form) {
    headers['content-type'] = 'application/x-www-form-urlencoded';
    body = new URLSearchParams(options.form).toString();
  }
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  const res = await fetch(`${app.origin}${path}`, { method, headers, body, redirect: 'manual' });
  await res.arrayBuffer();
  const id = res.headers.get('x-request-id');
  if (!id) throw new Error(`no request id for ${method} ${path}`);
  return id;
}

type Entry = { msg: string; fields: Record<string, unknown> };

/** The admin log entries of one request, once its line reached Redis. */
async function adminEntries(requestId: string): Promise<Entry[]> {
  for (let i = 0; i < 100; i++) {
    const res = await api(app, 'GET', `/admin/logs?request_id=${encodeURIComponent(requestId)}&limit=500`, {
      token: admin.token,
    });
    expect(res.status).toBe(200);
    if ((res.body as Entry[]).length > 0) return res.body as Entry[];
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`request ${requestId} never reached the admin log`);
}

describe('secrets never reach the logs', () => {
  it('webhook, interaction, OAuth, login, reset and verification secrets are redacted in the process log and GET /admin/logs', async () => {
    const secrets: string[] = [];
    const requests: { id: string; path: string }[] = [];
    const record = async (method: string, path: string, options?: Parameters<typeof drive>[2]) => {
      requests.push({ id: await drive(method, path, options), path });
    };

    // Incoming webhooks: the token is the execute URL's last segment (also sent the wrong way).
    const { channel } = await createServerWithChannel(app.rt, admin.id);
    const hook = await api(app, 'POST', `/channels/${channel.id}/webhooks`, {
      token: admin.token,
      body: { name: 'Deploys' },
    });
    expect(hook.status).toBe(201);
    const hookToken = hook.body.token as string;
    secrets.push(hookToken);
    await record('POST', `/api/v1/webhooks/${hook.body.id}/${hookToken}`, { json: { content: 'hi' } });
    await record('POST', `/api/v1/webhooks/${hook.body.id}/${hookToken}?wait=true`, {
      json: { content: 'x' },
    });
    await record('GET', `/api/v1/Webhooks/${hook.body.id}/${hookToken}/`);

    // Interaction tokens: callback, followups, the original response.
    const interactionToken = secret('interaction');
    secrets.push(interactionToken);
    const interaction = app.rt.snowflake.next();
    for (const [method, tail] of [
      ['POST', 'callback'],
      ['POST', 'followup'],
      ['PATCH', 'original'],
    ] as const) {
      await record(method, `/api/v1/interactions/${interaction}/${interactionToken}/${tail}`, {
        json: { type: 'message', data: { content: 'ok' } },
      });
    }

    // OAuth2: a real authorization code, PKCE verifier, client secret, access and refresh tokens.
    const client = await createOAuthApp(app, admin, { publicClient: true });
    const { code, verifier } = await codeFor(app, admin, client, 'identify');
    secrets.push(code, verifier);
    await record('POST', '/api/v1/oauth2/token', {
      form: {
        grant_type: 'authorization_code',
        code,
        redirect_uri: REDIRECT_URI,
        client_id: client.id,
        code_verifier: verifier,
      },
    });
    const second = await codeFor(app, admin, client, 'identify');
    const grant = await exchangeCode(app, client, second.code, second.verifier);
    expect(grant.status).toBe(200);
    const refresh = grant.body.refresh_token as string;
    const access = grant.body.access_token as string;
    secrets.push(refresh, access);
    await record('POST', '/api/v1/oauth2/token', {
      form: { grant_type: 'refresh_token', refresh_token: refresh, client_id: client.id },
    });
    await record('POST', '/api/v1/oauth2/token/revoke', { form: { token: access, client_id: client.id } });

    // External sign-in: the provider's code and state in the callback's query; the login code.
    const providerCode = secret('providercode');
    const state = secret('state');
    const loginCode = secret('logincode');
    secrets.push(providerCode, state, loginCode);
    await record('GET', `/api/v1/auth/oauth/example/callback?code=${providerCode}&state=${state}`);
    await record('POST', '/api/v1/auth/oauth/exchange', { json: { login_code: loginCode } });

    // Passwords, 2FA tickets, reset and verification tokens (bodies and `?token=` links).
    const password = secret('password');
    const ticket = secret('ticket');
    const resetToken = secret('reset');
    const verifyToken = secret('verify');
    secrets.push(password, ticket, resetToken, verifyToken);
    await record('POST', '/api/v1/auth/login', { json: { login: admin.username, password } });
    await record('POST', '/api/v1/auth/mfa/totp', { json: { ticket, code: '123456' } });
    await record('POST', '/api/v1/auth/password/reset', { json: { token: resetToken, password } });
    await record('GET', `/reset-password?token=${resetToken}`);
    await record('GET', `/verify-email?token=${verifyToken}`);
    await record('GET', `/api/v1/users/@me?access_token=${verifyToken}&token=${verifyToken}`);
    await record('POST', '/api/v1/users/@me/email/verify', {
      json: { token: verifyToken },
      token: admin.token,
    });
    secrets.push(admin.token);

    for (const { id, path } of requests) {
      const entries = await adminEntries(id);
      const logged = JSON.stringify(entries);
      const lines = stdout.split('\n').filter((l) => l.includes(id));
      expect([path, lines.length > 0]).toEqual([path, true]);
      for (const s of secrets) {
        expect([path, 'admin log', logged.includes(s)]).toEqual([path, 'admin log', false]);
        expect([path, 'stdout', lines.join('\n').includes(s)]).toEqual([path, 'stdout', false]);
      }
      // The request is still there to read, with its route and what was withheld marked.
      const line = entries.find((e) => e.msg === 'request completed' || e.msg === 'request errored');
      const req = line?.fields.req as { url?: string } | undefined;
      expect(req?.url).toEqual(expect.any(String));
    }
    expect(stdout).toContain(`/api/v1/webhooks/${hook.body.id}/[redacted]`);
    expect(stdout).toContain(`/api/v1/interactions/${interaction}/[redacted]/callback`);
    expect(stdout).toContain('callback?code=[redacted]&state=[redacted]');
    for (const s of secrets) expect(stdout.includes(s)).toBe(false);
  });

  it('webhook tokens in the managers’ lists reach neither log, while the answers carry them', async () => {
    const { server, channel } = await createServerWithChannel(app.rt, admin.id);
    const hook = await api(app, 'POST', `/channels/${channel.id}/webhooks`, {
      token: admin.token,
      body: { name: 'Listed' },
    });
    expect(hook.status).toBe(201);
    const token = hook.body.token as string;
    for (const path of [`/api/v1/channels/${channel.id}/webhooks`, `/api/v1/servers/${server.id}/webhooks`]) {
      const res = await fetch(`${app.origin}${path}`, {
        headers: { authorization: `Bearer ${admin.token}` },
      });
      // The same request whose log lines are read below did answer with the token and url.
      expect([path, await res.text()]).toEqual([
        path,
        expect.stringContaining(`/webhooks/${hook.body.id}/${token}`),
      ]);
      const id = res.headers.get('x-request-id') as string;
      const logged = JSON.stringify(await adminEntries(id));
      const lines = stdout.split('\n').filter((l) => l.includes(id));
      expect([path, lines.length > 0]).toEqual([path, true]);
      expect([path, logged.includes(token), lines.join('\n').includes(token)]).toEqual([path, false, false]);
    }
    expect(stdout.includes(token)).toBe(false);
  });

  it('keeps what is not a secret: other ids, literal segments, ordinary parameters', async () => {
    const hookId = app.rt.snowflake.next();
    const id = await drive('GET', `/api/v1/webhooks/${hookId}/deliveries?limit=5`, { token: admin.token });
    const [entry] = await adminEntries(id);
    expect((entry?.fields.req as { url: string }).url).toBe(`/api/v1/webhooks/${hookId}/deliveries?limit=5`);
    const regenerate = await drive('POST', `/api/v1/webhooks/${hookId}/token`, { token: admin.token });
    const [again] = await adminEntries(regenerate);
    expect((again?.fields.req as { url: string }).url).toBe(`/api/v1/webhooks/${hookId}/token`);
  });
});
