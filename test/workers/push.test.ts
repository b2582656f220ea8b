import type { QueueEvents } from 'bullmq';
import { issueSession } from '../../shared/accounts/sessions.js';
import { createQueueEvents, pushJobId, type PushResult } from '../../shared/queues/index.js';
import { api } from '../helpers/accounts.js';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { testConfig } from '../helpers/config.js';
import type { GatewayClient } from '../helpers/gateway-client.js';
import {
  startFakePushService,
  verifyVapid,
  type FakePushService,
  type PushDevice,
} from '../helpers/push-service.js';
import { person, type Person } from '../api/servers/membership-helpers.js';
import { as, connect, join, send, startThread, world, type World } from '../api/threads/helpers.js';

const SUBJECT = 'mailto:ops@example.com';
const PUBLIC_URL = 'https://chat.example.com';

let service: FakePushService;
let app: TestApp;
let queueEvents: QueueEvents;
const clients: GatewayClient[] = [];

/** A config whose safe fetcher may reach the fake push service on loopback. */
function pushConfig(push: Record<string, unknown> = {}) {
  return testConfig({
    outbound: { allow_private: ['127.0.0.0/8'] },
    server: { public_url: PUBLIC_URL },
    push: { vapid_subject: SUBJECT, max_failures: 2, ...push },
  });
}

async function startApp(config = pushConfig()): Promise<{ app: TestApp; events: QueueEvents }> {
  const started = await startTestApp({ config });
  const set = createQueueEvents(started.config, started.rt.logger);
  started.rt.lifecycle.add('test queue events', () => set.close());
  await set.events.push.waitUntilReady();
  return { app: started, events: set.events.push };
}

beforeAll(async () => {
  service = await startFakePushService();
  ({ app, events: queueEvents } = await startApp());
}, 60000);
afterAll(async () => {
  for (const c of clients) c.close();
  await app?.close();
  await service?.close();
});

/** Registers a new fake device for `who` (expects 201). */
async function subscribe(who: Person, on: TestApp = app, answers: number[] = []): Promise<PushDevice> {
  const device = service.device(answers);
  const res = await as(on, who, 'POST', '/users/@me/push-subscriptions', device.subscription);
  expect(res.status).toBe(201);
  return device;
}

/** Whether a push job was queued for this message and user (the message's answer came after any queueing). */
async function pushQueued(messageId: string, userId: string, on: TestApp = app): Promise<boolean> {
  return (await on.rt.queues.push.getJob(pushJobId(messageId, userId))) !== undefined;
}

/** The result of the push job for this message and user, once it finished. */
async function pushResult(
  messageId: string,
  userId: string,
  on: TestApp = app,
  events: QueueEvents = queueEvents,
): Promise<PushResult> {
  const job = await on.rt.queues.push.getJob(pushJobId(messageId, userId));
  if (!job) throw new Error(`no push job for message ${messageId} and user ${userId}`);
  return job.waitUntilFinished(events, 20000);
}

async function subscriptionsOf(who: Person, on: TestApp = app) {
  const res = await as(on, who, 'GET', '/users/@me/push-subscriptions');
  expect(res.status).toBe(200);
  return res.body as {
    id: string;
    endpoint: string;
    failure_count: number;
    last_success_at: number | null;
  }[];
}

async function mute(who: Person, path: string, body: Record<string, unknown>) {
  const res = await as(app, who, 'PUT', `/users/@me/notification-settings/${path}`, body);
  expect(res.status).toBe(200);
  return res.body as { active: boolean };
}

