import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { issueSession } from '../../../shared/accounts/sessions.js';
import { api } from '../../helpers/accounts.js';
import { useTestApp } from '../../helpers/app.js';
import { testConfig } from '../../helpers/config.js';
import { createUser } from '../../helpers/factories.js';
import { person, type Person } from '../servers/membership-helpers.js';
import { as } from '../threads/helpers.js';

const app = useTestApp({
  workers: false,
  gateway: false,
  config: testConfig({
    outbound: { allow_private: ['127.0.0.1/32'] },
    push: { max_subscriptions_per_user: 3 },
  }),
});

/** A browser's PushSubscription.toJSON(): a real P-256 key and auth secret. */
function browser(endpoint = `https://push.example.com/send/${crypto.randomBytes(8).toString('hex')}`) {
  const ecdh = crypto.createECDH('prime256v1');
  ecdh.generateKeys();
  return {
    endpoint,
    expirationTime: null,
    keys: {
      p256dh: ecdh.getPublicKey().toString('base64url'),
      auth: crypto.randomBytes(16).toString('base64url'),
    },
  };
}

function subscribe(who: Person, body: unknown) {
  return as(app, who, 'POST', '/users/@me/push-subscriptions', body);
}

async function listed(who: Person): Promise<{ id: string; endpoint: string }[]> {
  const res = await as(app, who, 'GET', '/users/@me/push-subscriptions');
  expect(res.status).toBe(200);
  return res.body as { id: string; endpoint: string }[];
}

describe('GET /push/vapid-public-key', () => {
  it('answers anyone with the P-256 key generated once into data_dir', async () => {
    const res = await api(app, 'GET', '/push/vapid-public-key');
    expect(res.status).toBe(200);
    const key = Buffer.from(res.body.public_key as string, 'base64url');
    expect(key).toHaveLength(65);
    expect(key[0]).toBe(4);
    const file = path.join(app.config.data_dir, 'vapid.json');
    expect(JSON.parse(fs.readFileSync(file, 'utf8')).publicKey).toBe(res.body.public_key);
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    expect((await api(app, 'GET', '/push/vapid-public-key')).body).toEqual(res.body);
  });
});

