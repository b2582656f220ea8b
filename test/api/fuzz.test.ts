import fc from 'fast-check';
import { api, randomIp, registerUser, setAdminByHand, type TestUser } from '../helpers/accounts.js';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { configEnv, testConfig } from '../helpers/config.js';
import { spawnEntry, type RoleProcess } from '../helpers/processes.js';
import {
  operationsOf,
  requestsFor,
  type FuzzOperation,
  type FuzzRequest,
  type KnownValues,
} from '../helpers/openapi-fuzz.js';

/**
 * Property-based requests to every operation of the served OpenAPI document (a new route is fuzzed
 * without a test of its own), unauthenticated, as a user, as a bot and (the admin API) as an admin:
 * whatever the input, the answer is never a 500, never a 5xx the operation does not document, never
 * a hang, and the API process never dies; client errors carry the error body of API.md. PLEXICHAT_FUZZ_RUNS raises the runs per operation and
 * caller (default 2); PLEXICHAT_FUZZ_SEED replays a failure (the seed is printed with it).
 */
const RUNS = Number(process.env.PLEXICHAT_FUZZ_RUNS ?? 2);
const SEED = Number(process.env.PLEXICHAT_FUZZ_SEED ?? Date.now() % 2 ** 31);
/** A request that takes longer has hung (the message queue wait below is far shorter). */
const REQUEST_TIMEOUT_MS = 20_000;

// The workers, and the in-process API that builds the fixtures, run here...
const app: TestApp = await startTestApp({
  config: testConfig({ queues: { wait_timeout_ms: 2000, send_wait_ms: 2000 } }),
  gateway: false,
});
// Registered first: if the target cannot start, the suite still closes what it opened.
let target: RoleProcess | null = null;
afterAll(async () => {
  await target?.kill();
  await app.close();
});
// ...and the fuzzed API in a process of its own, as in production: a crash or an unhandled
// rejection (fatal by Node's default) ends that process, which the test sees.
target = spawnEntry('api/main.ts', {
  ...configEnv(app.config),
  PLEXICHAT_SERVER__PORT: '0',
  PLEXICHAT_SERVER__HOST: '127.0.0.1',
  PLEXICHAT_LOG__LEVEL: 'info',
  // On, so the limiter sees the fuzzed requests too, with budgets high enough that 429s do not hide
  // the handlers (a route's own tighter bucket may still answer 429, which is a fine answer).
  PLEXICHAT_RATE_LIMITS__ENABLED: 'true',
  PLEXICHAT_RATE_LIMITS__GLOBAL__POINTS: '100000',
  PLEXICHAT_RATE_LIMITS__GLOBAL__DURATION_SECONDS: '1',
  PLEXICHAT_RATE_LIMITS__READ__POINTS: '100000',
  PLEXICHAT_RATE_LIMITS__READ__DURATION_SECONDS: '1',
  PLEXICHAT_RATE_LIMITS__WRITE__POINTS: '100000',
  PLEXICHAT_RATE_LIMITS__WRITE__DURATION_SECONDS: '1',
});
const listening = await target.waitFor(/"port":(\d+)[^\n]*"api listening"/, 90_000);
const targetApi = `http://127.0.0.1:${listening[1] as string}/api/v1`;
const doc = (await (await fetch(`${targetApi}/openapi.json`)).json()) as Record<string, unknown>;
const operations = operationsOf(doc);

/** Real objects whose ids and tokens are mixed into the requests, rebuilt when a request deleted them. */
interface World {
  owner: TestUser;
  /** An instance admin: the admin API is fuzzed too. */
  admin: TestUser;
  botToken: string;
  known: KnownValues;
}
let world: World | null = null;

