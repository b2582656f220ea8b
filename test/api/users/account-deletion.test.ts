import { generate } from 'otplib';
import { api, enableMfa, randomIp, registerUser, totpCode, type TestUser } from '../../helpers/accounts.js';
import { connectGateway, type GatewayClient } from '../../helpers/gateway-client.js';
import { until } from '../../helpers/services.js';
import { png, sendForm } from '../../helpers/media.js';
import { newExternalUser, signedInAgo, useAppWithOidcProvider } from '../../helpers/oidc-provider.js';

const sockets: GatewayClient[] = [];
// Accounts without a password come from a real OpenID provider on loopback.
const { app, idp } = useAppWithOidcProvider();
afterAll(() => {
  for (const s of sockets) s.close();
});

async function connect(token: string): Promise<GatewayClient> {
  const socket = await connectGateway(app.origin, { token });
  sockets.push(socket);
  return socket;
}

function disconnected(c: GatewayClient): Promise<string> {
  return new Promise((resolve) => {
    if (!c.socket.connected) return resolve('already');
    c.socket.once('disconnect', (reason) => resolve(reason));
  });
}

const deleteMe = (u: Pick<TestUser, 'token'>, body: unknown) =>
  api(app, 'DELETE', '/users/@me', { token: u.token, body });

async function login(login: string, password: string) {
  return api(app, 'POST', '/auth/login', {
    headers: { 'x-forwarded-for': randomIp() },
    body: { login, password },
  });
}

/** An owner's server with `general`, joined by `member` through an invite. */
async function serverWith(owner: TestUser, member: TestUser, name = 'club') {
  const server = await api(app, 'POST', '/servers', { token: owner.token, body: { name } });
  const channels = await api(app, 'GET', `/servers/${server.body.id}/channels`, { token: owner.token });
  const channelId = channels.body[0].id as string;
  const invite = await api(app, 'POST', `/channels/${channelId}/invites`, { token: owner.token, body: {} });
  expect((await api(app, 'POST', `/invites/${invite.body.code}`, { token: member.token })).status).toBe(200);
  return { serverId: server.body.id as string, channelId };
}