describe('what is pushed', () => {
  it('a mention of an offline user: encrypted for their browser, signed with VAPID for the service, with TTL and urgency', async () => {
    const w = await world(app);
    const alice = await join(app, w);
    const device = await subscribe(alice);
    const content = `<@${alice.id}> look at   this ${'x'.repeat(200)}`;
    const message = await send(app, w.owner, w.channelId, content);

    const [request] = await device.waitForDeliveries(1);
    expect(request?.decryptError).toBeNull();
    const payload = request?.payload as Record<string, unknown>;
    expect(payload).toEqual({
      type: 'mention',
      title: `${w.owner.username} mentioned you in #general`,
      body: expect.any(String),
      message_id: message.id,
      channel_id: w.channelId,
      server_id: w.serverId,
      author_id: w.owner.id,
      url: `${PUBLIC_URL}/channels/${w.serverId}/${w.channelId}/${message.id}`,
    });
    const body = payload.body as string;
    // Mentions by name, whitespace collapsed, cut at 100 characters with an ellipsis.
    expect(body.startsWith(`@${alice.username} look at this xxx`)).toBe(true);
    expect([...body]).toHaveLength(100);
    expect(body.endsWith('…')).toBe(true);
    expect(request?.body.length).toBeLessThan(3072);

    const headers = request?.headers ?? {};
    expect(headers.ttl).toBe('86400');
    expect(headers.urgency).toBe('normal');
    expect(headers['content-encoding']).toBe('aes128gcm');
    const vapid = verifyVapid(headers.authorization);
    const published = await api(app, 'GET', '/push/vapid-public-key');
    expect(vapid.key).toBe(published.body.public_key);
    expect(vapid.claims.aud).toBe(service.server.origin);
    expect(vapid.claims.sub).toBe(SUBJECT);
    const now = Date.now() / 1000;
    expect(vapid.claims.exp).toBeGreaterThan(now);
    expect(vapid.claims.exp).toBeLessThanOrEqual(now + 24 * 3600);

    expect(await pushResult(message.id, alice.id)).toEqual({ sent: 1, removed: 0, failed: 0, skipped: null });
    const [stored] = await subscriptionsOf(alice);
    expect(stored?.last_success_at).toEqual(expect.any(Number));
    expect(stored?.failure_count).toBe(0);
  });

  it('a reply is pushed as a reply; an attachment-only or emoji message still reads', async () => {
    const w = await world(app);
    const bob = await join(app, w);
    const device = await subscribe(bob);
    const question = await send(app, bob, w.channelId, 'who broke the build?');
    const res = await as(app, w.owner, 'POST', `/channels/${w.channelId}/messages`, {
      content: `me <:party:123456> sorry, see <#${w.channelId}>`,
      reply_to: question.id,
    });
    expect(res.status).toBe(200);
    const [request] = await device.waitForDeliveries(1);
    expect(request?.payload).toMatchObject({
      type: 'reply',
      title: `${w.owner.username} replied to you in #general`,
      body: 'me :party: sorry, see #general',
      message_id: res.body.id,
    });
    // Bob's own message pushed nothing to anyone.
    expect(await pushQueued(question.id, w.owner.id)).toBe(false);
  });

  it('a DM goes to its other recipient as type dm, never to its author', async () => {
    const a = await person(app);
    const b = await person(app);
    const deviceA = await subscribe(a);
    const deviceB = await subscribe(b);
    const dm = await as(app, a, 'POST', '/users/@me/channels', { recipient_id: b.id });
    expect(dm.status).toBe(200);
    const message = await send(app, a, dm.body.id, 'lunch?');
    const [request] = await deviceB.waitForDeliveries(1);
    expect(request?.payload).toEqual({
      type: 'dm',
      title: a.username,
      body: 'lunch?',
      message_id: message.id,
      channel_id: dm.body.id,
      server_id: null,
      author_id: a.id,
      url: `${PUBLIC_URL}/channels/@me/${dm.body.id}/${message.id}`,
    });
    expect(await pushQueued(message.id, a.id)).toBe(false);
    expect(deviceA.requests).toHaveLength(0);
  });

  it('nothing for users with a live gateway connection (invisible too), checked when the push is sent', async () => {
    const w = await world(app);
    const online = await join(app, w);
    const invisible = await join(app, w);
    const offline = await join(app, w);
    const [onlineDevice, invisibleDevice, offlineDevice] = [
      await subscribe(online),
      await subscribe(invisible),
      await subscribe(offline),
    ];
    await connect(app, online, clients);
    const ghost = await connect(app, invisible, clients);
    expect(await ghost.command('presence_update', { status: 'invisible' })).toMatchObject({ ok: true });

    const message = await send(
      app,
      w.owner,
      w.channelId,
      `<@${online.id}> <@${invisible.id}> <@${offline.id}> standup`,
    );
    await offlineDevice.waitForDeliveries(1);
    const skipped = { sent: 0, removed: 0, failed: 0, skipped: 'online' };
    expect(await pushResult(message.id, online.id)).toEqual(skipped);
    expect(await pushResult(message.id, invisible.id)).toEqual(skipped);
    expect(onlineDevice.requests).toHaveLength(0);
    expect(invisibleDevice.requests).toHaveLength(0);
  });

  it('nothing for people without a subscription, nor for bystanders', async () => {
    const w = await world(app);
    const plain = await join(app, w);
    const bystander = await join(app, w);
    const bystanderDevice = await subscribe(bystander);
    const message = await send(app, w.owner, w.channelId, `<@${plain.id}> hi`);
    expect(await pushQueued(message.id, plain.id)).toBe(false);
    expect(await pushQueued(message.id, bystander.id)).toBe(false);
    const later = await send(app, w.owner, w.channelId, `<@${bystander.id}> your turn`);
    expect((await pushResult(later.id, bystander.id)).sent).toBe(1);
    expect(bystanderDevice.requests.map((r) => r.payload?.message_id)).toEqual([later.id]);
    // "Has no subscription" was cached for `plain`: subscribing now takes effect at once.
    const plainDevice = await subscribe(plain);
    const now = await send(app, w.owner, w.channelId, `<@${plain.id}> and now?`);
    expect((await pushResult(now.id, plain.id)).sent).toBe(1);
    expect(plainDevice.delivered.map((r) => r.payload?.message_id)).toEqual([now.id]);
  });
});