async function buildWorld(): Promise<World> {
  const owner = await registerUser(app);
  const admin = await registerUser(app);
  await setAdminByHand(app, admin.id, true);
  const as = (method: string, path: string, body?: unknown) =>
    api(app, method, path, { token: owner.token, body });
  const server = await as('POST', '/servers', { name: 'Fuzz' });
  if (server.status !== 201) throw new Error(`fuzz world: POST /servers ${server.status}`);
  const serverId = server.body.id as string;
  const channels = await as('GET', `/servers/${serverId}/channels`);
  const channelId = (channels.body as { id: string }[])[0]?.id as string;
  const message = await as('POST', `/channels/${channelId}/messages`, { content: 'fuzz me' });
  const role = await as('POST', `/servers/${serverId}/roles`, { name: 'fuzzers' });
  const webhook = await as('POST', `/channels/${channelId}/webhooks`, { name: 'Fuzz hook' });
  const invite = await as('POST', `/channels/${channelId}/invites`, {});
  const application = await as('POST', '/applications', { name: `Fuzz ${owner.username}`.slice(0, 32) });
  const sessions = await as('GET', '/users/@me/sessions');
  const ids = (...values: unknown[]) => values.filter((v): v is string => typeof v === 'string');
  const appId = (application.body as { application?: { id?: string } }).application?.id;
  return {
    owner,
    admin,
    botToken: (application.body as { token?: string }).token ?? 'no-bot',
    known: {
      server_id: ids(serverId),
      channel_id: ids(channelId),
      thread_id: ids(channelId),
      parent_id: ids(channelId),
      message_id: ids(message.body?.id),
      reply_to: ids(message.body?.id),
      messages: ids(message.body?.id),
      user_id: ids(owner.id, '@me'),
      recipient_id: ids(owner.id),
      role_id: ids(role.body?.id, serverId),
      overwrite_id: ids(role.body?.id, owner.id),
      webhook_id: ids(webhook.body?.id),
      token: ids(webhook.body?.token),
      code: ids(invite.body?.code),
      app_id: ids(appId),
      application_id: ids(appId),
      client_id: ids(appId),
      session_id: ids(...((sessions.body as { id: string }[] | null) ?? []).map((s) => s.id)),
      emoji: ['👍', 'custom:1'],
    },
  };
}

/** The world, rebuilt when a fuzzed request logged its owner out or deleted its server. */
async function ensureWorld(): Promise<World> {
  if (world) {
    const me = await api(app, 'GET', '/users/@me', { token: world.owner.token });
    const admin = await api(app, 'GET', '/users/@me', { token: world.admin.token });
    const server = await app.rt.models.Server.findByPk(world.known.server_id?.[0] ?? '0');
    const channel = await app.rt.models.Channel.findByPk(world.known.channel_id?.[0] ?? '0');
    if (me.status === 200 && admin.status === 200 && server && channel) return world;
  }
  world = await buildWorld();
  return world;
}

interface Answer {
  status: number;
  contentType: string;
  text: string;
}

async function send(op: FuzzOperation, req: FuzzRequest, authorization: string | null): Promise<Answer> {
  const headers: Record<string, string> = { 'x-forwarded-for': randomIp() };
  if (authorization) headers.authorization = authorization;
  let body: string | FormData | undefined;
  const b = req.body;
  if (op.method !== 'get') {
    switch (b.kind) {
      case 'none':
        break;
      case 'json':
        headers['content-type'] = 'application/json';
        body = JSON.stringify(b.value) ?? 'null';
        break;
      case 'raw':
        headers['content-type'] = b.contentType;
        if (b.encoding) headers['content-encoding'] = b.encoding;
        body = b.text;
        break;
      case 'multipart': {
        const form = new FormData();
        for (const [k, v] of b.fields) form.append(k, v);
        if (b.file)
          form.append('file', new Blob([Buffer.from('GIF89a fuzz')], { type: 'image/gif' }), 'fuzz.gif');
        body = form;
        break;
      }
      case 'form':
        headers['content-type'] = 'application/x-www-form-urlencoded';
        body = new URLSearchParams(b.fields).toString();
        break;
    }
  }
  const res = await fetch(`${targetApi}${req.path}${req.query}`, {
    method: op.method.toUpperCase(),
    headers,
    body,
    redirect: 'manual',
    signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
  });
  return { status: res.status, contentType: res.headers.get('content-type') ?? '', text: await res.text() };
}

