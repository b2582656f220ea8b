import type { DispatchFrame } from '../../../shared/events/index.js';
import { api, enableMfa, registerAdmin, registerUser, totpCode } from '../../helpers/accounts.js';
import { connectGateway, type GatewayClient } from '../../helpers/gateway-client.js';
import { emailAddress, useMailApp } from '../../helpers/mail-app.js';
import { tokenFromMail } from '../../helpers/smtp-receiver.js';

/**
 * The account commands of shared/domain/accounts tell the user's own connections what changed in
 * their user object (USER_UPDATE through the outbox): 2FA on and off (by the user or an admin),
 * a verified email, the admin flag.
 */
const { app, smtp } = useMailApp({ server: { public_url: 'http://chat.example.test/' } });
const clients: GatewayClient[] = [];
afterAll(() => {
  for (const c of clients) c.close();
});

async function watch(token: string): Promise<GatewayClient> {
  const client = await connectGateway(app.origin, { token });
  clients.push(client);
  return client;
}

/** The USER_UPDATE payloads `client` has received once there are `count` of them. */
async function userUpdates(client: GatewayClient, count: number) {
  const frames = await client.waitForFrames(count, (f) => f.t === 'USER_UPDATE');
  return frames.map((f) => (f as DispatchFrame<'USER_UPDATE'>).d as unknown as Record<string, unknown>);
}

describe('account commands send USER_UPDATE', () => {
  it('2FA turned on, then off with a backup code, reaches the user’s connections', async () => {
    const u = await registerUser(app);
    const watching = await watch(u.token);
    const { backupCodes } = await enableMfa(app, u);
    expect((await userUpdates(watching, 1))[0]).toMatchObject({ id: u.id, mfa_enabled: true });

    const off = await api(app, 'POST', '/users/@me/mfa/totp/disable', {
      token: u.token,
      body: { code: backupCodes[0] },
    });
    expect(off.status).toBe(204);
    expect((await userUpdates(watching, 2))[1]).toMatchObject({ id: u.id, mfa_enabled: false });
  });

  it('a wrong code changes nothing and sends nothing', async () => {
    const u = await registerUser(app);
    const watching = await watch(u.token);
    const started = await api(app, 'POST', '/users/@me/mfa/totp/enable', { token: u.token });
    const wrong = await api(app, 'POST', '/users/@me/mfa/totp/confirm', {
      token: u.token,
      body: { code: (Number(await totpCode(started.body.secret)) ^ 1).toString().padStart(6, '0') },
    });
    expect([wrong.status, wrong.body.code]).toEqual([400, 'invalid_code']);
    // A later change's event is the first one: the refused confirm sent none.
    const renamed = `rn_${u.id.slice(-8)}`;
    await api(app, 'PATCH', '/users/@me', { token: u.token, body: { username: renamed } });
    const [first] = await userUpdates(watching, 1);
    expect(first).toMatchObject({ username: renamed, mfa_enabled: false });
  });

  it('an admin turning 2FA off reaches the user’s connections', async () => {
    const admin = await registerAdmin(app);
    const u = await registerUser(app);
    await enableMfa(app, u);
    const watching = await watch(u.token);
    const res = await api(app, 'DELETE', `/admin/users/${u.id}/mfa`, { token: admin.token });
    expect(res.status).toBe(204);
    expect((await userUpdates(watching, 1))[0]).toMatchObject({ id: u.id, mfa_enabled: false });
  });

  it('following the verification link turns `verified` true on the user’s connections', async () => {
    const email = emailAddress('ev');
    const u = await registerUser(app, { email });
    const watching = await watch(u.token);
    const [sent] = await smtp.waitFor(email, 1, /verify/i);
    const token = tokenFromMail(sent!, '/verify-email');
    const res = await api(app, 'POST', '/users/@me/email/verify', { token: u.token, body: { token } });
    expect(res.status).toBe(204);
    expect((await userUpdates(watching, 1))[0]).toMatchObject({ id: u.id, email, verified: true });
  });
});
