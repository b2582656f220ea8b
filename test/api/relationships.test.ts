import { issueSession } from '../../shared/accounts/sessions.js';
import { useTestApp } from '../helpers/app.js';
import { api, registerUser, type TestUser } from '../helpers/accounts.js';
import { createUser } from '../helpers/factories.js';

const app = useTestApp({ workers: false, gateway: false });

/** Records every dispatch the API publishes (the gateway is not running), passing it through. */
function recordDispatches(): { t: string; rooms: string[]; d: unknown }[] {
  const sent: { t: string; rooms: string[]; d: unknown }[] = [];
  const events = app.rt.events;
  const original = events.dispatch.bind(events);
  events.dispatch = async (rooms, t, d, except) => {
    await original(rooms, t, d, except); // a failed publish fails the test instead of being logged
    sent.push({ t, rooms, d });
  };
  return sent;
}

const rel = (user: TestUser, targetId: string, status: string) =>
  api(app, 'PUT', `/users/@me/relationships/${targetId}`, { token: user.token, body: { status } });
const unrel = (user: TestUser, targetId: string) =>
  api(app, 'DELETE', `/users/@me/relationships/${targetId}`, { token: user.token });

/** The caller's relationships as `{other id: status}`. */
async function statuses(user: TestUser): Promise<Record<string, string>> {
  const res = await api(app, 'GET', '/users/@me/relationships', { token: user.token });
  expect(res.status).toBe(200);
  return Object.fromEntries((res.body as { id: string; status: string }[]).map((r) => [r.id, r.status]));
}

describe('friend requests', () => {
  it('request -> pending on both sides -> accept -> both friends, with the public user object', async () => {
    const [alice, bob] = [await registerUser(app), await registerUser(app)];
    expect((await rel(alice, bob.id, 'friend')).status).toBe(204);
    expect(await statuses(alice)).toEqual({ [bob.id]: 'pending_outgoing' });
    expect(await statuses(bob)).toEqual({ [alice.id]: 'pending_incoming' });

    expect((await rel(bob, alice.id, 'friend')).status).toBe(204);
    expect(await statuses(alice)).toEqual({ [bob.id]: 'friend' });
    expect(await statuses(bob)).toEqual({ [alice.id]: 'friend' });

    const list = await api(app, 'GET', '/users/@me/relationships', { token: alice.token });
    expect(list.body).toEqual([
      {
        id: bob.id,
        status: 'friend',
        user: { id: bob.id, username: bob.username, avatar_url: null, created_at: expect.any(Number) },
      },
    ]);
    expect(list.body[0].user).not.toHaveProperty('email');
  });

  it('repeating a request or an accepted friendship is an idempotent 204', async () => {
    const [alice, bob] = [await registerUser(app), await registerUser(app)];
    expect((await rel(alice, bob.id, 'friend')).status).toBe(204);
    expect((await rel(alice, bob.id, 'friend')).status).toBe(204);
    expect(await statuses(alice)).toEqual({ [bob.id]: 'pending_outgoing' });
    expect(await statuses(bob)).toEqual({ [alice.id]: 'pending_incoming' });
    await rel(bob, alice.id, 'friend');
    expect((await rel(alice, bob.id, 'friend')).status).toBe(204);
    expect((await rel(bob, alice.id, 'friend')).status).toBe(204);
    expect(await statuses(alice)).toEqual({ [bob.id]: 'friend' });
    expect(await statuses(bob)).toEqual({ [alice.id]: 'friend' });
  });

  it('two users requesting each other at once end up friends', async () => {
    const [alice, bob] = [await registerUser(app), await registerUser(app)];
    const results = await Promise.all([rel(alice, bob.id, 'friend'), rel(bob, alice.id, 'friend')]);
    expect(results.map((r) => r.status)).toEqual([204, 204]);
    expect(await statuses(alice)).toEqual({ [bob.id]: 'friend' });
    expect(await statuses(bob)).toEqual({ [alice.id]: 'friend' });
  });

  it('refuses unknown users (404), yourself (400) and bad status values (400 naming status)', async () => {
    const alice = await registerUser(app);
    const unknown = await rel(alice, '1234567890123456789', 'friend');
    expect([unknown.status, unknown.body.code]).toEqual([404, 'unknown_user']);
    const self = await rel(alice, alice.id, 'friend');
    expect([self.status, self.body.code]).toEqual([400, 'cannot_target_self']);
    // A 400 names the offending field (API.md): here the path's user_id.
    expect(Object.keys(self.body.errors)).toEqual(['user_id']);
    const selfBlock = await rel(alice, alice.id, 'blocked');
    expect(selfBlock.status).toBe(400);

    const bob = await registerUser(app);
    for (const status of ['pending_outgoing', 'pending_incoming', 'enemy', 1]) {
      const res = await rel(alice, bob.id, status as string);
      expect(res.status).toBe(400);
      expect(res.body.code).toBe('validation_error');
      expect(Object.keys(res.body.errors as object)).toEqual(['status']);
    }
    const missing = await api(app, 'PUT', `/users/@me/relationships/${bob.id}`, {
      token: alice.token,
      body: {},
    });
    expect([missing.status, Object.keys(missing.body.errors as object)]).toEqual([400, ['status']]);
    const badId = await rel(alice, 'not-an-id', 'friend');
    expect([badId.status, Object.keys(badId.body.errors as object)]).toEqual([400, ['user_id']]);
    expect(await statuses(alice)).toEqual({});
  });
});