describe('DELETE /users/@me', () => {
  it('erases personal data, ends sessions and memberships, keeps messages under a placeholder', async () => {
    const owner = await registerUser(app);
    const friend = await registerUser(app);
    const gone = await registerUser(app, { email: `gone-${Date.now()}@example.test` });
    const { serverId, channelId } = await serverWith(owner, gone);
    const said = await api(app, 'POST', `/channels/${channelId}/messages`, {
      token: gone.token,
      body: { content: 'I was here' },
    });
    expect(said.status).toBe(200);
    await api(app, 'PUT', `/users/@me/relationships/${friend.id}`, {
      token: gone.token,
      body: { status: 'friend' },
    });
    await api(app, 'PUT', `/users/@me/relationships/${gone.id}`, {
      token: friend.token,
      body: { status: 'friend' },
    });
    expect((await api(app, 'GET', '/users/@me/relationships', { token: friend.token })).body).toHaveLength(1);
    const avatar = await sendForm(app, 'PATCH', '/users/@me/avatar', gone, [
      { name: 'image', filename: 'me.png', type: 'image/png', data: await png() },
    ]);
    expect(avatar.status).toBe(200);
    const avatarKey = new URL(avatar.body.avatar_url as string, app.origin).pathname.replace(
      '/api/v1/media/',
      '',
    );
    expect(await app.rt.storage.head(avatarKey)).not.toBeNull();
    const second = await login(gone.username, gone.password);
    expect(second.status).toBe(200);

    const ownerSocket = await connect(owner.token);
    const friendSocket = await connect(friend.token);
    const goneSocket = await connect(gone.token);
    const closed = disconnected(goneSocket);

    const res = await deleteMe(gone, { password: gone.password });
    expect(res.status).toBe(204);
    expect(await closed).toBe('io server disconnect');
    for (const token of [gone.token, second.body.token as string]) {
      expect((await api(app, 'GET', '/users/@me', { token })).status).toBe(401);
    }
    const [removed] = await ownerSocket.waitForFrames(1, (f) => f.t === 'SERVER_MEMBER_REMOVE');
    expect(removed?.d).toMatchObject({
      server_id: serverId,
      user: { id: gone.id, username: `deleted_user_${gone.id}`, avatar_url: null, deleted: true },
    });
    const [unfriended] = await friendSocket.waitForFrames(1, (f) => f.t === 'RELATIONSHIP_REMOVE');
    expect(unfriended?.d).toEqual({ id: gone.id });

    // What others see: a placeholder, still the author of its messages; no longer a member or friend.
    const profile = await api(app, 'GET', `/users/${gone.id}`, { token: owner.token });
    expect(profile.body).toEqual({
      id: gone.id,
      username: `deleted_user_${gone.id}`,
      avatar_url: null,
      created_at: expect.any(Number),
      deleted: true,
    });
    const history = await api(app, 'GET', `/channels/${channelId}/messages`, { token: owner.token });
    expect(history.body.find((m: { id: string }) => m.id === said.body.id)).toMatchObject({
      author_id: gone.id,
      content: 'I was here',
    });
    const members = await api(app, 'GET', `/servers/${serverId}/members`, { token: owner.token });
    expect(members.body.map((m: { user: { id: string } }) => m.user.id)).not.toContain(gone.id);
    expect((await api(app, 'GET', '/users/@me/relationships', { token: friend.token })).body).toEqual([]);

    // What is stored: nothing personal.
    const row = await app.rt.models.User.findByPk(gone.id, { rejectOnEmpty: true });
    expect([row.email, row.password_hash, row.avatar_url, row.mfa_secret]).toEqual([null, null, null, null]);
    expect(row.deleted_at).not.toBeNull();
    // Stored files go after the commit, in a job of the workers.
    await until(async () => (await app.rt.storage.head(avatarKey)) === null, 'the avatar files deleted');
    const m = app.rt.models;
    for (const model of [m.Session, m.Member, m.MfaBackupCode, m.PushSubscription, m.ReadState]) {
      expect(await (model as typeof m.Session).count({ where: { user_id: gone.id } })).toBe(0);
    }
    expect(await m.Relationship.count({ where: { target_id: gone.id } })).toBe(0);
    const events = await m.SecurityEvent.findAll({ where: { user_id: gone.id, type: 'account_deleted' } });
    expect(events.map((e) => e.details)).toEqual([expect.objectContaining({ by: 'self' })]);

    // The placeholder takes no new friends and no DMs.
    const befriend = await api(app, 'PUT', `/users/@me/relationships/${gone.id}`, {
      token: friend.token,
      body: { status: 'friend' },
    });
    expect([befriend.status, befriend.body.code]).toEqual([404, 'unknown_user']);
    const dm = await api(app, 'POST', '/users/@me/channels', {
      token: friend.token,
      body: { recipient_id: gone.id },
    });
    expect([dm.status, dm.body.code]).toEqual([404, 'unknown_user']);

    // The account cannot sign in again, by its old name or its placeholder.
    expect((await login(gone.username, gone.password)).status).toBe(401);
    expect((await login(`deleted_user_${gone.id}`, gone.password)).status).toBe(401);
  });

  it('reserves the old username for the grace period, then frees it', async () => {
    const gone = await registerUser(app);
    expect((await deleteMe(gone, { password: gone.password })).status).toBe(204);
    const reuse = await api(app, 'POST', '/auth/register', {
      headers: { 'x-forwarded-for': randomIp() },
      body: { username: gone.username.toUpperCase(), password: 'another-password' },
    });
    expect([reuse.status, reuse.body.code]).toEqual([409, 'username_taken']);
    const other = await registerUser(app);
    const rename = await api(app, 'PATCH', '/users/@me', {
      token: other.token,
      body: { username: gone.username },
    });
    expect([rename.status, rename.body.code]).toEqual([409, 'username_taken']);
    const reservation = await app.rt.models.UsernameReservation.findByPk(gone.username.toLowerCase(), {
      rejectOnEmpty: true,
    });
    const days = (reservation.expires_at.getTime() - Date.now()) / 86_400_000;
    expect(Math.round(days)).toBe(app.config.accounts.deleted_username_grace_days);
    // Once the grace period is over, the name is anyone's.
    await reservation.update({ expires_at: new Date(Date.now() - 1000) });
    const taken = await registerUser(app, { username: gone.username });
    expect(taken.username).toBe(gone.username);
  });

  it('nobody takes a placeholder’s name, so no one can block another account’s deletion', async () => {
    const victim = await registerUser(app);
    const squatter = await registerUser(app);
    for (const username of [`DELETED_USER_${victim.id}`, 'deleted_user_1', 'Deleted_Bot_42']) {
      const rename = await api(app, 'PATCH', '/users/@me', { token: squatter.token, body: { username } });
      expect([rename.status, rename.body.code]).toEqual([409, 'username_taken']);
      const register = await api(app, 'POST', '/auth/register', {
        headers: { 'x-forwarded-for': randomIp() },
        body: { username, password: 'another-password' },
      });
      expect([register.status, register.body.code]).toEqual([409, 'username_taken']);
    }
    // Names that only start like one are anyone's.
    const near = await api(app, 'PATCH', '/users/@me', {
      token: squatter.token,
      body: { username: `deleted_user_${victim.id}x` },
    });
    expect(near.status).toBe(200);
    expect((await deleteMe(victim, { password: victim.password })).status).toBe(204);
  });

  it('a wrong password is 400 naming password, and nothing changes', async () => {
    const u = await registerUser(app);
    const res = await deleteMe(u, { password: 'not-the-password' });
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ code: 'invalid_credentials', errors: { password: expect.any(String) } });
    const missing = await deleteMe(u, {});
    expect(missing.status).toBe(400);
    expect(Object.keys(missing.body.errors)).toEqual(['password']);
    expect((await api(app, 'GET', '/users/@me', { token: u.token })).body.username).toBe(u.username);
  });

  it('with 2FA on, needs a valid code (TOTP or backup) named `code`', async () => {
    const u = await registerUser(app);
    const enabled = await api(app, 'POST', '/users/@me/mfa/totp/enable', { token: u.token });
    const secret = enabled.body.secret as string;
    const confirmed = await api(app, 'POST', '/users/@me/mfa/totp/confirm', {
      token: u.token,
      body: { code: await generate({ secret }) },
    });
    expect(confirmed.status).toBe(200);
    const noCode = await deleteMe(u, { password: u.password });
    expect(noCode.status).toBe(400);
    expect(Object.keys(noCode.body.errors)).toEqual(['code']);
    const wrong = await deleteMe(u, { password: u.password, code: '000000' });
    expect(wrong.status).toBe(400);
    expect(wrong.body).toMatchObject({ code: 'invalid_code', errors: { code: expect.any(String) } });
    expect((await api(app, 'GET', '/users/@me', { token: u.token })).status).toBe(200);
    const backup = confirmed.body.backup_codes[0] as string;
    expect((await deleteMe(u, { password: u.password, code: backup })).status).toBe(204);
    expect(await app.rt.models.MfaBackupCode.count({ where: { user_id: u.id } })).toBe(0);
  });

  it('409 owns_servers naming them until ownership is transferred', async () => {
    const owner = await registerUser(app);
    const heir = await registerUser(app);
    const { serverId } = await serverWith(owner, heir, 'heirloom');
    const refused = await deleteMe(owner, { password: owner.password });
    expect(refused.status).toBe(409);
    expect(refused.body).toMatchObject({
      code: 'owns_servers',
      servers: [{ id: serverId, name: 'heirloom' }],
    });
    expect((await api(app, 'GET', '/users/@me', { token: owner.token })).status).toBe(200);
    const transfer = await api(app, 'PATCH', `/servers/${serverId}`, {
      token: owner.token,
      body: { owner_id: heir.id },
    });
    expect(transfer.status).toBe(200);
    expect((await deleteMe(owner, { password: owner.password })).status).toBe(204);
    const server = await api(app, 'GET', `/servers/${serverId}`, { token: heir.token });
    expect(server.body.owner_id).toBe(heir.id);
  });

  it('409 owns_applications while the account owns bot applications', async () => {
    const u = await registerUser(app);
    const created = await api(app, 'POST', '/applications', { token: u.token, body: { name: 'Helper' } });
    const appId = created.body.application.id as string;
    const refused = await deleteMe(u, { password: u.password });
    expect(refused.status).toBe(409);
    expect(refused.body).toMatchObject({
      code: 'owns_applications',
      applications: [{ id: appId, name: 'Helper' }],
    });
    expect((await api(app, 'DELETE', `/applications/${appId}`, { token: u.token })).status).toBe(204);
    expect((await deleteMe(u, { password: u.password })).status).toBe(204);
  });
});

