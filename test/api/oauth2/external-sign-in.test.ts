import crypto from 'node:crypto';
import { generate } from 'otplib';
import { Op } from 'sequelize';
import { api, deviceCookieOf, registerUser } from '../../helpers/accounts.js';
import {
  Browser,
  exchangeLoginCode,
  isClientCallback,
  isPlexichatCallback,
  useAppWithOidcProvider,
  type OidcAccount,
} from '../../helpers/oidc-provider.js';
import { runPageDriver } from '../../helpers/page-driver.js';

/** Usernames are unique per run: the test database outlives it. */
const run = crypto.randomBytes(3).toString('hex');

// The provider comes up after Plexichat (see the first describe): this suite starts it itself.
const { app, idp } = useAppWithOidcProvider({ workers: false, gateway: false, startProvider: false });
const account = (username: string, fields: Partial<OidcAccount> = {}) => idp.account(username, fields);
const signIn = (browser: Browser, who: OidcAccount) => idp.signIn(app, browser, who);
const exchange = (code: string) => exchangeLoginCode(app, code);

describe('a provider that is down when Plexichat boots', () => {
  it('does not stop Plexichat; its sign-in answers 503 until it is up', async () => {
    expect((await api(app, 'GET', '/health')).status).toBe(200);
    const list = await api(app, 'GET', '/auth/oauth');
    expect(list.body).toEqual([
      { name: 'test', display_name: 'Test IdP', url: `${app.api}/auth/oauth/test` },
    ]);
    const res = await api(app, 'GET', '/auth/oauth/test');
    expect(res.status).toBe(503);
    expect(res.body.code).toBe('service_unavailable');
    expect((await api(app, 'GET', '/auth/oauth/nope')).status).toBe(404);
  });
});