describe('blocking', () => {
  it('removes the blocked user’s friendship row and makes their friend request fail with 403', async () => {
    const [alice, bob] = [await registerUser(app), await registerUser(app)];
    await rel(alice, bob.id, 'friend');
    await rel(bob, alice.id, 'friend');

    expect((await rel(alice, bob.id, 'blocked')).status).toBe(204);
    expect(await statuses(alice)).toEqual({ [bob.id]: 'blocked' });
    expect(await statuses(bob)).toEqual({});

    const request = await rel(bob, alice.id, 'friend');
    expect([request.status, request.body.code]).toEqual([403, 'cannot_add_friend']);
    expect(request.body.message).not.toMatch(/block/i);
    expect(await statuses(bob)).toEqual({});
    expect(await statuses(alice)).toEqual({ [bob.id]: 'blocked' });

    // The blocker must unblock before befriending; blocking again is a no-op.
    const own = await rel(alice, bob.id, 'friend');
    expect([own.status, own.body.code]).toEqual([409, 'user_blocked']);
    expect((await rel(alice, bob.id, 'blocked')).status).toBe(204);
    expect(await statuses(alice)).toEqual({ [bob.id]: 'blocked' });
  });

  it('blocking a user with a pending request cancels it on both sides', async () => {
    const [alice, bob] = [await registerUser(app), await registerUser(app)];
    await rel(bob, alice.id, 'friend');
    expect(await statuses(alice)).toEqual({ [bob.id]: 'pending_incoming' });
    await rel(alice, bob.id, 'blocked');
    expect(await statuses(alice)).toEqual({ [bob.id]: 'blocked' });
    expect(await statuses(bob)).toEqual({});
  });

  it('a block on both sides stays when one side blocks or unblocks', async () => {
    const [alice, bob] = [await registerUser(app), await registerUser(app)];
    await rel(alice, bob.id, 'blocked');
    await rel(bob, alice.id, 'blocked');
    expect(await statuses(alice)).toEqual({ [bob.id]: 'blocked' });
    expect(await statuses(bob)).toEqual({ [alice.id]: 'blocked' });

    expect((await unrel(alice, bob.id)).status).toBe(204);
    expect(await statuses(alice)).toEqual({});
    expect(await statuses(bob)).toEqual({ [alice.id]: 'blocked' });
    // Bob's block still stops Alice's request, without saying so.
    const request = await rel(alice, bob.id, 'friend');
    expect([request.status, request.body.code]).toEqual([403, 'cannot_add_friend']);
  });

  it('unblocking with DELETE lets the two become friends again', async () => {
    const [alice, bob] = [await registerUser(app), await registerUser(app)];
    await rel(alice, bob.id, 'blocked');
    expect((await unrel(alice, bob.id)).status).toBe(204);
    expect(await statuses(alice)).toEqual({});
    expect((await rel(bob, alice.id, 'friend')).status).toBe(204);
    expect((await rel(alice, bob.id, 'friend')).status).toBe(204);
    expect(await statuses(alice)).toEqual({ [bob.id]: 'friend' });
    expect(await statuses(bob)).toEqual({ [alice.id]: 'friend' });
  });

  it('a user can block someone they never interacted with', async () => {
    const [alice, bob] = [await registerUser(app), await registerUser(app)];
    expect((await rel(alice, bob.id, 'blocked')).status).toBe(204);
    expect(await statuses(alice)).toEqual({ [bob.id]: 'blocked' });
    expect(await statuses(bob)).toEqual({});
    const unknown = await rel(alice, '1234567890123456789', 'blocked');
    expect([unknown.status, unknown.body.code]).toEqual([404, 'unknown_user']);
  });
});