describe('mutes', () => {
  /** A server with a second channel, a subscribed member `me` and a subscribed control member. */
  async function setup(): Promise<{
    w: World;
    other: string;
    me: Person;
    mine: PushDevice;
    control: Person;
    theirs: PushDevice;
  }> {
    const w = await world(app);
    const created = await as(app, w.owner, 'POST', `/servers/${w.serverId}/channels`, {
      name: 'random',
      channel_type: 'text',
    });
    expect(created.status).toBe(201);
    const me = await join(app, w);
    const control = await join(app, w);
    return {
      w,
      other: created.body.id,
      me,
      mine: await subscribe(me),
      control,
      theirs: await subscribe(control),
    };
  }

  it('a muted channel pushes nothing, the rest of the server still does', async () => {
    const { w, other, me, mine, control, theirs } = await setup();
    expect((await mute(me, `channels/${w.channelId}`, { muted: true })).active).toBe(true);
    const quiet = await send(app, w.owner, w.channelId, `<@${me.id}> <@${control.id}> in general`);
    await theirs.waitForDeliveries(1);
    expect(await pushQueued(quiet.id, me.id)).toBe(false);
    const loud = await send(app, w.owner, other, `<@${me.id}> in random`);
    const [request] = await mine.waitForDeliveries(1);
    expect(request?.payload?.message_id).toBe(loud.id);
  });

  it('a muted server pushes nothing; a channel unmuted in it does (the channel’s own setting wins)', async () => {
    const { w, other, me, mine, control, theirs } = await setup();
    await mute(me, `servers/${w.serverId}`, { muted: true });
    const quiet = await send(app, w.owner, other, `<@${me.id}> <@${control.id}> muted server`);
    await theirs.waitForDeliveries(1);
    expect(await pushQueued(quiet.id, me.id)).toBe(false);
    expect(mine.requests).toHaveLength(0);

    expect((await mute(me, `channels/${other}`, { muted: false })).active).toBe(false);
    const loud = await send(app, w.owner, other, `<@${me.id}> unmuted channel`);
    const [request] = await mine.waitForDeliveries(1);
    expect(request?.payload?.message_id).toBe(loud.id);
    // Still muted elsewhere in the server.
    const stillQuiet = await send(app, w.owner, w.channelId, `<@${me.id}> <@${control.id}> general`);
    await theirs.waitForDeliveries(2);
    expect(await pushQueued(stillQuiet.id, me.id)).toBe(false);
  });

  it('a mute that ran out is no mute; one that has not, is', async () => {
    const { w, me, mine, control, theirs } = await setup();
    const now = Math.floor(Date.now() / 1000);
    await mute(me, `channels/${w.channelId}`, { muted: true, muted_until: now + 3600 });
    const quiet = await send(app, w.owner, w.channelId, `<@${me.id}> <@${control.id}> later`);
    await theirs.waitForDeliveries(1);
    expect(await pushQueued(quiet.id, me.id)).toBe(false);

    expect((await mute(me, `channels/${w.channelId}`, { muted: true, muted_until: now - 60 })).active).toBe(
      false,
    );
    const loud = await send(app, w.owner, w.channelId, `<@${me.id}> now`);
    const [request] = await mine.waitForDeliveries(1);
    expect(request?.payload?.message_id).toBe(loud.id);
  });

  it('a thread follows its parent channel’s mute unless it has its own; a muted DM pushes nothing', async () => {
    const { w, me, mine, control, theirs } = await setup();
    const thread = await startThread(app, w.owner, w.channelId, 'incident');
    await mute(me, `channels/${w.channelId}`, { muted: true });
    const quiet = await send(app, w.owner, thread.id, `<@${me.id}> <@${control.id}> in thread`);
    await theirs.waitForDeliveries(1);
    expect(await pushQueued(quiet.id, me.id)).toBe(false);
    await mute(me, `channels/${thread.id}`, { muted: false });
    const loud = await send(app, w.owner, thread.id, `<@${me.id}> thread unmuted`);
    expect((await mine.waitForDeliveries(1))[0]?.payload?.message_id).toBe(loud.id);

    const dm = await as(app, w.owner, 'POST', '/users/@me/channels', { recipient_id: me.id });
    await mute(me, `channels/${dm.body.id}`, { muted: true });
    const dmQuiet = await send(app, w.owner, dm.body.id, 'psst');
    expect(await pushQueued(dmQuiet.id, me.id)).toBe(false);
  });
});

