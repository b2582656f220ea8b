import crypto from 'node:crypto';
import { type TestApp, useTestApp } from '../../helpers/app.js';
import { api, randomIp } from '../../helpers/accounts.js';
import { testConfig } from '../../helpers/config.js';
import { createInvite, createServerWithChannel, createUser } from '../../helpers/factories.js';

const name = () => `r_${crypto.randomBytes(5).toString('hex')}`;

function register(app: TestApp, body: Record<string, unknown>) {
  return api(app, 'POST', '/auth/register', {
    body: { username: name(), password: 'a fine passphrase', ...body },
    headers: { 'x-forwarded-for': randomIp() },
  });
}

/** A server of its own (owner made by the factory: registration may be closed) and an invite to it. */
async function serverInvite(app: TestApp, fields: { maxUses?: number; expiresAt?: Date } = {}) {
  const owner = await createUser(app.rt);
  const { server, channel } = await createServerWithChannel(app.rt, owner.id);
  const invite = await createInvite(app.rt, { serverId: server.id, channelId: channel.id, ...fields });
  return { code: invite.code, serverId: server.id };
}

async function serversOf(app: TestApp, token: string): Promise<string[]> {
  const res = await api(app, 'GET', '/users/@me/servers', { token });
  return (res.body as { id: string }[]).map((s) => s.id);
}

describe('auth.registration: open (the default)', () => {
  const app = useTestApp({ gateway: false });

  it('anyone registers; an invite given is used and joins its server', async () => {
    expect((await api(app, 'GET', '/instance')).body.registration).toBe('open');
    const plain = await register(app, {});
    expect(plain.status).toBe(201);
    expect(await serversOf(app, plain.body.token)).toEqual([]);

    const { code, serverId } = await serverInvite(app);
    const invited = await register(app, { invite: code });
    expect(invited.status).toBe(201);
    expect(await serversOf(app, invited.body.token)).toEqual([serverId]);
    expect((await app.rt.models.Invite.findByPk(code))?.uses).toBe(1);
  });
});

describe('auth.registration: invite_only', () => {
  const app = useTestApp({
    gateway: false,
    config: testConfig({ auth: { registration: 'invite_only' } }),
  });

  it('needs an invite (400 naming it) and refuses an unusable one (403 naming it), creating nothing', async () => {
    expect((await api(app, 'GET', '/instance')).body.registration).toBe('invite_only');
    const missing = await register(app, {});
    expect([missing.status, missing.body.code, Object.keys(missing.body.errors)]).toEqual([
      400,
      'validation_error',
      ['invite'],
    ]);
    const username = name();
    const unknown = await register(app, { username, invite: 'nosuchcode' });
    expect([unknown.status, unknown.body.code, Object.keys(unknown.body.errors)]).toEqual([
      403,
      'invalid_invite',
      ['invite'],
    ]);
    const expired = await serverInvite(app, { expiresAt: new Date(Date.now() - 1000) });
    expect((await register(app, { username, invite: expired.code })).body.code).toBe('invalid_invite');
    // The refused attempts left no account behind: the name is still free.
    expect(await app.rt.models.User.count({ where: { username } })).toBe(0);
  });

  it('a valid invite registers, joins its server and uses one use; a used-up invite is refused', async () => {
    const { code, serverId } = await serverInvite(app, { maxUses: 1 });
    const first = await register(app, { invite: code });
    expect(first.status).toBe(201);
    expect(await serversOf(app, first.body.token)).toEqual([serverId]);
    const members = await api(app, 'GET', `/servers/${serverId}/members`, { token: first.body.token });
    expect(members.body.map((m: { user: { id: string } }) => m.user.id)).toContain(first.body.user.id);

    const second = await register(app, { invite: code });
    expect([second.status, second.body.code]).toEqual([403, 'invalid_invite']);
  });
});

describe('auth.registration: closed', () => {
  const app = useTestApp({ gateway: false, config: testConfig({ auth: { registration: 'closed' } }) });

  it('refuses every registration with 403 registration_closed, invite or not', async () => {
    const res = await register(app, {});
    expect([res.status, res.body.code]).toEqual([403, 'registration_closed']);
    const { code } = await serverInvite(app);
    expect((await register(app, { invite: code })).body.code).toBe('registration_closed');
    expect((await api(app, 'GET', '/instance')).body).toEqual({
      registration: 'closed',
      email: false,
      require_verified_email: false,
    });
  });
});
