import { api, randomIp } from '../../helpers/accounts.js';
import { newExternalUser, signedInAgo, useAppWithOidcProvider } from '../../helpers/oidc-provider.js';

// PUT /users/@me/password for accounts a real OpenID provider on loopback created (no password);
// accounts with a password: test/api/auth/password-reset.test.ts.
const { app, idp } = useAppWithOidcProvider({ workers: false, gateway: false });

const setPassword = (token: string, body: Record<string, string>) =>
  api(app, 'PUT', '/users/@me/password', { token, body });
const login = (login: string, password: string) =>
  api(app, 'POST', '/auth/login', { headers: { 'x-forwarded-for': randomIp() }, body: { login, password } });

describe('PUT /users/@me/password for an account without a password (external sign-in)', () => {
  it('a recent sign-in sets the first password, which then signs in and is needed from then on', async () => {
    const u = await newExternalUser(app, idp, 'ext_pw');
    expect((await login(u.username, 'first real password')).status).toBe(401);
    expect((await setPassword(u.token, { password: 'first real password' })).status).toBe(204);
    expect(
      await app.rt.models.SecurityEvent.count({ where: { user_id: u.id, type: 'password_changed' } }),
    ).toBe(1);
    const signedIn = await login(u.username, 'first real password');
    expect([signedIn.status, signedIn.body.user.id]).toEqual([200, u.id]);
    // The provider still signs in too.
    expect((await idp.signedIn(app, u.who)).body.user.id).toBe(u.id);

    // Now the account has a password: a recent session no longer stands in for it.
    const without = await setPassword(u.token, { password: 'second real password' });
    expect([without.status, without.body.code, Object.keys(without.body.errors)]).toEqual([
      400,
      'validation_error',
      ['current_password'],
    ]);
    const changed = await setPassword(u.token, {
      current_password: 'first real password',
      password: 'second real password',
    });
    expect(changed.status).toBe(204);
    expect((await login(u.username, 'second real password')).status).toBe(200);
  });

  it('an older session is refused naming current_password, and no password is set', async () => {
    const u = await newExternalUser(app, idp, 'ext_pw_old');
    await signedInAgo(app, u.id, app.config.security.reauth_window_seconds + 60);
    const refused = await setPassword(u.token, { password: 'first real password' });
    expect([refused.status, refused.body.code, Object.keys(refused.body.errors)]).toEqual([
      400,
      'reauthentication_required',
      ['current_password'],
    ]);
    expect(refused.body.errors.current_password).toMatch(/sign in again with your provider/);
    expect((await app.rt.models.User.findByPk(u.id))!.password_hash).toBeNull();
    expect((await login(u.username, 'first real password')).status).toBe(401);
    // The session itself still works (not a 401).
    expect((await api(app, 'GET', '/users/@me', { token: u.token })).status).toBe(200);
  });
});
