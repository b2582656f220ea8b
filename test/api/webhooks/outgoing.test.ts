import crypto from 'node:crypto';
import type { DispatchFrame } from '../../../shared/events/index.js';
import { queueOutgoingEvent } from '../../../shared/integrations/outgoing-events.js';
import { verifySignature } from '../../../shared/integrations/signature.js';
import type { WebhookFanoutJob, WebhooksResult } from '../../../shared/queues/index.js';
import { pruneDeliveries } from '../../../workers/processors/webhooks.js';
import { api, type ApiResponse } from '../../helpers/accounts.js';
import { startTestApp, useTestApp } from '../../helpers/app.js';
import { testConfig } from '../../helpers/config.js';
import { startLocalServer, type LocalServer } from '../../helpers/http-server.js';
import {
  Permission,
  addChannel,
  as,
  denyIn,
  useGateways,
  makeRole,
  makeWorld,
  member,
  memberWith,
  person,
  reactionPath,
  send,
  type Person,
  type World,
} from '../messages/pipeline-helpers.js';

/** Small numbers so that retries, dead letters and auto-disable happen within a test. */
const WEBHOOKS = {
  max_attempts: 3,
  backoff_base_ms: 20,
  backoff_max_ms: 100,
  timeout_ms: 700,
  retry_after_max_seconds: 5,
  disable_after: 2,
};

let receiver: LocalServer;

/** What the receiver got: one entry per request, with the raw body as sent. */
interface Received {
  path: string;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  at: number;
}
const received: Received[] = [];

/** How the receiver answers one request; `hang` never answers. */
interface Reply {
  status: number;
  headers?: Record<string, string>;
  hang?: boolean;
}
/** Per path, the answers to give in order; the last one repeats. Unscripted paths answer 200. */
const scripts = new Map<string, Reply[]>();

const app = useTestApp({
  config: testConfig({ outbound: { allow_private: ['127.0.0.0/8'] }, webhooks: WEBHOOKS }),
});
const gw = useGateways(app);
beforeAll(async () => {
  receiver = await startLocalServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const path = req.url ?? '/';
      received.push({
        path,
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
        at: Date.now(),
      });
      const script = scripts.get(path) ?? [{ status: 200 }];
      const reply = (script.length > 1 ? script.shift() : script[0]) as Reply;
      if (reply.hang) return;
      res.writeHead(reply.status, reply.headers ?? {});
      res.end('thanks');
    });
  });
});
afterAll(async () => {
  await receiver.close();
});

/** A fresh receiver path, answering as `script` says (then 200 by default). */
function hookPath(script?: Reply[]): { path: string; url: string } {
  const path = `/hook/${crypto.randomBytes(6).toString('hex')}`;
  if (script) scripts.set(path, [...script]);
  return { path, url: `${receiver.origin}${path}` };
}

const at = (path: string): Received[] => received.filter((r) => r.path === path);

/** A delivery's body, as every receiver gets it. */
interface Body {
  id: string;
  type: string;
  server_id: string;
  timestamp: number;
  data: Record<string, unknown>;
}
const parsed = (r: Received): Body => JSON.parse(r.body) as Body;

/** Polls `check` until it returns a value (not undefined/false), failing after 15 s. */
async function until<T>(
  what: string,
  check: () => Promise<T | undefined | false> | T | undefined | false,
): Promise<T> {
  const deadline = Date.now() + 15000;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 40));
  }
}

interface Hook {
  id: string;
  secret: string;
  server_id: string;
  path: string;
}

async function subscribe(
  w: World,
  body: { events: string[]; channel_ids?: string[] | null },
  options: { who?: Person; script?: Reply[] } = {},
): Promise<Hook> {
  const { path, url } = hookPath(options.script);
  const res = await as(app, options.who ?? w.owner, 'POST', `/servers/${w.serverId}/event-webhooks`, {
    url,
    ...body,
  });
  if (res.status !== 201) throw new Error(`subscribe: ${res.status} ${JSON.stringify(res.body)}`);
  return { id: res.body.id, secret: res.body.secret, server_id: w.serverId, path };
}

type Delivery = {
  id: string;
  redacted: boolean;
  event: string;
  status: string;
  attempts: number;
  redeliveries: number;
  last_status_code: number | null;
  last_error: string | null;
  last_latency_ms: number | null;
  next_attempt_at: number | null;
  completed_at: number | null;
  payload: { id: string; type: string; server_id: string; timestamp: number; data: Record<string, unknown> };
};

