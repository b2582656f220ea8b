import { decodeSnowflake } from '../../shared/snowflake.js';
import { useTestApp } from '../helpers/app.js';
import { api, registerUser, type TestUser } from '../helpers/accounts.js';

const app = useTestApp({ workers: false, gateway: false });

const openDm = (user: TestUser, recipientId: string) =>
  api(app, 'POST', '/users/@me/channels', { token: user.token, body: { recipient_id: recipientId } });
const notes = (user: TestUser) => api(app, 'GET', '/users/@me/notes', { token: user.token });
const rel = (user: TestUser, targetId: string, status: string) =>
  api(app, 'PUT', `/users/@me/relationships/${targetId}`, { token: user.token, body: { status } });

describe('DM channels', () => {
  it('creates one DM per pair: repeated and reversed calls give the same channel', async () => {
    const [alice, bob] = [await registerUser(app), await registerUser(app)];
    const first = await openDm(alice, bob.id);
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({
      server_id: null,
      parent_id: null,
      channel_type: 'dm',
      recipients: [{ id: bob.id, username: bob.username, avatar_url: null, created_at: expect.any(Number) }],
    });
    expect(first.body.recipients[0]).not.toHaveProperty('email');
    expect(first.body.created_at).toBe(decodeSnowflake(first.body.id as string).createdAt);

    const again = await openDm(alice, bob.id);
    expect([again.status, again.body.id]).toEqual([200, first.body.id]);
    const reversed = await openDm(bob, alice.id);
    expect([reversed.status, reversed.body.id]).toEqual([200, first.body.id]);
    expect((reversed.body.recipients as { id: string }[]).map((u) => u.id)).toEqual([alice.id]);

    const recipients = await app.rt.models.ChannelRecipient.findAll({ where: { channel_id: first.body.id } });
    expect(recipients.map((r) => r.user_id).sort()).toEqual([alice.id, bob.id].sort());
  });

  it('concurrent first calls from both users create a single channel', async () => {
    const [alice, bob] = [await registerUser(app), await registerUser(app)];
    const results = await Promise.all([
      openDm(alice, bob.id),
      openDm(alice, bob.id),
      openDm(bob, alice.id),
      openDm(bob, alice.id),
    ]);
    expect(results.map((r) => r.status)).toEqual([200, 200, 200, 200]);
    expect(new Set(results.map((r) => r.body.id as string)).size).toBe(1);
    const channels = await app.rt.models.Channel.count({
      where: {
        private_key: `dm:${[alice.id, bob.id].sort((a, b) => (BigInt(a) < BigInt(b) ? -1 : 1)).join(':')}`,
      },
    });
    expect(channels).toBe(1);
  });

  it('refuses yourself (400), unknown users (404) and bad bodies (400 naming recipient_id)', async () => {
    const alice = await registerUser(app);
    const self = await openDm(alice, alice.id);
    expect([self.status, self.body.code]).toEqual([400, 'cannot_message_self']);
    // A 400 names the offending field (API.md).
    expect(Object.keys(self.body.errors)).toEqual(['recipient_id']);
    const unknown = await openDm(alice, '1234567890123456789');
    expect([unknown.status, unknown.body.code]).toEqual([404, 'unknown_user']);
    const bad = await api(app, 'POST', '/users/@me/channels', {
      token: alice.token,
      body: { recipient_id: 'x' },
    });
    expect([bad.status, Object.keys(bad.body.errors as object)]).toEqual([400, ['recipient_id']]);
    const missing = await api(app, 'POST', '/users/@me/channels', { token: alice.token, body: {} });
    expect([missing.status, Object.keys(missing.body.errors as object)]).toEqual([400, ['recipient_id']]);
  });

  it('is refused both ways after a block, and allowed again after unblocking', async () => {
    const [alice, bob] = [await registerUser(app), await registerUser(app)];
    const before = await openDm(alice, bob.id);
    expect(before.status).toBe(200);
    await rel(alice, bob.id, 'blocked');
    for (const res of [await openDm(alice, bob.id), await openDm(bob, alice.id)]) {
      expect([res.status, res.body.code]).toEqual([403, 'cannot_message_user']);
    }
    // Also for a pair that never had a DM.
    const carol = await registerUser(app);
    await rel(carol, alice.id, 'blocked');
    for (const res of [await openDm(alice, carol.id), await openDm(carol, alice.id)]) {
      expect([res.status, res.body.code]).toEqual([403, 'cannot_message_user']);
    }
    await api(app, 'DELETE', `/users/@me/relationships/${bob.id}`, { token: alice.token });
    const after = await openDm(bob, alice.id);
    expect([after.status, after.body.id]).toEqual([200, before.body.id]);
  });
});