/** Why an answer breaks the contract, or null when it keeps it. */
function problemWith(op: FuzzOperation, answer: Answer): string | null {
  const declared = Object.keys(op.operation.responses ?? {});
  let body: Record<string, unknown> | null;
  try {
    body = answer.contentType.includes('json') ? (JSON.parse(answer.text) as Record<string, unknown>) : null;
  } catch {
    return `unparseable JSON answer (${answer.status})`;
  }
  if (answer.status >= 500) {
    if (answer.status === 500 || body?.code === 'internal_error') return `500 ${answer.text.slice(0, 300)}`;
    if (!declared.includes(String(answer.status)))
      return `undocumented ${answer.status} ${answer.text.slice(0, 300)}`;
  }
  if (answer.status >= 400 && answer.status < 500) {
    // OAuth2's token endpoints answer in RFC 6749's shape; everything else in API.md's.
    const ok =
      body &&
      (typeof body.code === 'string' && typeof body.message === 'string'
        ? true
        : typeof body.error === 'string');
    if (!ok)
      return `${answer.status} without the error body: ${answer.contentType} ${answer.text.slice(0, 200)}`;
  }
  return null;
}

/** Who sends the requests, and how many runs each gets (the admin API is the only one the admin adds). */
const CALLERS = [
  { caller: 'nobody', runs: RUNS },
  { caller: 'user', runs: RUNS },
  { caller: 'bot', runs: 1 },
  { caller: 'admin', runs: RUNS },
] as const;

function authorizationOf(caller: (typeof CALLERS)[number]['caller'], w: World): string | null {
  switch (caller) {
    case 'nobody':
      return null;
    case 'user':
      return `Bearer ${w.owner.token}`;
    case 'bot':
      return `Bot ${w.botToken}`;
    case 'admin':
      return `Bearer ${w.admin.token}`;
  }
}

describe('fuzzing every operation of the OpenAPI document', () => {
  it('serves a document with operations to fuzz', () => {
    expect(operations.length).toBeGreaterThan(100);
  });

  it.each(operations.map((op) => [`${op.method.toUpperCase()} ${op.path}`, op] as const))(
    '%s: no 5xx, no hang, whatever the input',
    async (_name, op) => {
      // Checked once per operation: a request may delete the server or end the session, and the
      // rest of this operation's runs then meet 404s and 401s, which is fuzzing too.
      const w = await ensureWorld();
      const arbitrary = requestsFor(op, doc, w.known);
      for (const [i, { caller, runs }] of CALLERS.entries()) {
        if (caller === 'admin' && !op.path.startsWith('/admin')) continue;
        const authorization = authorizationOf(caller, w);
        await fc.assert(
          fc.asyncProperty(arbitrary, async (req) => {
            const answer = await send(op, req, authorization);
            const problem = problemWith(op, answer);
            if (problem) {
              throw new Error(
                `PLEXICHAT_FUZZ_SEED=${SEED} ${caller}: ${op.method.toUpperCase()} ${req.path}${req.query} (${req.body.kind}): ${problem}`,
              );
            }
          }),
          // No shrinking: every step is a real request; the failing input and the seed are reported.
          { numRuns: runs, seed: SEED + i, endOnFailure: true },
        );
      }
      // Fuzzed IP rules must not lock the rest of the run out.
      if (op.path === '/admin/ip-rules')
        await api(app, 'PUT', '/admin/ip-rules', { token: w.admin.token, body: { rules: [] } });
    },
    120_000,
  );

  it('ends with the fuzzed process alive and healthy', async () => {
    expect({ exitCode: target?.child.exitCode, signal: target?.child.signalCode }).toEqual({
      exitCode: null,
      signal: null,
    });
    expect((await fetch(`${targetApi}/health`)).status).toBe(200);
  });
});