describe('push subscriptions', () => {
  it('registers a browser (201, no keys in answers); posting it again refreshes it (200, same id)', async () => {
    const me = await person(app);
    const sub = browser();
    const first = await subscribe(me, sub);
    expect(first.status).toBe(201);
    expect(first.body).toEqual({
      id: expect.any(String),
      endpoint: sub.endpoint,
      user_agent: expect.any(String),
      created_at: expect.any(Number),
      last_success_at: null,
      failure_count: 0,
    });
    const again = await subscribe(me, { ...browser(sub.endpoint), expirationTime: undefined });
    expect(again.status).toBe(200);
    expect(again.body.id).toBe(first.body.id);
    expect(await listed(me)).toEqual([first.body]);
    const stored = await app.rt.models.PushSubscription.findByPk(first.body.id as string);
    expect(stored?.p256dh).not.toBe(sub.keys.p256dh);
    expect(JSON.stringify(await listed(me))).not.toContain(stored?.auth);
  });

  it('refuses bad bodies with 400 naming the field', async () => {
    const me = await person(app);
    const good = browser();
    const shortPoint = crypto.randomBytes(64).toString('base64url');
    // 65 bytes starting with 0x04 but not a point on the curve.
    const offCurve = Buffer.concat([Buffer.from([4]), Buffer.alloc(64, 0xff)]).toString('base64url');
    const cases: [unknown, string][] = [
      [{ keys: good.keys }, 'endpoint'],
      [{ ...good, endpoint: 'not a url' }, 'endpoint'],
      [{ ...good, endpoint: 'ftp://push.example.com/x' }, 'endpoint'],
      [{ ...good, endpoint: 'http://push.example.com/x' }, 'endpoint'],
      [{ ...good, endpoint: 'http://127.0.0.2:9/x' }, 'endpoint'],
      [{ ...good, endpoint: 'https://10.1.2.3/x' }, 'endpoint'],
      [{ ...good, endpoint: 'https://[::1]/x' }, 'endpoint'],
      [{ ...good, endpoint: 'https://user:pw@push.example.com/x' }, 'endpoint'],
      [{ ...good, endpoint: `https://push.example.com/${'a'.repeat(2100)}` }, 'endpoint'],
      [{ endpoint: good.endpoint }, 'keys'],
      [{ ...good, keys: { auth: good.keys.auth } }, 'keys.p256dh'],
      [{ ...good, keys: { ...good.keys, p256dh: 'not*base64' } }, 'keys.p256dh'],
      [{ ...good, keys: { ...good.keys, p256dh: shortPoint } }, 'keys.p256dh'],
      [{ ...good, keys: { ...good.keys, p256dh: offCurve } }, 'keys.p256dh'],
      [{ ...good, keys: { ...good.keys, auth: crypto.randomBytes(15).toString('base64url') } }, 'keys.auth'],
      [{ ...good, keys: { p256dh: good.keys.p256dh } }, 'keys.auth'],
      [{ ...good, extra: 1 }, 'extra'],
    ];
    for (const [body, field] of cases) {
      const res = await subscribe(me, body);
      expect([res.status, res.body.code, Object.keys(res.body.errors ?? {})]).toEqual([
        400,
        'validation_error',
        [field],
      ]);
    }
    expect(await listed(me)).toEqual([]);
    // Padding is tolerated; plain http only to an allowed address literal (local push services).
    const padded = { ...good, keys: { p256dh: `${good.keys.p256dh}=`, auth: `${good.keys.auth}==` } };
    expect((await subscribe(me, padded)).status).toBe(201);
    expect((await subscribe(me, browser('http://127.0.0.1:9/push/1'))).status).toBe(201);
    expect(await listed(me)).toHaveLength(2);
  });

  it('needs a token, and bots cannot subscribe', async () => {
    expect((await api(app, 'POST', '/users/@me/push-subscriptions', { body: browser() })).status).toBe(401);
    expect((await api(app, 'GET', '/users/@me/push-subscriptions')).status).toBe(401);
    const bot = await createUser(app.rt);
    await bot.update({ is_bot: true });
    const { token } = await issueSession(app.rt, bot, { ip: '127.0.0.1', userAgent: null }, 'bot');
    const res = await api(app, 'POST', '/users/@me/push-subscriptions', {
      body: browser(),
      headers: { authorization: `Bot ${token}` },
    });
    expect([res.status, res.body.code]).toEqual([403, 'bots_cannot_use_push']);
  });

  it('keeps at most push.max_subscriptions_per_user, dropping the least recently registered', async () => {
    const me = await person(app);
    const subs = [browser(), browser(), browser(), browser()];
    for (const s of subs.slice(0, 3)) expect((await subscribe(me, s)).status).toBe(201);
    // Refreshing the first makes the second the least recently used.
    expect((await subscribe(me, subs[0])).status).toBe(200);
    expect((await subscribe(me, subs[3])).status).toBe(201);
    expect((await listed(me)).map((s) => s.endpoint).sort()).toEqual(
      [subs[0], subs[2], subs[3]].map((s) => s?.endpoint).sort(),
    );
  });

  it('an endpoint registered by another user moves to the caller (one browser, one owner)', async () => {
    const alice = await person(app);
    const bob = await person(app);
    const shared = browser();
    expect((await subscribe(alice, shared)).status).toBe(201);
    expect((await subscribe(bob, browser(shared.endpoint))).status).toBe(201);
    expect(await listed(alice)).toEqual([]);
    expect((await listed(bob)).map((s) => s.endpoint)).toEqual([shared.endpoint]);
  });

  it('is deleted by endpoint or by id, only by its owner', async () => {
    const me = await person(app);
    const other = await person(app);
    const [a, b] = [browser(), browser()];
    await subscribe(me, a);
    const second = await subscribe(me, b);
    const byOther = await as(app, other, 'DELETE', '/users/@me/push-subscriptions', { endpoint: a.endpoint });
    expect([byOther.status, byOther.body.code]).toEqual([404, 'unknown_push_subscription']);
    expect((await as(app, other, 'DELETE', `/users/@me/push-subscriptions/${second.body.id}`)).status).toBe(
      404,
    );
    expect((await as(app, me, 'DELETE', '/users/@me/push-subscriptions', {})).body.errors).toHaveProperty(
      'endpoint',
    );

    expect(
      (await as(app, me, 'DELETE', '/users/@me/push-subscriptions', { endpoint: a.endpoint })).status,
    ).toBe(204);
    expect(
      (await as(app, me, 'DELETE', '/users/@me/push-subscriptions', { endpoint: a.endpoint })).status,
    ).toBe(404);
    expect((await as(app, me, 'DELETE', `/users/@me/push-subscriptions/${second.body.id}`)).status).toBe(204);
    expect((await as(app, me, 'DELETE', '/users/@me/push-subscriptions/12x')).body.errors).toHaveProperty(
      'subscription_id',
    );
    expect(await listed(me)).toEqual([]);
  });

  it('DELETE takes the subscription as POST did, {endpoint, keys} (API.md gives both verbs that body)', async () => {
    const me = await person(app);
    const sub = browser();
    expect((await subscribe(me, sub)).status).toBe(201);
    expect((await as(app, me, 'DELETE', '/users/@me/push-subscriptions', sub)).status).toBe(204);
    expect(await listed(me)).toEqual([]);
  });
});
