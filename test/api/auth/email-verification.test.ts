import { api, registerUser } from '../../helpers/accounts.js';
import { createServerWithChannel } from '../../helpers/factories.js';
import { tokenFromMail } from '../../helpers/smtp-receiver.js';
import { emailAddress, useMailApp } from '../../helpers/mail-app.js';

const VERIFY = /verify/i;

const { app, smtp } = useMailApp(
  { server: { public_url: 'http://chat.example.test/' }, auth: { require_verified_email: true } },
  { gateway: false },
);

const address = () => emailAddress('v');

async function verificationToken(email: string, nth = 1): Promise<string> {
  const mails = await smtp.waitFor(email, nth, VERIFY);
  return tokenFromMail(mails[nth - 1]!, '/verify-email');
}

const verify = (token: string, userToken: string) =>
  api(app, 'POST', '/users/@me/email/verify', { token: userToken, body: { token } });

describe('email verification', () => {
  it('registering with an email mails a link; following it sets verified', async () => {
    const email = address();
    const u = await registerUser(app, { email });
    expect((await api(app, 'GET', '/users/@me', { token: u.token })).body).toMatchObject({
      email,
      verified: false,
    });

    const [mail] = await smtp.waitFor(email, 1, VERIFY);
    expect(mail!.text).toContain('http://chat.example.test/verify-email?token=');
    expect(mail!.html).toContain('href="http://chat.example.test/verify-email?token=');
    const token = tokenFromMail(mail!, '/verify-email');

    // Someone else's session cannot use it, and trying does not use it up.
    const other = await registerUser(app);
    const stolen = await verify(token, other.token);
    expect([stolen.status, stolen.body.code]).toEqual([400, 'invalid_token']);

    expect((await verify(token, u.token)).status).toBe(204);
    expect((await api(app, 'GET', '/users/@me', { token: u.token })).body.verified).toBe(true);
    expect((await verify(token, u.token)).body.code).toBe('invalid_token');
    expect(
      await app.rt.models.SecurityEvent.count({ where: { user_id: u.id, type: 'email_verified' } }),
    ).toBe(1);

    const again = await api(app, 'POST', '/users/@me/email/verify/resend', { token: u.token });
    expect([again.status, again.body.code]).toEqual([400, 'already_verified']);
  });

  it('resend mails a new link and the old one stops working', async () => {
    const email = address();
    const u = await registerUser(app, { email });
    const first = await verificationToken(email);
    expect((await api(app, 'POST', '/users/@me/email/verify/resend', { token: u.token })).status).toBe(204);
    const second = await verificationToken(email, 2);
    expect(second).not.toBe(first);
    expect((await verify(first, u.token)).body.code).toBe('invalid_token');
    expect((await verify(second, u.token)).status).toBe(204);
  });

  it('changing the email makes it unverified and mails the new address', async () => {
    const email = address();
    const u = await registerUser(app, { email });
    const oldToken = await verificationToken(email);
    const next = address();
    const patched = await api(app, 'PATCH', '/users/@me', {
      token: u.token,
      body: { email: next, current_password: u.password },
    });
    expect(patched.body).toMatchObject({ email: next, verified: false });
    // A link sent to the old address does not verify the new one.
    expect((await verify(oldToken, u.token)).body.code).toBe('invalid_token');
    expect((await verify(await verificationToken(next), u.token)).status).toBe(204);
  });

  it('an account without an email has nothing to verify', async () => {
    const u = await registerUser(app);
    const res = await api(app, 'POST', '/users/@me/email/verify/resend', { token: u.token });
    expect([res.status, res.body.code]).toEqual([400, 'no_email']);
    const bad = await verify('', u.token);
    expect([bad.status, Object.keys(bad.body.errors)]).toEqual([400, ['token']]);
  });
});

describe('auth.require_verified_email', () => {
  it('refuses messages from an unverified user with 403 email_unverified, until they verify', async () => {
    const email = address();
    const u = await registerUser(app, { email });
    const { channel } = await createServerWithChannel(app.rt, u.id);
    const send = () =>
      api(app, 'POST', `/channels/${channel.id}/messages`, { token: u.token, body: { content: 'hi' } });

    const refused = await send();
    expect([refused.status, refused.body.code]).toEqual([403, 'email_unverified']);
    expect(await app.rt.models.Message.count({ where: { channel_id: channel.id } })).toBe(0);
    // Reading stays open.
    expect((await api(app, 'GET', `/channels/${channel.id}/messages`, { token: u.token })).status).toBe(200);

    expect((await verify(await verificationToken(email), u.token)).status).toBe(204);
    const sent = await send();
    expect([sent.status, sent.body.content]).toEqual([200, 'hi']);
  });

  it('a user without an email is refused too, and GET /instance says verification is required', async () => {
    const u = await registerUser(app);
    const { channel } = await createServerWithChannel(app.rt, u.id);
    const res = await api(app, 'POST', `/channels/${channel.id}/messages`, {
      token: u.token,
      body: { content: 'x' },
    });
    expect([res.status, res.body.code]).toEqual([403, 'email_unverified']);
    expect((await api(app, 'GET', '/instance')).body).toEqual({
      registration: 'open',
      email: true,
      require_verified_email: true,
    });
  });
});
