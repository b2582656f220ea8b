import type { DispatchFrame } from '../../../shared/events/index.js';
import { api, registerUser } from '../../helpers/accounts.js';
import { connectGateway, type GatewayClient } from '../../helpers/gateway-client.js';
import { asBot, makeApplication } from '../applications/helpers.js';
import { newExternalUser, signedInAgo, useAppWithOidcProvider } from '../../helpers/oidc-provider.js';

/** PATCH /users/@me is a command (shared/domain/users/profile.ts): the row and USER_UPDATE together. */
const clients: GatewayClient[] = [];
// Accounts without a password come from a real OpenID provider on loopback.
const { app, idp } = useAppWithOidcProvider({ workers: false });
afterAll(() => {
  for (const c of clients) c.close();
});

describe('PATCH /users/@me', () => {
  it('a new username reaches the user’s own connections as USER_UPDATE; a taken one changes nothing', async () => {
    const user = await registerUser(app);
    const other = await registerUser(app);
    const watching = await connectGateway(app.origin, { token: user.token });
    clients.push(watching);
    const username = `renamed_${user.id.slice(-6)}`;
    const res = await api(app, 'PATCH', '/users/@me', { token: user.token, body: { username } });
    expect([res.status, res.body.username]).toEqual([200, username]);
    const [frame] = await watching.waitForFrames(1, (f) => f.t === 'USER_UPDATE');
    expect((frame as DispatchFrame<'USER_UPDATE'>).d).toMatchObject({ id: user.id, username });

    const taken = await api(app, 'PATCH', '/users/@me', {
      token: user.token,
      body: { username: other.username },
    });
    expect([taken.status, taken.body.code]).toEqual([409, 'username_taken']);
    const me = await api(app, 'GET', '/users/@me', { token: user.token });
    expect(me.body.username).toBe(username);
  });
});

describe('PATCH /users/@me for an account without a password (external sign-in)', () => {
  it('a recent sign-in changes the email without current_password', async () => {
    const u = await newExternalUser(app, idp, 'ext_mail');
    const address = `${u.username}@new.example.test`;
    const res = await api(app, 'PATCH', '/users/@me', { token: u.token, body: { email: address } });
    expect([res.status, res.body.email, res.body.verified]).toEqual([200, address, false]);
    expect((await api(app, 'GET', '/users/@me', { token: u.token })).body.email).toBe(address);
  });

  it('an older session is refused naming current_password; other fields still change', async () => {
    const u = await newExternalUser(app, idp, 'ext_mail_old');
    const before = (await api(app, 'GET', '/users/@me', { token: u.token })).body.email as string | null;
    await signedInAgo(app, u.id, app.config.security.reauth_window_seconds + 60);
    const refused = await api(app, 'PATCH', '/users/@me', {
      token: u.token,
      body: { email: `${u.username}@new.example.test` },
    });
    expect([refused.status, refused.body.code, Object.keys(refused.body.errors)]).toEqual([
      400,
      'reauthentication_required',
      ['current_password'],
    ]);
    const password = await api(app, 'PATCH', '/users/@me', {
      token: u.token,
      body: { password: 'first real password' },
    });
    expect([password.status, password.body.code]).toEqual([400, 'reauthentication_required']);
    expect((await api(app, 'GET', '/users/@me', { token: u.token })).body.email).toBe(before);
    const renamed = `${u.username}_x`.slice(0, 32);
    const rename = await api(app, 'PATCH', '/users/@me', { token: u.token, body: { username: renamed } });
    expect([rename.status, rename.body.username]).toEqual([200, renamed]);
  });

  it('a bot (no password either) gets no sudo mode, however new its token', async () => {
    const bot = await makeApplication(app, await registerUser(app));
    const res = await asBot(app, bot.token, 'PATCH', '/users/@me', {
      email: `${bot.botId}@bots.example.test`,
    });
    expect([res.status, res.body.code, Object.keys(res.body.errors)]).toEqual([
      400,
      'validation_error',
      ['current_password'],
    ]);
    expect((await asBot(app, bot.token, 'GET', '/users/@me')).body.email).toBeNull();
  });
});