describe('DELETE /users/@me/relationships/{user_id}', () => {
  it('removing a friend removes the friendship for both', async () => {
    const [alice, bob] = [await registerUser(app), await registerUser(app)];
    await rel(alice, bob.id, 'friend');
    await rel(bob, alice.id, 'friend');
    expect((await unrel(bob, alice.id)).status).toBe(204);
    expect(await statuses(alice)).toEqual({});
    expect(await statuses(bob)).toEqual({});
  });

  it('cancelling or declining a request removes it for both', async () => {
    const [alice, bob, carol] = [await registerUser(app), await registerUser(app), await registerUser(app)];
    await rel(alice, bob.id, 'friend');
    expect((await unrel(alice, bob.id)).status).toBe(204); // cancel
    expect([await statuses(alice), await statuses(bob)]).toEqual([{}, {}]);
    await rel(alice, carol.id, 'friend');
    expect((await unrel(carol, alice.id)).status).toBe(204); // decline
    expect([await statuses(alice), await statuses(carol)]).toEqual([{}, {}]);
  });

  it('answers 404 unknown_relationship when there is none', async () => {
    const [alice, bob] = [await registerUser(app), await registerUser(app)];
    const none = await unrel(alice, bob.id);
    expect([none.status, none.body.code]).toEqual([404, 'unknown_relationship']);
    const unknownUser = await unrel(alice, '1234567890123456789');
    expect([unknownUser.status, unknownUser.body.code]).toEqual([404, 'unknown_relationship']);
    // Bob blocked Alice: Alice has no row of her own to delete, and Bob's block stays.
    await rel(bob, alice.id, 'blocked');
    expect((await unrel(alice, bob.id)).status).toBe(404);
    expect(await statuses(bob)).toEqual({ [alice.id]: 'blocked' });
  });
});

describe('events', () => {
  it('publishes RELATIONSHIP_ADD / RELATIONSHIP_REMOVE to each affected user, from their side', async () => {
    const [alice, bob] = [await registerUser(app), await registerUser(app)];
    const sent = recordDispatches();
    const user = (u: TestUser) => ({
      id: u.id,
      username: u.username,
      avatar_url: null,
      created_at: expect.any(Number),
    });

    await rel(alice, bob.id, 'friend');
    expect(sent.splice(0)).toEqual([
      {
        t: 'RELATIONSHIP_ADD',
        rooms: [`user:${alice.id}`],
        d: { id: bob.id, user: user(bob), status: 'pending_outgoing' },
      },
      {
        t: 'RELATIONSHIP_ADD',
        rooms: [`user:${bob.id}`],
        d: { id: alice.id, user: user(alice), status: 'pending_incoming' },
      },
    ]);
    await rel(alice, bob.id, 'friend'); // no change, no event
    expect(sent.splice(0)).toEqual([]);
    await rel(bob, alice.id, 'friend');
    expect(sent.splice(0).map((e) => [e.rooms[0], (e.d as { status: string }).status])).toEqual([
      [`user:${bob.id}`, 'friend'],
      [`user:${alice.id}`, 'friend'],
    ]);
    await rel(bob, alice.id, 'blocked');
    expect(sent.splice(0)).toEqual([
      {
        t: 'RELATIONSHIP_ADD',
        rooms: [`user:${bob.id}`],
        d: { id: alice.id, user: user(alice), status: 'blocked' },
      },
      { t: 'RELATIONSHIP_REMOVE', rooms: [`user:${alice.id}`], d: { id: bob.id } },
    ]);
    await unrel(bob, alice.id);
    expect(sent.splice(0)).toEqual([
      { t: 'RELATIONSHIP_REMOVE', rooms: [`user:${bob.id}`], d: { id: alice.id } },
    ]);
  });
});

describe('access', () => {
  it('every relationship route needs a token (401)', async () => {
    const bob = await registerUser(app);
    const calls = [
      api(app, 'GET', '/users/@me/relationships'),
      api(app, 'PUT', `/users/@me/relationships/${bob.id}`, { body: { status: 'friend' } }),
      api(app, 'DELETE', `/users/@me/relationships/${bob.id}`),
      api(app, 'GET', '/users/@me/relationships', { token: 'x'.repeat(43) }),
    ];
    for (const res of await Promise.all(calls))
      expect([res.status, res.body.code]).toEqual([401, 'unauthorized']);
  });

  it('bots cannot have relationships (403), and nobody can befriend a bot', async () => {
    const alice = await registerUser(app);
    const bot = await createUser(app.rt);
    bot.is_bot = true;
    await bot.save();
    const { token } = await issueSession(app.rt, bot, { ip: '127.0.0.1', userAgent: null }, 'bot');
    const headers = { authorization: `Bot ${token}` };
    for (const status of ['friend', 'blocked']) {
      const res = await api(app, 'PUT', `/users/@me/relationships/${alice.id}`, {
        headers,
        body: { status },
      });
      expect([res.status, res.body.code]).toEqual([403, 'bots_cannot_have_relationships']);
    }
    const list = await api(app, 'GET', '/users/@me/relationships', { headers });
    expect([list.status, list.body]).toEqual([200, []]);

    const toBot = await rel(alice, bot.id, 'friend');
    expect([toBot.status, toBot.body.code]).toEqual([403, 'cannot_add_friend']);
    expect(await statuses(alice)).toEqual({});
  });
});