async function deliveries(who: Person, hookId: string, query = ''): Promise<Delivery[]> {
  const res = await as(app, who, 'GET', `/webhooks/${hookId}/deliveries${query}`);
  if (res.status !== 200) throw new Error(`deliveries: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body as Delivery[];
}

/** The one delivery of `hook` for which `pick` holds, once it is no longer pending. */
async function finished(
  who: Person,
  hook: Hook,
  pick: (d: Delivery) => boolean = () => true,
): Promise<Delivery> {
  return until('a finished delivery', async () =>
    (await deliveries(who, hook.id)).find((d) => pick(d) && d.status !== 'pending'),
  );
}

/**
 * What the fan-out of an event with a stable key (messages, channel creation and deletion) did:
 * 'not queued' when the subscription summary let nothing through, else how many deliveries its
 * job stored. The event's job (if any) exists once the API answered: the event is queued before
 * the answer (for messages, before the worker returns the message the API waits for).
 */
async function fanOutOf(type: string, id: string): Promise<'not queued' | WebhooksResult> {
  const job = await app.rt.queues.webhooks.getJob(`whf-${type}-${id}`);
  if (!job) return 'not queued';
  return until('the fan-out job', async () => {
    const state = await job.getState();
    if (state === 'failed') throw new Error(`fan-out failed: ${job.failedReason}`);
    if (state !== 'completed') return undefined;
    const done = await app.rt.queues.webhooks.getJob(job.id as string);
    return done?.returnvalue;
  });
}

const memberId = (job: WebhookFanoutJob): string | undefined =>
  (job.data as { user?: { id?: string } }).user?.id;

/** The result of the fan-out job whose event matches (events without a stable key), once it ran. */
async function fanOutWhere(match: (job: WebhookFanoutJob) => boolean): Promise<WebhooksResult> {
  return until('the fan-out job', async () => {
    const jobs = await app.rt.queues.webhooks.getJobs([
      'completed',
      'failed',
      'active',
      'waiting',
      'delayed',
    ]);
    const job = jobs.find((j) => j.data.kind === 'fanout' && match(j.data));
    if (!job || job.finishedOn === undefined) return undefined;
    if (job.failedReason) throw new Error(`fan-out failed: ${job.failedReason}`);
    return job.returnvalue;
  });
}

/**
 * Every route that takes the webhook's id answers `who` 404 unknown_webhook, as for an unknown id
 * (`patch` is the edit they try; `deliveryId` one of its deliveries).
 */
async function expectInvisible(
  who: Person,
  hookId: string,
  deliveryId: string,
  patch: object,
): Promise<void> {
  for (const [method, path, body] of [
    ['GET', `/event-webhooks/${hookId}`],
    ['PATCH', `/event-webhooks/${hookId}`, patch],
    ['DELETE', `/event-webhooks/${hookId}`],
    ['POST', `/event-webhooks/${hookId}/secret`],
    ['POST', `/event-webhooks/${hookId}/ping`],
    ['GET', `/webhooks/${hookId}/deliveries`],
    ['POST', `/webhooks/${hookId}/deliveries/${deliveryId}/redeliver`],
  ] as const) {
    const res = await as(app, who, method, path, body);
    expect([method, path, res.status, res.body.code]).toEqual([method, path, 404, 'unknown_webhook']);
  }
}

describe('managing event webhooks', () => {
  it('creates (secret shown once, stored sealed), lists, reads, edits, rotates, deletes; audited', async () => {
    const w = await makeWorld(app);
    const { url } = hookPath();
    const created = await as(app, w.owner, 'POST', `/servers/${w.serverId}/event-webhooks`, {
      url,
      events: ['MESSAGE_CREATE', 'CHANNEL_CREATE'],
    });
    expect(created.status).toBe(201);
    expect(created.body).toEqual({
      id: expect.any(String),
      server_id: w.serverId,
      creator_id: w.owner.id,
      url,
      events: ['MESSAGE_CREATE', 'CHANNEL_CREATE'],
      channel_ids: null,
      enabled: true,
      disabled_at: null,
      disabled_reason: null,
      consecutive_failures: 0,
      created_at: expect.any(Number),
      updated_at: expect.any(Number),
      secret: expect.stringMatching(/^whsec_[A-Za-z0-9_-]{43}$/),
    });
    const id = created.body.id as string;
    const stored = await app.rt.models.EventWebhook.findByPk(id, { rejectOnEmpty: true });
    expect(stored.secret).not.toContain(created.body.secret.slice(6));
    expect(stored.secret).toMatch(/^v1\./);

    const { secret: _secret, ...listed } = created.body;
    expect((await as(app, w.owner, 'GET', `/servers/${w.serverId}/event-webhooks`)).body).toEqual([listed]);
    expect((await as(app, w.owner, 'GET', `/event-webhooks/${id}`)).body).toEqual(listed);

    const general = w.channelId;
    const edited = await as(app, w.owner, 'PATCH', `/event-webhooks/${id}`, {
      events: ['MESSAGE_DELETE'],
      channel_ids: [general],
    });
    expect(edited.status).toBe(200);
    expect(edited.body).toMatchObject({ events: ['MESSAGE_DELETE'], channel_ids: [general] });
    expect(edited.body).not.toHaveProperty('secret');

    const rotated = await as(app, w.owner, 'POST', `/event-webhooks/${id}/secret`);
    expect(rotated.status).toBe(200);
    expect(rotated.body.secret).toMatch(/^whsec_/);
    expect(rotated.body.secret).not.toBe(created.body.secret);

    expect((await as(app, w.owner, 'DELETE', `/event-webhooks/${id}`)).status).toBe(204);
    expect((await as(app, w.owner, 'GET', `/event-webhooks/${id}`)).body.code).toBe('unknown_webhook');
    expect((await as(app, w.owner, 'GET', `/servers/${w.serverId}/event-webhooks`)).body).toEqual([]);

    const log = await as(app, w.owner, 'GET', `/servers/${w.serverId}/audit-logs`);
    const entries = (log.body as { action: string; target_id: string; changes: unknown[] }[]).filter(
      (e) => e.target_id === id,
    );
    expect(entries.map((e) => e.action)).toEqual([
      'event_webhook_delete',
      'event_webhook_update',
      'event_webhook_update',
      'event_webhook_create',
    ]);
    expect(entries[1]?.changes).toEqual([{ key: 'secret' }]);
    expect(entries[2]?.changes).toEqual(
      expect.arrayContaining([
        { key: 'events', old: ['MESSAGE_CREATE', 'CHANNEL_CREATE'], new: ['MESSAGE_DELETE'] },
        { key: 'channel_ids', old: null, new: [general] },
      ]),
    );
    expect(JSON.stringify(log.body)).not.toContain(created.body.secret);
    expect(JSON.stringify(log.body)).not.toContain(rotated.body.secret);
  });

  it('validates url, events and channel_ids, naming the field', async () => {
    const w = await makeWorld(app);
    const other = await makeWorld(app);
    const { url } = hookPath();
    const create = (body: unknown): Promise<ApiResponse> =>
      as(app, w.owner, 'POST', `/servers/${w.serverId}/event-webhooks`, body);
    for (const bad of [
      'ftp://127.0.0.1/x',
      'not a url',
      'javascript:alert(1)',
      'http://user:pw@127.0.0.1/',
    ]) {
      const res = await create({ url: bad, events: ['MESSAGE_CREATE'] });
      expect(res.status).toBe(400);
      expect(res.body.errors).toHaveProperty('url');
    }
    const noEvents = await create({ url, events: [] });
    expect(noEvents.body.errors).toHaveProperty('events');
    const unknownEvent = await create({ url, events: ['MESSAGE_CREATE', 'TYPING_START'] });
    expect(unknownEvent.body.errors).toHaveProperty(['events.1']);
    const foreign = await create({
      url,
      events: ['MESSAGE_CREATE'],
      channel_ids: [w.channelId, other.channelId],
    });
    expect(foreign.status).toBe(400);
    expect(foreign.body.errors).toEqual({ 'channel_ids.1': expect.any(String) });
    const hook = await subscribe(w, { events: ['MESSAGE_CREATE'] });
    const patch = await as(app, w.owner, 'PATCH', `/event-webhooks/${hook.id}`, { url: 'gopher://x' });
    expect(patch.body.errors).toHaveProperty('url');
    expect((await as(app, w.owner, 'PATCH', `/event-webhooks/${hook.id}`, {})).status).toBe(400);
  });

  it('needs MANAGE_WEBHOOKS server-wide: 403 naming it on server routes, 404 unknown_webhook elsewhere', async () => {
    const w = await makeWorld(app);
    const hook = await subscribe(w, { events: ['MESSAGE_CREATE'] });
    const delivery = (await as(app, w.owner, 'POST', `/event-webhooks/${hook.id}/ping`)).body as Delivery;
    const plain = await member(app, w.serverId);
    const stranger = await person(app);
    const { url } = hookPath();

    const denied = await as(app, plain, 'POST', `/servers/${w.serverId}/event-webhooks`, {
      url,
      events: ['MESSAGE_CREATE'],
    });
    expect(denied.status).toBe(403);
    expect(denied.body).toMatchObject({ code: 'missing_permission', permission: 'MANAGE_WEBHOOKS' });
    expect((await as(app, plain, 'GET', `/servers/${w.serverId}/event-webhooks`)).status).toBe(403);
    const outsider = await as(app, stranger, 'POST', `/servers/${w.serverId}/event-webhooks`, {
      url,
      events: ['MESSAGE_CREATE'],
    });
    expect(outsider.status).toBe(404);
    expect(outsider.body.code).toBe('unknown_server');
    expect((await as(app, stranger, 'GET', `/servers/${w.serverId}/event-webhooks`)).status).toBe(404);

    const unknown = app.rt.snowflake.next();
    for (const who of [plain, stranger]) await expectInvisible(who, hook.id, delivery.id, { enabled: false });
    expect((await as(app, w.owner, 'GET', `/event-webhooks/${unknown}`)).body.code).toBe('unknown_webhook');
    expect((await as(app, w.owner, 'GET', `/webhooks/${unknown}/deliveries`)).body.code).toBe(
      'unknown_webhook',
    );
    const notMine = await as(app, w.owner, 'POST', `/webhooks/${hook.id}/deliveries/${unknown}/redeliver`);
    expect(notMine.status).toBe(404);
    expect(notMine.body.code).toBe('unknown_delivery');
    // Nothing changed for the owner.
    expect((await as(app, w.owner, 'GET', `/event-webhooks/${hook.id}`)).body.enabled).toBe(true);

    // MANAGE_WEBHOOKS alone manages one's own event webhooks, not the owner's (see "who sees and
    // manages an event webhook").
    const manager = await memberWith(app, w, Permission.MANAGE_WEBHOOKS);
    expect((await as(app, manager, 'GET', `/event-webhooks/${hook.id}`)).status).toBe(404);
    expect((await as(app, manager, 'GET', `/webhooks/${hook.id}/deliveries`)).status).toBe(404);
  });

  it('a bot with MANAGE_WEBHOOKS subscribes with its Bot token; its privileged intents apply', async () => {
    const w = await makeWorld(app);
    const created = await as(app, w.owner, 'POST', '/applications', { name: 'Hook Bot' });
    expect(created.status).toBe(201);
    const botId = created.body.bot.id as string;
    const added = await as(app, w.owner, 'POST', `/servers/${w.serverId}/bots`, {
      application_id: created.body.application.id,
      permissions: String(Permission.MANAGE_WEBHOOKS | Permission.VIEW_CHANNEL),
    });
    expect(added.status).toBe(201);
    const { url, path } = hookPath();
    const res = await api(app, 'POST', `/servers/${w.serverId}/event-webhooks`, {
      headers: { authorization: `Bot ${created.body.token as string}` },
      body: { url, events: ['MESSAGE_CREATE', 'SERVER_MEMBER_ADD'] },
    });
    expect(res.status).toBe(201);
    expect(res.body.creator_id).toBe(botId);
    const join = async (): Promise<Person> => {
      const invite = await as(app, w.owner, 'POST', `/channels/${w.channelId}/invites`, {});
      const joiner = await person(app);
      expect((await as(app, joiner, 'POST', `/invites/${invite.body.code}`)).status).toBe(200);
      return joiner;
    };
    const delivered = (id: string): Promise<Body> =>
      until(`the delivery of ${id}`, () =>
        at(path)
          .map(parsed)
          .find((b) => b.data.id === id),
      );

    // Without MESSAGE_CONTENT the content is blanked, unless the bot is mentioned; without
    // SERVER_MEMBERS, member events do not go out.
    const plain = await send(app, w.owner, w.channelId, 'seen by the bot');
    expect((await delivered(plain.id)).data).toMatchObject({ content: '', embeds: [], attachments: [] });
    const mention = await send(app, w.owner, w.channelId, `<@${botId}> hello bot`);
    expect((await delivered(mention.id)).data).toMatchObject({ content: `<@${botId}> hello bot` });
    const first = await join();
    expect(await fanOutWhere((d) => d.type === 'SERVER_MEMBER_ADD' && memberId(d) === first.id)).toBe(0);

    const intents = await as(app, w.owner, 'PATCH', `/applications/${created.body.application.id}`, {
      intents: ['SERVER_MEMBERS', 'MESSAGE_CONTENT'],
    });
    expect(intents.status).toBe(200);
    const full = await send(app, w.owner, w.channelId, 'now with content');
    expect((await delivered(full.id)).data).toMatchObject({ content: 'now with content' });
    const second = await join();
    await until('SERVER_MEMBER_ADD', () =>
      at(path)
        .map(parsed)
        .find((b) => b.type === 'SERVER_MEMBER_ADD'),
    );
    const joins = (await deliveries(w.owner, res.body.id)).filter((d) => d.event === 'SERVER_MEMBER_ADD');
    expect(joins.map((d) => (d.payload.data.user as { id: string }).id)).toEqual([second.id]);
  });
});

describe('deliveries', () => {
  it('POSTs a signed JSON body; the signature verifies, a tampered body or an old timestamp does not', async () => {
    const w = await makeWorld(app);
    const hook = await subscribe(w, { events: ['MESSAGE_CREATE'] });
    // Quotes, backslashes and non-ASCII survive storage and are signed as sent.
    const content = 'hello hooks: "quoted" \\ back\\slash, ünïcödé 🎉 {"a":1}';
    const message = await send(app, w.owner, w.channelId, content);
    const [request] = await until('the delivery', () => at(hook.path).length > 0 && at(hook.path));
    if (!request) throw new Error('no request');
    const body = parsed(request);
    expect(body).toEqual({
      id: expect.any(String),
      type: 'MESSAGE_CREATE',
      server_id: w.serverId,
      timestamp: expect.any(Number),
      data: expect.objectContaining({ id: message.id, content, channel_id: w.channelId }),
    });
    expect(request.headers['content-type']).toBe('application/json');
    expect(request.headers['x-plexichat-event']).toBe('MESSAGE_CREATE');
    expect(request.headers['x-plexichat-delivery']).toBe(body.id);
    expect(request.headers['user-agent']).toMatch(/^Plexichat-Webhooks\//);
    const header = request.headers['x-plexichat-signature'] as string;
    expect(header).toMatch(/^t=\d+,v1=[0-9a-f]{64}$/);
    expect(verifySignature(hook.secret, header, request.body)).toBeNull();
    expect(verifySignature(hook.secret, header, request.body.replace('hello hooks', 'hello hookz'))).toBe(
      'mismatch',
    );
    expect(verifySignature('whsec_wrong', header, request.body)).toBe('mismatch');
    const t = Number(/t=(\d+)/.exec(header)?.[1]);
    expect(verifySignature(hook.secret, header, request.body, { now: t + 301 })).toBe('expired');

    const [logged] = await deliveries(w.owner, hook.id);
    expect(logged).toMatchObject({
      id: body.id,
      event: 'MESSAGE_CREATE',
      status: 'succeeded',
      attempts: 1,
      redeliveries: 0,
      last_status_code: 200,
      // API.md's delivery log: "status, attempts, response code".
      response_code: 200,
      last_error: null,
      next_attempt_at: null,
      completed_at: expect.any(Number),
      payload: body,
    });
    expect(logged?.last_latency_ms).toEqual(expect.any(Number));
  });

  it('retries 5xx with backoff: 500, 500, then 200 is delivered on attempt 3 (same delivery id)', async () => {
    const w = await makeWorld(app);
    const hook = await subscribe(
      w,
      { events: ['MESSAGE_CREATE'] },
      { script: [{ status: 500 }, { status: 502 }, { status: 200 }] },
    );
    await send(app, w.owner, w.channelId, 'third time lucky');
    const done = await finished(w.owner, hook);
    expect(done).toMatchObject({
      status: 'succeeded',
      attempts: 3,
      last_status_code: 200,
      next_attempt_at: null,
    });
    const requests = at(hook.path);
    expect(requests).toHaveLength(3);
    expect(new Set(requests.map((r) => r.headers['x-plexichat-delivery']))).toEqual(new Set([done.id]));
    // Each attempt is signed anew, and each signature verifies.
    for (const r of requests)
      expect(verifySignature(hook.secret, r.headers['x-plexichat-signature'] as string, r.body)).toBeNull();
  });

  it('a receiver that always fails makes the delivery dead after max_attempts; 4xx is failed at once', async () => {
    const w = await makeWorld(app);
    const dead = await subscribe(w, { events: ['MESSAGE_CREATE'] }, { script: [{ status: 500 }] });
    const refused = await subscribe(w, { events: ['MESSAGE_CREATE'] }, { script: [{ status: 400 }] });
    await send(app, w.owner, w.channelId, 'nobody wants this');
    expect(await finished(w.owner, dead)).toMatchObject({
      status: 'dead',
      attempts: WEBHOOKS.max_attempts,
      last_status_code: 500,
      last_error: 'HTTP 500',
      next_attempt_at: null,
      completed_at: expect.any(Number),
    });
    expect(at(dead.path)).toHaveLength(WEBHOOKS.max_attempts);
    expect(await finished(w.owner, refused)).toMatchObject({
      status: 'failed',
      attempts: 1,
      last_status_code: 400,
      next_attempt_at: null,
    });
    expect(at(refused.path)).toHaveLength(1);
    // One failure each: below disable_after, both stay enabled.
    const hook = await as(app, w.owner, 'GET', `/event-webhooks/${dead.id}`);
    expect(hook.body).toMatchObject({ enabled: true, consecutive_failures: 1 });
  });

  it('429 waits for Retry-After (seconds) before the next attempt, and the log shows the wait', async () => {
    const w = await makeWorld(app);
    const hook = await subscribe(
      w,
      { events: ['MESSAGE_CREATE'] },
      {
        script: [{ status: 429, headers: { 'retry-after': '2' } }, { status: 200 }],
      },
    );
    await send(app, w.owner, w.channelId, 'slow down');
    const waiting = await until('the throttled attempt', async () =>
      (await deliveries(w.owner, hook.id)).find((d) => d.attempts === 1),
    );
    expect(waiting).toMatchObject({ status: 'pending', last_status_code: 429, last_error: 'HTTP 429' });
    expect(waiting.next_attempt_at).toBeGreaterThanOrEqual(Math.floor(at(hook.path)[0]!.at / 1000) + 1);
    const done = await finished(w.owner, hook);
    expect(done).toMatchObject({ status: 'succeeded', attempts: 2, last_status_code: 200 });
    const [first, second] = at(hook.path);
    expect(second!.at - first!.at).toBeGreaterThanOrEqual(1900);
  });

  it('Retry-After as an HTTP date, capped at retry_after_max_seconds', async () => {
    const w = await makeWorld(app);
    const inAnHour = new Date(Date.now() + 3600_000).toUTCString();
    const hook = await subscribe(
      w,
      { events: ['MESSAGE_CREATE'] },
      { script: [{ status: 503, headers: { 'retry-after': inAnHour } }, { status: 200 }] },
    );
    const cap = app.config.webhooks.retry_after_max_seconds;
    app.config.webhooks.retry_after_max_seconds = 1;
    try {
      await send(app, w.owner, w.channelId, 'come back in an hour');
      const waiting = await until('the throttled attempt', async () =>
        (await deliveries(w.owner, hook.id)).find((d) => d.attempts === 1),
      );
      expect(waiting).toMatchObject({ status: 'pending', last_status_code: 503 });
      // Due within the cap, not in an hour.
      expect(waiting.next_attempt_at).toBeLessThanOrEqual(Math.floor(at(hook.path)[0]!.at / 1000) + 3);
      expect(await finished(w.owner, hook)).toMatchObject({ status: 'succeeded', attempts: 2 });
      const [first, second] = at(hook.path);
      expect(second!.at - first!.at).toBeGreaterThanOrEqual(900);
    } finally {
      app.config.webhooks.retry_after_max_seconds = cap;
    }
  });

  it('a receiver that does not answer in time fails the attempt (retried)', async () => {
    const w = await makeWorld(app);
    const hook = await subscribe(
      w,
      { events: ['MESSAGE_CREATE'] },
      { script: [{ status: 200, hang: true }, { status: 200 }] },
    );
    await send(app, w.owner, w.channelId, 'are you there');
    const done = await finished(w.owner, hook);
    expect(done).toMatchObject({ status: 'succeeded', attempts: 2 });
    expect(at(hook.path)).toHaveLength(2);

    const never = await subscribe(
      w,
      { events: ['MESSAGE_DELETE'] },
      { script: [{ status: 200, hang: true }] },
    );
    const message = await send(app, w.owner, w.channelId, 'delete me');
    expect((await as(app, w.owner, 'DELETE', `/channels/${w.channelId}/messages/${message.id}`)).status).toBe(
      204,
    );
    const timedOut = await finished(w.owner, never);
    expect(timedOut).toMatchObject({
      status: 'dead',
      attempts: WEBHOOKS.max_attempts,
      last_status_code: null,
    });
    expect(timedOut.last_error).toMatch(/^timeout/);
    expect(timedOut.payload.data).toEqual({ id: message.id, channel_id: w.channelId });
  });

  it('refuses private targets: at creation unless allowlisted, and at send time once the allowlist is gone', async () => {
    const strict = await startTestApp({ workers: false, gateway: false });
    try {
      const w = await makeWorld(strict);
      for (const url of [
        `${receiver.origin}/x`,
        'http://[::1]:8080/',
        'http://169.254.169.254/latest',
        'http://10.0.0.1/',
      ]) {
        const res = await api(strict, 'POST', `/servers/${w.serverId}/event-webhooks`, {
          token: w.owner.token,
          body: { url, events: ['MESSAGE_CREATE'] },
        });
        expect([url, res.status]).toEqual([url, 400]);
        expect(res.body.errors.url).toMatch(/private/);
      }
    } finally {
      await strict.close();
    }

    const w = await makeWorld(app);
    const hook = await subscribe(w, { events: ['MESSAGE_CREATE'] });
    const allowed = app.config.outbound.allow_private;
    app.config.outbound.allow_private = [];
    try {
      const ping = await as(app, w.owner, 'POST', `/event-webhooks/${hook.id}/ping`);
      expect(ping.status).toBe(202);
      const done = await finished(w.owner, hook);
      expect(done).toMatchObject({ event: 'PING', status: 'failed', attempts: 1, last_status_code: null });
      expect(done.last_error).toMatch(/^blocked_address/);
      expect(at(hook.path)).toHaveLength(0);
    } finally {
      app.config.outbound.allow_private = allowed;
    }
  });
});

describe('which events go out', () => {
  it('only subscribed types, only the filtered channels (and their threads)', async () => {
    const w = await makeWorld(app);
    const other = await addChannel(app, w, 'other');
    const hook = await subscribe(w, { events: ['MESSAGE_CREATE'], channel_ids: [w.channelId] });
    const reactions = await subscribe(w, { events: ['MESSAGE_REACTION_ADD'] });

    const elsewhere = await send(app, w.owner, other, 'not here');
    const here = await send(app, w.owner, w.channelId, 'here');
    await until('the delivery', () => at(hook.path).length > 0);
    // Nobody takes MESSAGE_CREATE from `other`: the event was not even queued.
    expect(await fanOutOf('MESSAGE_CREATE', elsewhere.id)).toBe('not queued');
    expect(at(hook.path).map((r) => parsed(r).data.id)).toEqual([here.id]);
    // Once someone does, the event is fanned out, to them only.
    const everything = await subscribe(w, { events: ['MESSAGE_CREATE'] });
    const again = await send(app, w.owner, other, 'still not here');
    expect(await fanOutOf('MESSAGE_CREATE', again.id)).toBe(1);
    await until('the unfiltered delivery', () => at(everything.path).length > 0);
    expect(at(hook.path).map((r) => parsed(r).data.id)).toEqual([here.id]);

    // A thread of a filtered channel matches its parent's filter.
    const thread = await as(app, w.owner, 'POST', `/channels/${w.channelId}/threads`, { name: 'sub' });
    expect(thread.status).toBe(201);
    const inThread = await send(app, w.owner, thread.body.id, 'in the thread');
    await until('the thread delivery', () => at(hook.path).some((r) => parsed(r).data.id === inThread.id));

    // Messages are not reactions: the reaction subscription got no message.
    expect(at(reactions.path)).toHaveLength(0);
    expect((await as(app, w.owner, 'PUT', `${reactionPath(w.channelId, here.id, '👍')}/@me`)).status).toBe(
      204,
    );
    const [reaction] = await until('the reaction', () => at(reactions.path).length > 0 && at(reactions.path));
    expect(parsed(reaction!)).toMatchObject({
      type: 'MESSAGE_REACTION_ADD',
      data: { channel_id: w.channelId, message_id: here.id, user_id: w.owner.id, emoji: '👍' },
    });
  });

  it('nothing from channels the creator cannot see (a member with MANAGE_WEBHOOKS, denied VIEW_CHANNEL)', async () => {
    const w = await makeWorld(app);
    const manager = await memberWith(app, w, Permission.MANAGE_WEBHOOKS);
    const secret = await addChannel(app, w, 'staff-only');
    await denyIn(app, w, secret, manager, Permission.VIEW_CHANNEL);
    const hook = await subscribe(w, { events: ['MESSAGE_CREATE', 'CHANNEL_DELETE'] }, { who: manager });

    const hidden = await send(app, w.owner, secret, 'you cannot see this');
    const visible = await send(app, w.owner, w.channelId, 'but this');
    await until('the visible delivery', () => at(hook.path).length > 0);
    expect(await fanOutOf('MESSAGE_CREATE', hidden.id)).toBe(0);
    expect(at(hook.path).map((r) => parsed(r).data.id)).toEqual([visible.id]);

    // Deleting the hidden channel is not news for them either; deleting a visible one is.
    expect((await as(app, w.owner, 'DELETE', `/channels/${secret}`)).status).toBe(204);
    expect(await fanOutOf('CHANNEL_DELETE', secret)).toBe(0);
    const open = await addChannel(app, w, 'open');
    expect((await as(app, w.owner, 'DELETE', `/channels/${open}`)).status).toBe(204);
    const deleted = await until('the CHANNEL_DELETE', () =>
      at(hook.path).find((r) => parsed(r).type === 'CHANNEL_DELETE'),
    );
    expect(parsed(deleted).data).toMatchObject({ id: open, name: 'open' });
    const channelDeletes = (await deliveries(w.owner, hook.id)).filter((d) => d.event === 'CHANNEL_DELETE');
    expect(channelDeletes.map((d) => d.payload.data.id)).toEqual([open]);
  });

  it('member joins and leaves go out as SERVER_MEMBER_ADD / SERVER_MEMBER_REMOVE; channel events too', async () => {
    const w = await makeWorld(app);
    const hook = await subscribe(w, {
      events: ['SERVER_MEMBER_ADD', 'SERVER_MEMBER_REMOVE', 'CHANNEL_CREATE'],
      channel_ids: [w.channelId],
    });
    const invite = await as(app, w.owner, 'POST', `/channels/${w.channelId}/invites`, {});
    expect(invite.status).toBe(201);
    const joiner = await person(app);
    expect((await as(app, joiner, 'POST', `/invites/${invite.body.code}`)).status).toBe(200);
    const added = await until('SERVER_MEMBER_ADD', () =>
      at(hook.path).find((r) => parsed(r).type === 'SERVER_MEMBER_ADD'),
    );
    expect(parsed(added)).toMatchObject({
      type: 'SERVER_MEMBER_ADD',
      server_id: w.serverId,
      data: { user: { id: joiner.id } },
    });
    expect((await as(app, w.owner, 'DELETE', `/servers/${w.serverId}/members/${joiner.id}`)).status).toBe(
      204,
    );
    const removed = await until('SERVER_MEMBER_REMOVE', () =>
      at(hook.path).find((r) => parsed(r).type === 'SERVER_MEMBER_REMOVE'),
    );
    expect(parsed(removed).data).toMatchObject({ server_id: w.serverId, user: { id: joiner.id } });
    // The channel filter narrows channel events: a new channel is not in it.
    const created = await addChannel(app, w, 'fresh');
    const unfiltered = await subscribe(w, { events: ['CHANNEL_CREATE'] });
    const second = await addChannel(app, w, 'second');
    const event = await until('CHANNEL_CREATE', () => at(unfiltered.path)[0]);
    expect(parsed(event).data).toMatchObject({ id: second, name: 'second' });
    expect(at(hook.path).some((r) => parsed(r).data.id === created)).toBe(false);
    expect(at(hook.path).some((r) => parsed(r).data.id === second)).toBe(false);
  });

  it('a server without subscriptions costs one Redis read per event and no query', async () => {
    const w = await makeWorld(app);
    const event = {
      type: 'MESSAGE_DELETE',
      channel_id: w.channelId,
      data: { id: '1', channel_id: w.channelId },
    } as const;
    // The same database through an object of its own whose queries are counted (the workers in this
    // process keep using theirs, so their queries cannot be counted by mistake).
    const original = app.rt.sequelize;
    let queries = 0;
    const counted = Object.create(original) as typeof original;
    counted.query = ((...args: Parameters<typeof original.query>) => {
      queries += 1;
      return original.query(...args);
    }) as typeof original.query;
    const rt = { ...app.rt, sequelize: counted };
    const jobs = async (): Promise<number> =>
      Object.values(
        await app.rt.queues.webhooks.getJobCounts('waiting', 'delayed', 'active', 'completed'),
      ).reduce((a, b) => a + b, 0);
    await queueOutgoingEvent(rt, event);
    // Learning the channel's server and the (empty) summary took queries, once.
    expect(queries).toBeGreaterThan(0);
    queries = 0;
    const before = await jobs();
    for (let i = 0; i < 5; i++) await queueOutgoingEvent(rt, event);
    expect(queries).toBe(0);
    expect(await jobs()).toBe(before);
    // Subscribing invalidates the summary at once: the next event is delivered.
    const hook = await subscribe(w, { events: ['MESSAGE_DELETE'] });
    await queueOutgoingEvent(app.rt, event);
    await until('the delivery', () => at(hook.path).length > 0);
  });
});

describe('who sees and manages an event webhook', () => {
  /** A member holding one new role at `position` with `permissions`. */
  async function ranked(w: World, position: number, permissions: bigint): Promise<Person> {
    const role = await makeRole(app, w.serverId, { position, permissions });
    return member(app, w.serverId, [role.id]);
  }
  /**
   * A server with a `staff` channel; `low` (MANAGE_WEBHOOKS) subscribed to MESSAGE_CREATE and sees
   * staff; `high` (MANAGE_SERVER, ranked above) does not.
   */
  async function lowHookHiddenFromHigh() {
    const w = await makeWorld(app);
    const staff = await addChannel(app, w, 'staff');
    const low = await ranked(w, 1, Permission.MANAGE_WEBHOOKS);
    const high = await ranked(w, 2, Permission.MANAGE_WEBHOOKS | Permission.MANAGE_SERVER);
    await denyIn(app, w, staff, high, Permission.VIEW_CHANNEL);
    const hook = await subscribe(w, { events: ['MESSAGE_CREATE'] }, { who: low });
    return { w, staff, low, high, hook };
  }
  const listed = async (who: Person, w: World): Promise<string[]> => {
    const res = await as(app, who, 'GET', `/servers/${w.serverId}/event-webhooks`);
    expect(res.status).toBe(200);
    return (res.body as { id: string }[]).map((h) => h.id);
  };

  it('only its owner, or MANAGE_SERVER ranked above the owner, lists, reads, edits, rotates, pings or deletes it', async () => {
    const w = await makeWorld(app);
    const low = await ranked(w, 1, Permission.MANAGE_WEBHOOKS);
    const peer = await ranked(w, 1, Permission.MANAGE_WEBHOOKS | Permission.MANAGE_SERVER);
    const high = await ranked(w, 2, Permission.MANAGE_WEBHOOKS | Permission.MANAGE_SERVER);
    const ownersHook = await subscribe(w, { events: ['MESSAGE_CREATE'] });
    const lowHook = await subscribe(w, { events: ['MESSAGE_CREATE'] }, { who: low });
    const highHook = await subscribe(w, { events: ['MESSAGE_CREATE'] }, { who: high });
    const ping = (await as(app, w.owner, 'POST', `/event-webhooks/${ownersHook.id}/ping`)).body as Delivery;

    expect(await listed(low, w)).toEqual([lowHook.id]);
    expect(await listed(peer, w)).toEqual([]);
    expect(await listed(high, w)).toEqual([lowHook.id, highHook.id]);
    expect(await listed(w.owner, w)).toEqual([ownersHook.id, lowHook.id, highHook.id]);

    const { url: elsewhere } = hookPath();
    for (const [who, hook] of [
      [low, ownersHook],
      [low, highHook],
      [peer, lowHook],
      [high, ownersHook],
    ] as const) {
      await expectInvisible(who, hook.id, ping.id, { url: elsewhere, channel_ids: null });
    }
    // Nothing changed: same URL, same owner, same secret.
    const kept = await as(app, w.owner, 'GET', `/event-webhooks/${ownersHook.id}`);
    expect(kept.body).toMatchObject({ url: `${receiver.origin}${ownersHook.path}`, creator_id: w.owner.id });

    // Above the owner with MANAGE_SERVER: reads and edits.
    expect((await as(app, high, 'GET', `/event-webhooks/${lowHook.id}`)).status).toBe(200);
    expect((await as(app, high, 'PATCH', `/event-webhooks/${lowHook.id}`, { enabled: false })).status).toBe(
      200,
    );
    // An owner who left has no rank: the server's MANAGE_SERVER managers can clean up.
    expect((await as(app, w.owner, 'DELETE', `/servers/${w.serverId}/members/${low.id}`)).status).toBe(204);
    expect(await listed(peer, w)).toEqual([lowHook.id]);
    expect((await as(app, peer, 'DELETE', `/event-webhooks/${lowHook.id}`)).status).toBe(204);
  });

  it('the delivery log withholds events of channels the viewer cannot see; a filter names only visible channels', async () => {
    const { w, staff, low, high, hook } = await lowHookHiddenFromHigh();
    const secret = await send(app, w.owner, staff, 'staff only: the launch date');
    const open = await send(app, w.owner, w.channelId, 'hello everyone');
    await until('both deliveries', () => at(hook.path).length === 2);

    const byLow = await deliveries(low, hook.id);
    expect(byLow.map((d) => [d.payload.data.id, d.redacted])).toEqual([
      [open.id, false],
      [secret.id, false],
    ]);
    const byHigh = await deliveries(high, hook.id);
    expect(byHigh.map((d) => d.id)).toEqual(byLow.map((d) => d.id));
    const [openSeen, secretSeen] = byHigh;
    expect(openSeen).toMatchObject({ redacted: false, payload: { data: { id: open.id } } });
    expect(secretSeen).toMatchObject({
      redacted: true,
      status: 'succeeded',
      payload: { type: 'MESSAGE_CREATE' },
    });
    expect(secretSeen?.payload).not.toHaveProperty('data');
    expect(JSON.stringify(byHigh)).not.toContain('launch date');
    // Redelivering it answers with the same withheld view.
    const again = await as(app, high, 'POST', `/webhooks/${hook.id}/deliveries/${secretSeen?.id}/redeliver`);
    expect(again.status).toBe(202);
    expect(again.body).toMatchObject({ redacted: true });
    expect(JSON.stringify(again.body)).not.toContain('launch date');

    // A filter shows the viewer only the channels they can see; their edit keeps the hidden ones.
    const filtered = await subscribe(
      w,
      { events: ['MESSAGE_CREATE'], channel_ids: [staff, w.channelId] },
      { who: low },
    );
    const seenByHigh = await as(app, high, 'GET', `/event-webhooks/${filtered.id}`);
    expect(seenByHigh.body.channel_ids).toEqual([w.channelId]);
    const listedByHigh = await as(app, high, 'GET', `/servers/${w.serverId}/event-webhooks`);
    expect(JSON.stringify(listedByHigh.body)).not.toContain(staff);
    const narrowed = await as(app, high, 'PATCH', `/event-webhooks/${filtered.id}`, {
      channel_ids: [w.channelId],
    });
    expect(narrowed.body.channel_ids).toEqual([w.channelId]);
    const full = await as(app, w.owner, 'GET', `/event-webhooks/${filtered.id}`);
    expect([...(full.body.channel_ids as string[])].sort()).toEqual([staff, w.channelId].sort());

    // A filter may name only channels the editor can see (without saying whether a hidden one exists).
    const widen = await as(app, high, 'PATCH', `/event-webhooks/${hook.id}`, { channel_ids: [staff] });
    expect(widen.status).toBe(400);
    expect(Object.keys(widen.body.errors)).toEqual(['channel_ids.0']);
    const own = await as(app, high, 'POST', `/servers/${w.serverId}/event-webhooks`, {
      url: hookPath().url,
      events: ['MESSAGE_CREATE'],
      channel_ids: [w.channelId, staff],
    });
    expect(own.status).toBe(400);
    expect(Object.keys(own.body.errors)).toEqual(['channel_ids.1']);
  });

  it('pointing someone else’s webhook at a new URL makes the editor its owner: deliveries carry what they may see', async () => {
    const { w, staff, low, high, hook } = await lowHookHiddenFromHigh();
    const mine = hookPath();
    const moved = await as(app, high, 'PATCH', `/event-webhooks/${hook.id}`, { url: mine.url });
    expect(moved.status).toBe(200);
    expect(moved.body).toMatchObject({ url: mine.url, creator_id: high.id });
    // The previous owner no longer manages it (they do not outrank the new one).
    expect((await as(app, low, 'GET', `/event-webhooks/${hook.id}`)).status).toBe(404);
    const log = await as(app, w.owner, 'GET', `/servers/${w.serverId}/audit-logs`);
    const update = (log.body as { action: string; target_id: string; changes: unknown[] }[]).find(
      (e) => e.action === 'event_webhook_update' && e.target_id === hook.id,
    );
    expect(update?.changes).toEqual(
      expect.arrayContaining([{ key: 'creator_id', old: low.id, new: high.id }]),
    );

    const hidden = await send(app, w.owner, staff, 'not for the new owner');
    const visible = await send(app, w.owner, w.channelId, 'for everyone');
    await until('the visible delivery', () => at(mine.path).length > 0);
    expect(await fanOutOf('MESSAGE_CREATE', hidden.id)).toBe(0);
    expect(at(mine.path).map((r) => parsed(r).data.id)).toEqual([visible.id]);
  });

  it('each attempt is judged by what the owner may see then: lost VIEW_CHANNEL, left or banned withholds it', async () => {
    const w = await makeWorld(app);
    const staff = await addChannel(app, w, 'staff');
    const low = await ranked(w, 1, Permission.MANAGE_WEBHOOKS);
    const hook = await subscribe(w, { events: ['MESSAGE_CREATE', 'SERVER_MEMBER_ADD'] }, { who: low });
    const inStaff = await send(app, w.owner, staff, 'sent while they could see it');
    const inGeneral = await send(app, w.owner, w.channelId, 'general news');
    await until('the first deliveries', () => at(hook.path).length === 2);
    const log = await deliveries(low, hook.id);
    const staffDelivery = log.find((d) => d.payload.data.id === inStaff.id);
    const generalDelivery = log.find((d) => d.payload.data.id === inGeneral.id);

    // The owner loses VIEW_CHANNEL in staff: redelivering that event sends nothing.
    await denyIn(app, w, staff, low, Permission.VIEW_CHANNEL);
    const again = await as(
      app,
      low,
      'POST',
      `/webhooks/${hook.id}/deliveries/${staffDelivery?.id}/redeliver`,
    );
    expect(again.status).toBe(202);
    // ...while the general one still goes out.
    expect(
      (await as(app, low, 'POST', `/webhooks/${hook.id}/deliveries/${generalDelivery?.id}/redeliver`)).status,
    ).toBe(202);
    const withheld = await finished(low, hook, (d) => d.id === staffDelivery?.id && d.redeliveries === 1);
    expect(withheld).toMatchObject({ status: 'failed', last_error: expect.stringMatching(/^withheld/) });
    await until('the general redelivery', () => at(hook.path).length === 3);
    expect(at(hook.path).map((r) => parsed(r).data.id)).toEqual([inStaff.id, inGeneral.id, inGeneral.id]);
    // Withheld deliveries are not the receiver's failures.
    expect((await as(app, low, 'GET', `/event-webhooks/${hook.id}`)).body).toMatchObject({
      enabled: true,
      consecutive_failures: 0,
    });

    // Banned: nothing at all goes out, not even from general (the server owner still manages it).
    const ban = await as(app, w.owner, 'PUT', `/servers/${w.serverId}/bans/${low.id}`, {});
    expect([200, 204]).toContain(ban.status);
    const redo = await as(
      app,
      w.owner,
      'POST',
      `/webhooks/${hook.id}/deliveries/${generalDelivery?.id}/redeliver`,
    );
    expect(redo.status).toBe(202);
    const gone = await finished(w.owner, hook, (d) => d.id === generalDelivery?.id && d.redeliveries === 2);
    expect(gone).toMatchObject({ status: 'failed', last_error: expect.stringMatching(/^withheld/) });
    const later = await send(app, w.owner, w.channelId, 'after the ban');
    expect(await fanOutOf('MESSAGE_CREATE', later.id)).toBe(0);
    expect(at(hook.path)).toHaveLength(3);
  });
});

describe('auto-disable, redelivery, routing', () => {
  it('disables a subscription after disable_after dead deliveries in a row and notifies its creator', async () => {
    const w = await makeWorld(app);
    const hook = await subscribe(w, { events: ['MESSAGE_CREATE'] }, { script: [{ status: 503 }] });
    const creator = await gw.connect(w.owner);
    const first = await send(app, w.owner, w.channelId, 'one');
    await finished(w.owner, hook, (d) => d.payload.data.id === first.id);
    expect((await as(app, w.owner, 'GET', `/event-webhooks/${hook.id}`)).body).toMatchObject({
      enabled: true,
      consecutive_failures: 1,
    });
    await send(app, w.owner, w.channelId, 'two');
    const frame = (
      await creator.waitForFrames(1, (f) => f.t === 'NOTIFICATION_CREATE', 15000)
    )[0] as DispatchFrame<'NOTIFICATION_CREATE'>;
    expect(frame.d).toMatchObject({
      type: 'webhook_disabled',
      read: false,
      server_id: w.serverId,
      channel_id: null,
      message_id: null,
      author_id: null,
      message: null,
      webhook: {
        id: hook.id,
        url: `${receiver.origin}${hook.path}`,
        reason: expect.stringContaining('2 deliveries'),
      },
    });
    const state = await as(app, w.owner, 'GET', `/event-webhooks/${hook.id}`);
    expect(state.body).toMatchObject({
      enabled: false,
      disabled_at: expect.any(Number),
      disabled_reason: expect.stringContaining('HTTP 503'),
      consecutive_failures: 2,
    });
    const inbox = await as(app, w.owner, 'GET', '/users/@me/notifications');
    expect(inbox.status).toBe(200);
    expect(inbox.body).toEqual([frame.d]);

    // Disabled: nothing more is queued for it, and it cannot be pinged or redelivered to.
    const third = await send(app, w.owner, w.channelId, 'three');
    expect(await fanOutOf('MESSAGE_CREATE', third.id)).toBe('not queued');
    expect((await as(app, w.owner, 'POST', `/event-webhooks/${hook.id}/ping`)).body.code).toBe(
      'webhook_disabled',
    );

    // Re-enabling resets the count; deliveries flow again.
    scripts.set(hook.path, [{ status: 204 }]);
    const enabled = await as(app, w.owner, 'PATCH', `/event-webhooks/${hook.id}`, { enabled: true });
    expect(enabled.body).toMatchObject({
      enabled: true,
      disabled_at: null,
      disabled_reason: null,
      consecutive_failures: 0,
    });
    const fourth = await send(app, w.owner, w.channelId, 'four');
    expect(await finished(w.owner, hook, (d) => d.payload.data.id === fourth.id)).toMatchObject({
      status: 'succeeded',
      last_status_code: 204,
    });
    // A dead delivery can be sent again by hand.
    const dead = (await deliveries(w.owner, hook.id, '?status=dead')).find(
      (d) => d.payload.data.id === first.id,
    );
    expect(dead).toMatchObject({ attempts: WEBHOOKS.max_attempts, last_status_code: 503 });
    const again = await as(app, w.owner, 'POST', `/webhooks/${hook.id}/deliveries/${dead!.id}/redeliver`);
    expect(again.status).toBe(202);
    expect(await finished(w.owner, hook, (d) => d.id === dead!.id && d.redeliveries === 1)).toMatchObject({
      status: 'succeeded',
      attempts: 1,
      last_status_code: 204,
    });

    // Mentions and replies still reach the inbox beside it.
    const writer = await member(app, w.serverId);
    const mention = await send(app, writer, w.channelId, `<@${w.owner.id}> look`);
    const both = await until('the mention in the inbox', async () => {
      const res = await as(app, w.owner, 'GET', '/users/@me/notifications');
      const list = res.body as Record<string, unknown>[];
      return list.length === 2 && list;
    });
    expect(both[0]).toMatchObject({ type: 'mention', message_id: mention.id, message: { id: mention.id } });
    expect(both[1]).toEqual(frame.d);
  });

  it('redelivers by hand, dead and failed deliveries too, under the same id; pages the log newest first', async () => {
    const w = await makeWorld(app);
    const hook = await subscribe(w, { events: ['MESSAGE_CREATE'] }, { script: [{ status: 404 }] });
    const message = await send(app, w.owner, w.channelId, 'again please');
    const failed = await finished(w.owner, hook);
    expect(failed).toMatchObject({ status: 'failed', attempts: 1, last_status_code: 404 });

    scripts.set(hook.path, [{ status: 200 }]);
    const res = await as(app, w.owner, 'POST', `/webhooks/${hook.id}/deliveries/${failed.id}/redeliver`);
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({ id: failed.id, status: 'pending', attempts: 0, redeliveries: 1 });
    const done = await finished(w.owner, hook);
    expect(done).toMatchObject({
      id: failed.id,
      status: 'succeeded',
      attempts: 1,
      redeliveries: 1,
      last_status_code: 200,
    });
    const requests = at(hook.path);
    expect(requests).toHaveLength(2);
    expect(requests.map((r) => r.headers['x-plexichat-delivery'])).toEqual([failed.id, failed.id]);
    expect(requests.map((r) => parsed(r))).toEqual([failed.payload, failed.payload]);
    expect(failed.payload.data.id).toBe(message.id);

    // Paging: newest first, `before` and `limit`, oldest first with `after`, `status`.
    const pings: string[] = [];
    for (let i = 0; i < 3; i++)
      pings.push((await as(app, w.owner, 'POST', `/event-webhooks/${hook.id}/ping`)).body.id);
    await until(
      'the pings',
      async () => (await deliveries(w.owner, hook.id, '?status=succeeded')).length === 4,
    );
    const page = await deliveries(w.owner, hook.id, '?limit=2');
    expect(page.map((d) => d.id)).toEqual([pings[2], pings[1]]);
    const next = await deliveries(w.owner, hook.id, `?limit=2&before=${pings[1]}`);
    expect(next.map((d) => d.id)).toEqual([pings[0], failed.id]);
    const later = await deliveries(w.owner, hook.id, `?limit=2&after=${failed.id}`);
    expect(later.map((d) => d.id)).toEqual([pings[0], pings[1]]);
    const between = await deliveries(w.owner, hook.id, `?after=${failed.id}&before=${pings[2]}`);
    expect(between.map((d) => d.id)).toEqual([pings[0], pings[1]]);
    expect(await deliveries(w.owner, hook.id, '?status=dead')).toEqual([]);
    const badLimit = await as(app, w.owner, 'GET', `/webhooks/${hook.id}/deliveries?limit=0`);
    expect(badLimit.body.errors).toHaveProperty('limit');

    // Another webhook's delivery is not this one's.
    const other = await subscribe(w, { events: ['MESSAGE_DELETE'] });
    const cross = await as(app, w.owner, 'POST', `/webhooks/${other.id}/deliveries/${failed.id}/redeliver`);
    expect(cross.status).toBe(404);
    expect(cross.body.code).toBe('unknown_delivery');
  });

  it('the routes are in the OpenAPI document', async () => {
    const doc = (await api(app, 'GET', '/openapi.json')).body as {
      paths: Record<string, Record<string, unknown>>;
    };
    expect(Object.keys(doc.paths['/servers/{server_id}/event-webhooks'] ?? {}).sort()).toEqual([
      'get',
      'post',
    ]);
    expect(Object.keys(doc.paths['/event-webhooks/{webhook_id}'] ?? {}).sort()).toEqual([
      'delete',
      'get',
      'patch',
    ]);
    expect(doc.paths['/event-webhooks/{webhook_id}/secret']).toHaveProperty('post');
    expect(doc.paths['/event-webhooks/{webhook_id}/ping']).toHaveProperty('post');
    expect(doc.paths['/webhooks/{webhook_id}/deliveries']).toHaveProperty('get');
    expect(doc.paths['/webhooks/{webhook_id}/deliveries/{delivery_id}/redeliver']).toHaveProperty('post');
    expect(doc.paths['/webhooks/{webhook_id}/{token}']).toHaveProperty('post');
  });

  it('the deliveries routes and the incoming execute route do not shadow each other', async () => {
    const w = await makeWorld(app);
    const hook = await subscribe(w, { events: ['MESSAGE_CREATE'] });
    const ping = await as(app, w.owner, 'POST', `/event-webhooks/${hook.id}/ping`);
    await finished(w.owner, hook);
    const incoming = await as(app, w.owner, 'POST', `/channels/${w.channelId}/webhooks`, { name: 'CI' });
    expect(incoming.status).toBe(201);

    const log = await as(app, w.owner, 'GET', `/webhooks/${hook.id}/deliveries`);
    expect(log.status).toBe(200);
    expect(log.body.map((d: Delivery) => d.id)).toEqual([ping.body.id]);
    const redeliver = await as(
      app,
      w.owner,
      'POST',
      `/webhooks/${hook.id}/deliveries/${ping.body.id}/redeliver`,
    );
    expect(redeliver.status).toBe(202);
    // POST /webhooks/{id}/deliveries is the execute route with the token "deliveries": a wrong token.
    const execute = await api(app, 'POST', `/webhooks/${hook.id}/deliveries`, { body: { content: 'x' } });
    expect(execute.status).toBe(404);
    expect(execute.body.code).toBe('unknown_webhook');
    // An incoming webhook still executes, and its delivery log is empty (it sends nothing out).
    const posted = await api(app, 'POST', `/webhooks/${incoming.body.id}/${incoming.body.token}`, {
      body: { content: 'still works' },
    });
    expect(posted.status).toBe(204);
    const noLog = await as(app, w.owner, 'GET', `/webhooks/${incoming.body.id}/deliveries`);
    expect([noLog.status, noLog.body]).toEqual([200, []]);
  });

  it('prunes finished deliveries older than the retention, keeping recent and pending ones', async () => {
    const w = await makeWorld(app);
    const hook = await subscribe(w, { events: ['MESSAGE_CREATE'] });
    for (let i = 0; i < 3; i++) await as(app, w.owner, 'POST', `/event-webhooks/${hook.id}/ping`);
    await until(
      'the pings',
      async () => (await deliveries(w.owner, hook.id, '?status=succeeded')).length === 3,
    );
    const [recent, old, oldPending] = await deliveries(w.owner, hook.id);
    const longAgo = new Date(Date.now() - (app.config.webhooks.retention_days + 1) * 86400_000);
    await app.rt.models.WebhookDelivery.update(
      { created_at: longAgo },
      { where: { id: [old!.id, oldPending!.id] } },
    );
    await app.rt.models.WebhookDelivery.update(
      { status: 'pending', next_attempt_at: null },
      { where: { id: oldPending!.id } },
    );
    expect(await pruneDeliveries(app.rt)).toBeGreaterThanOrEqual(1);
    expect((await deliveries(w.owner, hook.id)).map((d) => d.id).sort()).toEqual(
      [recent!.id, oldPending!.id].sort(),
    );
  });
});