describe('sessions', () => {
  it('logging out stops pushes to the browser that session registered; an idled-out session’s are pruned', async () => {
    const w = await world(app);
    const me = await join(app, w);
    const user = await app.rt.models.User.findByPk(me.id, { rejectOnEmpty: true });
    const sessions = await Promise.all(
      [1, 2].map(() => issueSession(app.rt, user, { ip: '127.0.0.1', userAgent: 'browser' })),
    );
    const [a, b] = sessions.map((s) => ({ ...me, token: s.token }));
    const [deviceMe, deviceA, deviceB] = [
      await subscribe(me),
      await subscribe(a as Person),
      await subscribe(b as Person),
    ];
    expect((await as(app, a as Person, 'POST', '/auth/logout')).status).toBe(204);
    expect((await subscriptionsOf(me)).map((s) => s.endpoint).sort()).toEqual(
      [deviceMe.endpoint, deviceB.endpoint].sort(),
    );

    const longAgo = new Date(Date.now() - (app.config.security.session_idle_days + 1) * 86_400_000);
    await app.rt.models.Session.update({ last_used_at: longAgo }, { where: { id: sessions[1]?.session.id } });
    const message = await send(app, w.owner, w.channelId, `<@${me.id}> still there?`);
    expect(await pushResult(message.id, me.id)).toEqual({ sent: 1, removed: 1, failed: 0, skipped: null });
    expect(deviceMe.delivered).toHaveLength(1);
    expect([deviceA.requests, deviceB.requests]).toEqual([[], []]);
    expect((await subscriptionsOf(me)).map((s) => s.endpoint)).toEqual([deviceMe.endpoint]);
  });
});

