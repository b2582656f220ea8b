import { useTestApp } from '../helpers/app.js';
import { api, registerUser, type ApiResponse } from '../helpers/accounts.js';
import { connectGateway, refusalOf, type GatewayClient } from '../helpers/gateway-client.js';
import { createServerWithChannel } from '../helpers/factories.js';

const clients: GatewayClient[] = [];
const app = useTestApp({ workers: false });
afterAll(() => {
  for (const c of clients) c.close();
});

async function connect(token: string): Promise<GatewayClient> {
  const c = await connectGateway(app.origin, { token });
  clients.push(c);
  return c;
}

/** Connects and resolves with the refusal the server sends. */
const refusal = (auth: Record<string, unknown>) => refusalOf(app.origin, auth);

function disconnected(c: GatewayClient): Promise<string> {
  return new Promise((resolve) => {
    if (!c.socket.connected) return resolve('already');
    c.socket.once('disconnect', (reason) => resolve(reason));
  });
}

describe('gateway authentication', () => {
  it.each([
    ['no token', {}],
    ['a malformed token', { token: 'x' }],
    ['an unknown token', { token: 'A'.repeat(43) }],
    ['a non-string token', { token: 12345 }],
  ])('refuses %s', async (_what, auth) => {
    const err = await refusal(auth);
    expect(err.data?.code).toBe('unauthorized');
  });

  it('READY (s = 1) carries the user, their servers and channels, and relationships', async () => {
    const alice = await registerUser(app);
    const owner = await app.rt.models.User.findByPk(alice.id, { rejectOnEmpty: true });
    const { server, channel } = await createServerWithChannel(app.rt, owner.id);
    const c = await connect(alice.token);
    const ready = c.frames[0];
    expect(ready?.t).toBe('READY');
    expect(ready?.s).toBe(1);
    const d = ready?.d as ApiResponse['body'];
    expect(d.session_id).toMatch(/^[0-9a-f]{32}$/);
    expect(d.user).toMatchObject({ id: alice.id, username: alice.username, mfa_enabled: false });
    expect(d.servers.map((s: { id: string }) => s.id)).toEqual([server.id]);
    expect(d.servers[0].member_count).toBe(1);
    expect(d.channels.map((ch: { id: string }) => ch.id)).toEqual([channel.id]);
    expect(d.relationships).toEqual([]);
  });

  it('READY carries relationships and DM channels with their recipients', async () => {
    const erin = await registerUser(app);
    const frank = await registerUser(app);
    expect(
      (
        await api(app, 'PUT', `/users/@me/relationships/${frank.id}`, {
          token: erin.token,
          body: { status: 'friend' },
        })
      ).status,
    ).toBe(204);
    const dm = await api(app, 'POST', '/users/@me/channels', {
      token: erin.token,
      body: { recipient_id: frank.id },
    });
    expect(dm.status).toBe(200);
    const c = await connect(erin.token);
    const d = c.frames[0]?.d as ApiResponse['body'];
    expect(d.relationships).toEqual([
      { id: frank.id, user: expect.objectContaining({ id: frank.id }), status: 'pending_outgoing' },
    ]);
    expect(d.channels).toEqual([
      expect.objectContaining({
        id: dm.body.id,
        channel_type: 'dm',
        recipients: [expect.objectContaining({ id: frank.id })],
      }),
    ]);
  });

  it('revoking a session closes its connections at once and its token cannot reconnect', async () => {
    const bob = await registerUser(app);
    const second = await api(app, 'POST', '/auth/login', {
      body: { login: bob.username, password: bob.password },
    });
    const other = await connect(second.body.token as string);
    const mine = await connect(bob.token);
    const sessions = await api(app, 'GET', '/users/@me/sessions', { token: bob.token });
    const target = sessions.body.find((s: { current: boolean }) => !s.current);
    const closed = disconnected(other);
    expect((await api(app, 'DELETE', `/users/@me/sessions/${target.id}`, { token: bob.token })).status).toBe(
      204,
    );
    expect(await closed).toBe('io server disconnect');
    expect(mine.socket.connected).toBe(true);
    expect((await refusal({ token: second.body.token })).data?.code).toBe('unauthorized');
  });

  it('logout closes the caller’s own connections', async () => {
    const carol = await registerUser(app);
    const c = await connect(carol.token);
    const closed = disconnected(c);
    expect((await api(app, 'POST', '/auth/logout', { token: carol.token })).status).toBe(204);
    expect(await closed).toBe('io server disconnect');
  });

  it('a password change closes the other sessions’ connections but keeps the current one', async () => {
    const dave = await registerUser(app);
    const second = await api(app, 'POST', '/auth/login', {
      body: { login: dave.username, password: dave.password },
    });
    const other = await connect(second.body.token as string);
    const mine = await connect(dave.token);
    const closed = disconnected(other);
    const res = await api(app, 'PATCH', '/users/@me', {
      token: dave.token,
      body: { password: 'a brand new password', current_password: dave.password },
    });
    expect(res.status).toBe(200);
    expect(await closed).toBe('io server disconnect');
    expect(mine.socket.connected).toBe(true);
    expect((await api(app, 'GET', '/users/@me', { token: second.body.token as string })).status).toBe(401);
  });
});