describe('signing in with an external OpenID provider', () => {
  beforeAll(async () => {
    // The provider comes up after Plexichat: discovery is retried on the next sign-in.
    await idp.start(app);
  });

  it('redirects with PKCE, state and nonce; the callback hands the client a login_code that signs in', async () => {
    const who = account(`ext_alice_${run}`);
    const browser = new Browser();
    const start = await browser.get(`${app.api}/auth/oauth/test`);
    expect(start.status).toBe(302);
    const authUrl = new URL(start.headers.get('location')!);
    expect(authUrl.origin).toBe(`http://127.0.0.1:${idp.port}`);
    expect(authUrl.searchParams.get('code_challenge_method')).toBe('S256');
    expect(authUrl.searchParams.get('code_challenge')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(authUrl.searchParams.get('state')).toBeTruthy();
    expect(authUrl.searchParams.get('nonce')).toBeTruthy();
    expect(authUrl.searchParams.get('redirect_uri')).toBe(`${app.api}/auth/oauth/test/callback`);
    expect(authUrl.searchParams.get('scope')).toBe('openid email profile');
    const cookie = start.headers.getSetCookie().find((c) => c.startsWith('plexichat_oidc_'))!;
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Lax/);
    // The PKCE verifier does not sit in the cookie in the clear.
    expect(cookie).not.toMatch(/code_verifier/);

    idp.current = who;
    const final = await browser.follow(authUrl.toString(), isClientCallback);
    expect(final.origin).toBe(app.origin);
    expect(final.searchParams.get('provider')).toBe('test');
    expect(final.searchParams.has('token')).toBe(false);
    const code = final.searchParams.get('login_code')!;
    expect(code).toBeTruthy();
    // The state cookie is gone once used.
    expect(
      browser.cookieNames(new URL(app.origin).host).filter((n) => n.startsWith('plexichat_oidc_')),
    ).toEqual([]);

    const signedIn = await exchange(code);
    expect(signedIn.status).toBe(200);
    expect(signedIn.body.user).toMatchObject({ username: `ext_alice_${run}`, email: who.email, bot: false });
    const me = await api(app, 'GET', '/users/@me', { token: signedIn.body.token });
    expect(me.status).toBe(200);
    expect(me.body.id).toBe(signedIn.body.user.id);
    // Like a password sign-in, it marks the device as known (the account lockout spares it).
    expect(deviceCookieOf(signedIn)).toMatch(new RegExp(`^plexichat_device_${signedIn.body.user.id}=`));

    // The login code works once.
    expect((await exchange(code)).status).toBe(401);
    const identity = await app.rt.models.ExternalIdentity.findOne({
      where: { provider: 'test', subject: who.sub },
    });
    expect(identity?.user_id).toBe(signedIn.body.user.id);
    const events = await app.rt.models.SecurityEvent.findAll({
      where: { type: 'login_success', user_id: signedIn.body.user.id },
    });
    expect(events[0]?.details).toMatchObject({ via: 'oidc', provider: 'test', account_created: true });

    // The second sign-in (a new browser, so a new login at the provider) finds the same user.
    const again = await signIn(new Browser(), who);
    const second = await exchange(again.searchParams.get('login_code')!);
    expect(second.body.user.id).toBe(signedIn.body.user.id);
    expect(await app.rt.models.ExternalIdentity.count({ where: { subject: who.sub } })).toBe(1);
  });

  it('the default client-side callback page exchanges the login_code and keeps the token', async () => {
    const who = account(`ext_page_${run}`);
    const final = await signIn(new Browser(), who);
    const result = await runPageDriver<{ status: string; url: string; storedToken: string }>(
      'test/api/oauth2/consent-page.driver.ts',
      { page: 'callback', url: final.toString(), origin: app.origin },
    );
    expect(result.status).toBe(`Signed in as ext_page_${run}. You can close this page.`);
    expect(result.url).toBe(`${app.origin}/oauth/callback`);
    const me = await api(app, 'GET', '/users/@me', { token: result.storedToken });
    expect(me.body.username).toBe(`ext_page_${run}`);
    // The page used the code up.
    expect((await exchange(final.searchParams.get('login_code')!)).status).toBe(401);
  });

  it('never links to an existing account by email; a taken username gets a suffix', async () => {
    const local = await registerUser(app, {
      username: `taken_${run}`,
      email: `local_${run}@example.com`,
    });
    const who = account(local.username, { email: `${local.username}@example.com`, email_verified: true });
    // The local account's email, claimed by the provider.
    who.email = (await app.rt.models.User.findByPk(local.id))!.email!;
    const final = await signIn(new Browser(), who);
    const res = await exchange(final.searchParams.get('login_code')!);
    expect(res.status).toBe(200);
    expect(res.body.user.id).not.toBe(local.id);
    expect(res.body.user.username).toMatch(new RegExp(`^${local.username.slice(0, 27)}_\\d{4}$`));
    expect(res.body.user.email).toBeNull();
  });

  it('a name held for a deleted account, or shaped like its placeholder, gets a suffix too', async () => {
    const gone = await registerUser(app);
    // The grace period's reservation of a free name (as deleting an account called so leaves it).
    const held = `held_${run}`;
    await app.rt.models.UsernameReservation.create({
      username_lower: held,
      user_id: gone.id,
      expires_at: new Date(Date.now() + 86_400_000),
    });
    const first = await exchange(
      (await signIn(new Browser(), account(held))).searchParams.get('login_code')!,
    );
    expect(first.body.user.username).toMatch(new RegExp(`^${held}_\\d{4}$`));
    const placeholder = `deleted_user_${gone.id}`;
    const second = await exchange(
      (await signIn(new Browser(), account(placeholder))).searchParams.get('login_code')!,
    );
    expect(second.body.user.username).toMatch(new RegExp(`^${placeholder.slice(0, 27)}_\\d{4}$`));
  });

  it('keeps an unverified email off the account', async () => {
    const who = account(`unverified_mail_${run}`, { email_verified: false });
    const res = await exchange((await signIn(new Browser(), who)).searchParams.get('login_code')!);
    expect(res.body.user.email).toBeNull();
  });

  it('refuses a tampered state, a callback in another browser, and a tampered code', async () => {
    const started = new Date(Date.now() - 1000);
    const who = account(`ext_bob_${run}`);
    const browser = new Browser();
    idp.current = who;
    const start = await browser.get(`${app.api}/auth/oauth/test`);
    const callback = await browser.follow(start.headers.get('location')!, isPlexichatCallback);

    const tampered = new URL(callback);
    tampered.searchParams.set('state', `${callback.searchParams.get('state')}x`);
    const refused = new URL((await browser.get(tampered.toString())).headers.get('location')!);
    expect(refused.pathname).toBe('/oauth/callback');
    expect(refused.searchParams.get('error')).toBe('invalid_state');
    expect(refused.searchParams.has('login_code')).toBe(false);

    const elsewhere = new URL((await new Browser().get(callback.toString())).headers.get('location')!);
    expect(elsewhere.searchParams.get('error')).toBe('invalid_state');

    const badCode = new URL(callback);
    badCode.searchParams.set('code', 'forged');
    const failed = new URL((await browser.get(badCode.toString())).headers.get('location')!);
    expect(failed.searchParams.get('error')).toBe('provider_error');
    expect(failed.searchParams.has('login_code')).toBe(false);

    // The state cookie was used up by that attempt: the genuine callback now fails too.
    const replay = new URL((await browser.get(callback.toString())).headers.get('location')!);
    expect(replay.searchParams.get('error')).toBe('invalid_state');
    expect(await app.rt.models.ExternalIdentity.count({ where: { subject: who.sub } })).toBe(0);
    const failures = await app.rt.models.SecurityEvent.findAll({
      where: { type: 'login_failure', created_at: { [Op.gte]: started } },
    });
    const reasons = failures.filter((e) => e.details.via === 'oidc').map((e) => e.details.reason);
    expect(reasons).toEqual(expect.arrayContaining(['invalid_state', 'provider_error']));
  });

  it('answers the 2FA ticket flow for an account with 2FA on', async () => {
    const who = account(`ext_mfa_${run}`);
    const first = await exchange((await signIn(new Browser(), who)).searchParams.get('login_code')!);
    const enabled = await api(app, 'POST', '/users/@me/mfa/totp/enable', { token: first.body.token });
    const confirmed = await api(app, 'POST', '/users/@me/mfa/totp/confirm', {
      token: first.body.token,
      body: { code: await generate({ secret: enabled.body.secret }) },
    });
    expect(confirmed.status).toBe(200);

    const res = await exchange((await signIn(new Browser(), who)).searchParams.get('login_code')!);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ mfa_required: true, ticket: expect.any(String) });
    const done = await api(app, 'POST', '/auth/mfa/totp', {
      body: { ticket: res.body.ticket, code: confirmed.body.backup_codes[0] },
    });
    expect(done.status).toBe(200);
    expect(done.body.user.id).toBe(first.body.user.id);
  });

  it('refuses a disabled account', async () => {
    const who = account(`ext_disabled_${run}`);
    const first = await exchange((await signIn(new Browser(), who)).searchParams.get('login_code')!);
    await app.rt.models.User.update({ disabled_at: new Date() }, { where: { id: first.body.user.id } });
    const final = await signIn(new Browser(), who);
    expect(final.searchParams.get('error')).toBe('account_disabled');
    expect(final.searchParams.has('login_code')).toBe(false);
  });

  it('passes a denial at the provider on as access_denied', async () => {
    const browser = new Browser();
    const start = await browser.get(`${app.api}/auth/oauth/test`);
    const authUrl = new URL(start.headers.get('location')!);
    // What a provider sends back when the user cancels.
    const denied = new URL(`${app.api}/auth/oauth/test/callback`);
    denied.searchParams.set('error', 'access_denied');
    denied.searchParams.set('state', authUrl.searchParams.get('state')!);
    denied.searchParams.set('iss', `http://127.0.0.1:${idp.port}`);
    const res = new URL((await browser.get(denied.toString())).headers.get('location')!);
    expect(res.searchParams.get('error')).toBe('access_denied');
  });
});