describe('DELETE /users/@me for an account without a password (external sign-in)', () => {
  const window = () => app.config.security.reauth_window_seconds;

  it('a session that signed in recently stands in for the password', async () => {
    const u = await newExternalUser(app, idp, 'ext_del');
    expect((await app.rt.models.User.findByPk(u.id))!.password_hash).toBeNull();
    expect((await deleteMe(u, {})).status).toBe(204);
    expect((await api(app, 'GET', '/users/@me', { token: u.token })).status).toBe(401);
    const row = await app.rt.models.User.findByPk(u.id);
    expect(row!.username).toBe(`deleted_user_${u.id}`);
    expect(await app.rt.models.ExternalIdentity.count({ where: { user_id: u.id } })).toBe(0);
    const events = await app.rt.models.SecurityEvent.findAll({
      where: { user_id: u.id, type: 'account_deleted' },
    });
    expect(events.map((e) => e.details.by)).toEqual(['self']);
    // The provider's account signs in to a new Plexichat account, not the deleted one.
    const again = await idp.signedIn(app, u.who);
    expect(again.status).toBe(200);
    expect(again.body.user.id).not.toBe(u.id);
  });

  it('an older session is refused, naming password, until the person signs in again', async () => {
    const u = await newExternalUser(app, idp, 'ext_old');
    await signedInAgo(app, u.id, window() + 60);
    const refused = await deleteMe(u, {});
    expect([refused.status, refused.body.code, Object.keys(refused.body.errors)]).toEqual([
      400,
      'reauthentication_required',
      ['password'],
    ]);
    expect(refused.body.message).toMatch(/sign in again with your provider/);
    // A password is no way round it: the account has none.
    const guessed = await deleteMe(u, { password: 'some password or other' });
    expect([guessed.status, guessed.body.code, Object.keys(guessed.body.errors)]).toEqual([
      400,
      'invalid_credentials',
      ['password'],
    ]);
    expect((await api(app, 'GET', '/users/@me', { token: u.token })).body.id).toBe(u.id);
    const failures = await app.rt.models.SecurityEvent.count({
      where: { user_id: u.id, type: 'login_failure' },
    });
    expect(failures).toBe(2);

    // A fresh sign-in with the provider opens a session that may.
    const fresh = await idp.signedIn(app, u.who);
    expect(fresh.body.user.id).toBe(u.id);
    expect((await deleteMe({ token: fresh.body.token }, {})).status).toBe(204);
    expect((await api(app, 'GET', '/users/@me', { token: u.token })).status).toBe(401);
  });

  it('with 2FA on, a recent session still needs the code', async () => {
    const u = await newExternalUser(app, idp, 'ext_mfa');
    const { secret } = await enableMfa(app, u);
    const noCode = await deleteMe(u, {});
    expect([noCode.status, Object.keys(noCode.body.errors)]).toEqual([400, ['code']]);
    const wrong = await deleteMe(u, { code: '000000' });
    expect([wrong.status, wrong.body.code]).toEqual([400, 'invalid_code']);
    expect((await deleteMe(u, { code: await totpCode(secret) })).status).toBe(204);
  });
});