describe('what the push service answers', () => {
  it('410 and 404 delete the subscription at once', async () => {
    for (const status of [410, 404]) {
      const w = await world(app);
      const me = await join(app, w);
      const device = await subscribe(me, app, [status]);
      const message = await send(app, w.owner, w.channelId, `<@${me.id}> are you there`);
      expect(await pushResult(message.id, me.id)).toEqual({ sent: 0, removed: 1, failed: 0, skipped: null });
      expect(device.requests.map((r) => r.status)).toEqual([status]);
      expect(await subscriptionsOf(me)).toEqual([]);
      // Nothing is queued for them any more.
      const next = await send(app, w.owner, w.channelId, `<@${me.id}> again`);
      expect(await pushQueued(next.id, me.id)).toBe(false);
    }
  });

  it('429 and 5xx are retried with backoff, and a retry sends only to the devices not yet served', async () => {
    const w = await world(app);
    const me = await join(app, w);
    const flaky = await subscribe(me, app, [500, 429, 503]);
    const steady = await subscribe(me);
    const message = await send(app, w.owner, w.channelId, `<@${me.id}> eventually`);
    expect(await pushResult(message.id, me.id)).toEqual({ sent: 1, removed: 0, failed: 0, skipped: null });
    expect(flaky.requests.map((r) => r.status)).toEqual([500, 429, 503, 201]);
    expect(flaky.delivered[0]?.payload?.message_id).toBe(message.id);
    expect(steady.requests.map((r) => r.status)).toEqual([201]);
  });

  it('other 4xx count against the subscription, which is dropped after push.max_failures in a row', async () => {
    const w = await world(app);
    const me = await join(app, w);
    const device = await subscribe(me, app, [400, 403]);
    const first = await send(app, w.owner, w.channelId, `<@${me.id}> one`);
    expect(await pushResult(first.id, me.id)).toEqual({ sent: 0, removed: 0, failed: 1, skipped: null });
    expect((await subscriptionsOf(me)).map((s) => s.failure_count)).toEqual([1]);
    const second = await send(app, w.owner, w.channelId, `<@${me.id}> two`);
    expect(await pushResult(second.id, me.id)).toEqual({ sent: 0, removed: 1, failed: 1, skipped: null });
    expect(await subscriptionsOf(me)).toEqual([]);
    expect(device.requests.map((r) => r.status)).toEqual([400, 403]);
  });

  it('a success in between resets the count', async () => {
    const w = await world(app);
    const me = await join(app, w);
    const device = await subscribe(me, app, [400, 201, 400]);
    for (const text of ['one', 'two', 'three']) {
      const m = await send(app, w.owner, w.channelId, `<@${me.id}> ${text}`);
      await pushResult(m.id, me.id);
    }
    expect(device.requests.map((r) => r.status)).toEqual([400, 201, 400]);
    expect((await subscriptionsOf(me)).map((s) => s.failure_count)).toEqual([1]);
  });
});

describe('push.include_content: false', () => {
  let quiet: TestApp;
  let quietEvents: QueueEvents;
  beforeAll(async () => {
    ({ app: quiet, events: quietEvents } = await startApp(pushConfig({ include_content: false })));
  }, 60000);
  afterAll(async () => {
    await quiet?.close();
  });

  it('sends who wrote where, but no text of the message', async () => {
    const w = await world(quiet);
    const me = await join(quiet, w);
    const device = await subscribe(me, quiet);
    const message = await send(quiet, w.owner, w.channelId, `<@${me.id}> the secret is swordfish`);
    const [request] = await device.waitForDeliveries(1);
    expect(request?.payload).toMatchObject({
      type: 'mention',
      title: `${w.owner.username} mentioned you in #general`,
      body: null,
      message_id: message.id,
    });
    expect(JSON.stringify(request?.payload)).not.toContain('swordfish');
    expect((await pushResult(message.id, me.id, quiet, quietEvents)).sent).toBe(1);
  });
});