describe('CHANNEL_CREATE', () => {
  it('goes to both users once, when the DM is created, each seeing the other as recipient', async () => {
    const [alice, bob] = [await registerUser(app), await registerUser(app)];
    const sent: { t: string; rooms: string[]; d: { id: string; recipients: { id: string }[] } }[] = [];
    const events = app.rt.events;
    const original = events.dispatch.bind(events);
    events.dispatch = async (rooms, t, d, except) => {
      await original(rooms, t, d, except);
      sent.push({ t, rooms, d: d as (typeof sent)[number]['d'] });
    };

    const dm = await openDm(alice, bob.id);
    await openDm(bob, alice.id);
    expect(sent.map((e) => [e.t, e.rooms, e.d.id, e.d.recipients.map((u) => u.id)])).toEqual([
      ['CHANNEL_CREATE', [`user:${alice.id}`], dm.body.id, [bob.id]],
      ['CHANNEL_CREATE', [`user:${bob.id}`], dm.body.id, [alice.id]],
    ]);
  });
});

describe('notes channel', () => {
  it('is created on first call and stable afterwards, with the caller its only recipient', async () => {
    const alice = await registerUser(app);
    const first = await notes(alice);
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ channel_type: 'notes', server_id: null, recipients: [] });
    expect(first.body.created_at).toBe(decodeSnowflake(first.body.id as string).createdAt);
    const again = await Promise.all([notes(alice), notes(alice)]);
    expect(again.map((r) => [r.status, r.body.id as string])).toEqual([
      [200, first.body.id],
      [200, first.body.id],
    ]);
    const recipients = await app.rt.models.ChannelRecipient.findAll({ where: { channel_id: first.body.id } });
    expect(recipients.map((r) => r.user_id)).toEqual([alice.id]);
  });

  it('is not visible to or creatable by others', async () => {
    const [alice, bob] = [await registerUser(app), await registerUser(app)];
    const aliceNotes = await notes(alice);
    const bobNotes = await notes(bob);
    expect(bobNotes.body.id).not.toBe(aliceNotes.body.id);
    // Opening a DM with Alice gives the DM, never her notes channel.
    const dm = await openDm(bob, alice.id);
    expect(dm.body.channel_type).toBe('dm');
    expect(dm.body.id).not.toBe(aliceNotes.body.id);
    const recipients = await app.rt.models.ChannelRecipient.findAll({
      where: { channel_id: aliceNotes.body.id },
    });
    expect(recipients.map((r) => r.user_id)).toEqual([alice.id]);
  });

  it('private channel routes need a token (401)', async () => {
    const bob = await registerUser(app);
    const calls = [
      api(app, 'GET', '/users/@me/notes'),
      api(app, 'GET', '/users/@me/channels'),
      api(app, 'POST', '/users/@me/channels', { body: { recipient_id: bob.id } }),
    ];
    for (const res of await Promise.all(calls))
      expect([res.status, res.body.code]).toEqual([401, 'unauthorized']);
  });
});

describe('GET /users/@me/channels', () => {
  it('lists the caller’s DMs and notes as POST and GET /users/@me/notes present them, and no one else’s', async () => {
    const [alice, bob, carol] = [await registerUser(app), await registerUser(app), await registerUser(app)];
    const dm = (await openDm(alice, bob.id)).body;
    const own = (await notes(alice)).body;
    await openDm(bob, carol.id);
    const list = await api(app, 'GET', '/users/@me/channels', { token: alice.token });
    expect(list.status).toBe(200);
    // Newest first: the notes channel was opened after the DM.
    expect(list.body).toEqual([own, dm]);
    const bobs = await api(app, 'GET', '/users/@me/channels', { token: bob.token });
    expect(bobs.body.map((c: { recipients: { id: string }[] }) => c.recipients.map((r) => r.id))).toEqual([
      [carol.id],
      [alice.id],
    ]);
  });
});

describe('docs', () => {
  it('documents the relationship and private channel routes in the OpenAPI document', async () => {
    const res = await fetch(`${app.api}/openapi.json`);
    const doc = (await res.json()) as { paths: Record<string, Record<string, unknown>> };
    expect(Object.keys(doc.paths['/users/@me/relationships/{user_id}'] ?? {}).sort()).toEqual([
      'delete',
      'put',
    ]);
    expect(Object.keys(doc.paths['/users/@me/relationships'] ?? {})).toEqual(['get']);
    expect(Object.keys(doc.paths['/users/@me/channels'] ?? {}).sort()).toEqual(['get', 'post']);
    expect(Object.keys(doc.paths['/users/@me/notes'] ?? {})).toEqual(['get']);
  });
});
