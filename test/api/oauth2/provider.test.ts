import { invalidate } from '../../../shared/domain/invalidation.js';
import { io } from 'socket.io-client';
import { useTestApp } from '../../helpers/app.js';
import { api, registerUser, type ApiResponse, type TestUser } from '../../helpers/accounts.js';
import { createServerWithChannel } from '../../helpers/factories.js';
import { runPageDriver } from '../../helpers/page-driver.js';
import {
  REDIRECT_URI,
  authorize,
  codeFor,
  createOAuthApp,
  exchangeCode,
  pkce,
  postForm,
  type OAuthApp,
} from './flow.js';

let owner: TestUser;
let alice: TestUser;
let publicApp: OAuthApp;
let confidentialApp: OAuthApp;

const app = useTestApp();
beforeAll(async () => {
  owner = await registerUser(app);
  alice = await registerUser(app, { email: `alice_${Date.now()}@example.com` });
  publicApp = await createOAuthApp(app, owner, { publicClient: true });
  confidentialApp = await createOAuthApp(app, owner);
});

function bearer(token: string) {
  return { headers: { authorization: `Bearer ${token}` } };
}

describe('authorization code flow with PKCE (public client)', () => {
  it('issues scoped tokens, rotates refresh tokens, and revokes the family on refresh token reuse', async () => {
    const { code, verifier } = await codeFor(app, alice, publicApp, 'identify');
    const first = await exchangeCode(app, publicApp, code, verifier);
    expect(first.status).toBe(200);
    expect(first.headers.get('cache-control')).toBe('no-store');
    expect(first.body).toEqual({
      access_token: expect.any(String),
      token_type: 'Bearer',
      expires_in: 3600,
      refresh_token: expect.any(String),
      scope: 'identify',
    });

    // identify unlocks GET /users/@me, without the email (no `email` scope).
    const me = await api(app, 'GET', '/users/@me', bearer(first.body.access_token));
    expect(me.status).toBe(200);
    expect(me.body).toMatchObject({ id: alice.id, username: alice.username, email: null });

    // A route whose scope the token lacks, and a route that takes no OAuth2 token at all.
    const servers = await api(app, 'GET', '/users/@me/servers', bearer(first.body.access_token));
    expect(servers.status).toBe(403);
    expect(servers.body).toMatchObject({ code: 'oauth_scope_missing', scope: 'servers' });
    const sessions = await api(app, 'GET', '/users/@me/sessions', bearer(first.body.access_token));
    expect(sessions.status).toBe(403);
    expect(sessions.body.code).toBe('oauth_token_not_allowed');
    const created = await api(app, 'POST', '/servers', {
      ...bearer(first.body.access_token),
      body: { name: 'x' },
    });
    expect(created.status).toBe(403);
    expect(created.body.code).toBe('oauth_token_not_allowed');

    const current = await api(app, 'GET', '/oauth2/@me', bearer(first.body.access_token));
    expect(current.status).toBe(200);
    expect(current.body).toMatchObject({
      application: { id: publicApp.id, name: 'Test App' },
      scopes: ['identify'],
      user: { id: alice.id },
    });
    expect(current.body.expires_at).toBeGreaterThan(Date.now() / 1000);
    // A user session is no OAuth2 token.
    expect((await api(app, 'GET', '/oauth2/@me', { token: alice.token })).body.code).toBe(
      'oauth_token_required',
    );

    // Refresh: a new pair; the old pair stops working.
    const second = await postForm(app, '/oauth2/token', {
      grant_type: 'refresh_token',
      refresh_token: first.body.refresh_token,
      client_id: publicApp.id,
    });
    expect(second.status).toBe(200);
    expect(second.body.refresh_token).not.toBe(first.body.refresh_token);
    expect(second.body.access_token).not.toBe(first.body.access_token);
    expect((await api(app, 'GET', '/users/@me', bearer(first.body.access_token))).status).toBe(401);
    expect((await api(app, 'GET', '/users/@me', bearer(second.body.access_token))).status).toBe(200);

    // The old refresh token again: refused, and the whole family is revoked.
    const replay = await postForm(app, '/oauth2/token', {
      grant_type: 'refresh_token',
      refresh_token: first.body.refresh_token,
      client_id: publicApp.id,
    });
    expect(replay.status).toBe(400);
    expect(replay.body.error).toBe('invalid_grant');
    expect((await api(app, 'GET', '/users/@me', bearer(second.body.access_token))).status).toBe(401);
    const third = await postForm(app, '/oauth2/token', {
      grant_type: 'refresh_token',
      refresh_token: second.body.refresh_token,
      client_id: publicApp.id,
    });
    expect(third.body.error).toBe('invalid_grant');
    const events = await app.rt.models.SecurityEvent.findAll({
      where: { type: 'oauth2_token_reuse', user_id: alice.id },
    });
    expect(events.map((e) => e.details.reused)).toContain('refresh_token');
  });

  it('takes a JSON body at the token endpoint too, and narrows scopes on refresh but never widens them', async () => {
    const { code, verifier } = await codeFor(app, alice, publicApp, 'identify servers');
    const res = await api(app, 'POST', '/oauth2/token', {
      body: {
        grant_type: 'authorization_code',
        code,
        redirect_uri: REDIRECT_URI,
        client_id: publicApp.id,
        code_verifier: verifier,
      },
    });
    expect(res.status).toBe(200);
    expect(res.body.scope).toBe('identify servers');
    expect((await api(app, 'GET', '/users/@me/servers', bearer(res.body.access_token))).status).toBe(200);

    const wider = await postForm(app, '/oauth2/token', {
      grant_type: 'refresh_token',
      refresh_token: res.body.refresh_token,
      client_id: publicApp.id,
      scope: 'identify email',
    });
    expect(wider.body.error).toBe('invalid_scope');
    const narrower = await postForm(app, '/oauth2/token', {
      grant_type: 'refresh_token',
      refresh_token: res.body.refresh_token,
      client_id: publicApp.id,
      scope: 'identify',
    });
    expect(narrower.status).toBe(200);
    expect(narrower.body.scope).toBe('identify');
    const servers = await api(app, 'GET', '/users/@me/servers', bearer(narrower.body.access_token));
    expect(servers.body.code).toBe('oauth_scope_missing');
  });

  it('passes state through and answers a denial with access_denied at the redirect URI', async () => {
    const { challenge } = pkce();
    const res = await authorize(app, alice, {
      client_id: publicApp.id,
      redirect_uri: REDIRECT_URI,
      response_type: 'code',
      scope: 'identify',
      state: 'xyz 123',
      code_challenge: challenge,
      code_challenge_method: 'S256',
      approve: false,
    });
    expect(res.status).toBe(200);
    expect(res.location?.origin + res.location!.pathname).toBe(REDIRECT_URI);
    expect(res.location?.searchParams.get('error')).toBe('access_denied');
    expect(res.location?.searchParams.get('state')).toBe('xyz 123');
    expect(res.location?.searchParams.has('code')).toBe(false);
  });
});

describe('confidential client', () => {
  it('authenticates with HTTP Basic, gets the email with the email scope, and must authenticate to refresh', async () => {
    const { code, verifier } = await codeFor(app, alice, confidentialApp, 'identify email');
    const basic = { id: confidentialApp.id, secret: confidentialApp.secret! };
    const res = await postForm(
      app,
      '/oauth2/token',
      { grant_type: 'authorization_code', code, redirect_uri: REDIRECT_URI, code_verifier: verifier },
      basic,
    );
    expect(res.status).toBe(200);
    const me = await api(app, 'GET', '/users/@me', bearer(res.body.access_token));
    expect(me.body.email).toMatch(/^alice_/);

    const unauthenticated = await postForm(app, '/oauth2/token', {
      grant_type: 'refresh_token',
      refresh_token: res.body.refresh_token,
      client_id: confidentialApp.id,
    });
    expect(unauthenticated.status).toBe(401);
    expect(unauthenticated.body.error).toBe('invalid_client');
    const refreshed = await postForm(app, '/oauth2/token', {
      grant_type: 'refresh_token',
      refresh_token: res.body.refresh_token,
      client_id: confidentialApp.id,
      client_secret: confidentialApp.secret!,
    });
    expect(refreshed.status).toBe(200);
  });

  it('may skip PKCE when it authenticates with its secret', async () => {
    const res = await authorize(app, alice, {
      client_id: confidentialApp.id,
      redirect_uri: REDIRECT_URI,
      response_type: 'code',
      scope: 'identify',
      approve: true,
    });
    const code = res.location!.searchParams.get('code')!;
    // Without the secret, a code issued without PKCE cannot be redeemed.
    const publicTry = await postForm(app, '/oauth2/token', {
      grant_type: 'authorization_code',
      code,
      redirect_uri: REDIRECT_URI,
      client_id: confidentialApp.id,
    });
    expect(publicTry.body.error).toBe('invalid_grant');

    const res2 = await authorize(app, alice, {
      client_id: confidentialApp.id,
      redirect_uri: REDIRECT_URI,
      response_type: 'code',
      scope: 'identify',
      approve: true,
    });
    const ok = await postForm(app, '/oauth2/token', {
      grant_type: 'authorization_code',
      code: res2.location!.searchParams.get('code')!,
      redirect_uri: REDIRECT_URI,
      client_id: confidentialApp.id,
      client_secret: confidentialApp.secret!,
    });
    expect(ok.status).toBe(200);
  });

  it('refuses a wrong secret with 401 invalid_client (WWW-Authenticate for Basic), and both methods at once', async () => {
    const { code, verifier } = await codeFor(app, alice, confidentialApp, 'identify');
    const wrong = await postForm(
      app,
      '/oauth2/token',
      { grant_type: 'authorization_code', code, redirect_uri: REDIRECT_URI, code_verifier: verifier },
      { id: confidentialApp.id, secret: 'not-the-secret' },
    );
    expect(wrong.status).toBe(401);
    expect(wrong.body).toEqual({
      error: 'invalid_client',
      error_description: expect.any(String),
      // API.md's error body too, the same values.
      code: 'invalid_client',
      message: wrong.body.error_description,
    });
    expect(wrong.headers.get('www-authenticate')).toMatch(/^Basic/);
    const both = await postForm(
      app,
      '/oauth2/token',
      { grant_type: 'authorization_code', code, redirect_uri: REDIRECT_URI, client_secret: 'x' },
      { id: confidentialApp.id, secret: confidentialApp.secret! },
    );
    expect(both.body.error).toBe('invalid_request');
  });

  it('rotating the secret makes the old one fail at once', async () => {
    const other = await createOAuthApp(app, owner);
    const rotated = await api(app, 'POST', `/applications/${other.id}/oauth2/secret`, { token: owner.token });
    expect(rotated.body.client_secret).not.toBe(other.secret);
    const { code, verifier } = await codeFor(app, alice, other, 'identify');
    const old = await postForm(
      app,
      '/oauth2/token',
      { grant_type: 'authorization_code', code, redirect_uri: REDIRECT_URI, code_verifier: verifier },
      { id: other.id, secret: other.secret! },
    );
    expect(old.body.error).toBe('invalid_client');
  });
});

describe('refusals', () => {
  it('a wrong code_verifier is invalid_grant', async () => {
    const { code } = await codeFor(app, alice, publicApp, 'identify');
    const res = await exchangeCode(app, publicApp, code, pkce().verifier);
    expect(res.status).toBe(400);
    expect(res.body.error).toBe('invalid_grant');
    // The code was spent by the failed attempt.
    expect((await exchangeCode(app, publicApp, code, pkce().verifier)).body.error).toBe('invalid_grant');
  });

  it('a code used twice fails and revokes the tokens issued from it', async () => {
    const { code, verifier } = await codeFor(app, alice, publicApp, 'identify');
    const first = await exchangeCode(app, publicApp, code, verifier);
    expect(first.status).toBe(200);
    const again = await exchangeCode(app, publicApp, code, verifier);
    expect(again.status).toBe(400);
    expect(again.body.error).toBe('invalid_grant');
    expect((await api(app, 'GET', '/users/@me', bearer(first.body.access_token))).status).toBe(401);
    const refresh = await postForm(app, '/oauth2/token', {
      grant_type: 'refresh_token',
      refresh_token: first.body.refresh_token,
      client_id: publicApp.id,
    });
    expect(refresh.body.error).toBe('invalid_grant');
  });

  it('a redirect_uri at the token endpoint that differs from the authorization request is invalid_grant', async () => {
    const { code, verifier } = await codeFor(app, alice, publicApp, 'identify');
    const res = await postForm(app, '/oauth2/token', {
      grant_type: 'authorization_code',
      code,
      redirect_uri: 'http://127.0.0.1:9/other',
      client_id: publicApp.id,
      code_verifier: verifier,
    });
    expect(res.body.error).toBe('invalid_grant');
  });

  it('a code of one client cannot be redeemed by another', async () => {
    const { code, verifier } = await codeFor(app, alice, publicApp, 'identify');
    const other = await createOAuthApp(app, owner, { publicClient: true });
    expect((await exchangeCode(app, other, code, verifier)).body.error).toBe('invalid_grant');
  });

  it('an unregistered redirect_uri or unknown client is shown, never redirected', async () => {
    const base = {
      response_type: 'code',
      scope: 'identify',
      code_challenge: pkce().challenge,
      code_challenge_method: 'S256',
    };
    const evil = await authorize(app, alice, {
      ...base,
      client_id: publicApp.id,
      redirect_uri: 'https://evil.example/cb',
      approve: true,
    });
    expect(evil.status).toBe(400);
    expect(evil.body.code).toBe('invalid_redirect_uri');
    expect(evil.location).toBeNull();

    const query = new URLSearchParams({
      ...base,
      client_id: publicApp.id,
      redirect_uri: 'https://evil.example/cb',
    });
    const html = await fetch(`${app.api}/oauth2/authorize?${query.toString()}`, {
      headers: { accept: 'text/html' },
      redirect: 'manual',
    });
    expect(html.status).toBe(400);
    expect(html.headers.get('location')).toBeNull();
    expect(html.headers.get('content-type')).toMatch(/text\/html/);
    expect(await html.text()).toContain('invalid_redirect_uri');

    const json = await api(app, 'GET', `/oauth2/authorize?${query.toString()}`, { token: alice.token });
    expect(json.status).toBe(400);
    expect(json.body.code).toBe('invalid_redirect_uri');
    expect(Object.keys(json.body.errors)).toEqual(['redirect_uri']);

    const unknown = await api(
      app,
      'GET',
      `/oauth2/authorize?${new URLSearchParams({ ...base, client_id: '123456789', redirect_uri: REDIRECT_URI }).toString()}`,
      { token: alice.token },
    );
    expect(unknown.status).toBe(400);
    expect(unknown.body.code).toBe('invalid_client');
    expect(unknown.body.errors).toEqual({ client_id: 'Unknown client_id' });
    // Without any parameter: the first one it needs is named.
    const bare = await api(app, 'GET', '/oauth2/authorize', { token: alice.token });
    expect([bare.status, bare.body.code, bare.body.errors]).toEqual([
      400,
      'invalid_client',
      { client_id: 'client_id is required' },
    ]);
  });

  it('an unknown client at the token endpoint is 401 invalid_client', async () => {
    const res = await postForm(app, '/oauth2/token', {
      grant_type: 'authorization_code',
      code: 'whatever',
      redirect_uri: REDIRECT_URI,
      client_id: '123456789',
      code_verifier: pkce().verifier,
    });
    expect(res.status).toBe(401);
    expect(res.body.error).toBe('invalid_client');
  });

  it('a public client must use PKCE with S256: missing or plain are sent back as invalid_request', async () => {
    const missing = await authorize(app, alice, {
      client_id: publicApp.id,
      redirect_uri: REDIRECT_URI,
      response_type: 'code',
      scope: 'identify',
      state: 's1',
      approve: true,
    });
    expect(missing.location?.searchParams.get('error')).toBe('invalid_request');
    expect(missing.location?.searchParams.get('state')).toBe('s1');
    expect(missing.location?.searchParams.has('code')).toBe(false);

    const plain = await authorize(app, alice, {
      client_id: publicApp.id,
      redirect_uri: REDIRECT_URI,
      response_type: 'code',
      scope: 'identify',
      code_challenge: pkce().verifier,
      code_challenge_method: 'plain',
      approve: true,
    });
    expect(plain.location?.searchParams.get('error')).toBe('invalid_request');
    expect(plain.location?.searchParams.get('error_description')).toMatch(/S256/);
  });

  it('a bad scope or response_type goes back to the redirect URI (a browser is redirected)', async () => {
    const query = new URLSearchParams({
      client_id: publicApp.id,
      redirect_uri: REDIRECT_URI,
      response_type: 'code',
      scope: 'identify admin',
      state: 'abc',
      code_challenge: pkce().challenge,
      code_challenge_method: 'S256',
    });
    const res = await fetch(`${app.api}/oauth2/authorize?${query.toString()}`, {
      headers: { accept: 'text/html' },
      redirect: 'manual',
    });
    expect(res.status).toBe(302);
    const location = new URL(res.headers.get('location')!);
    expect(location.searchParams.get('error')).toBe('invalid_scope');
    expect(location.searchParams.get('state')).toBe('abc');

    query.set('scope', 'identify');
    query.set('response_type', 'token');
    const json = await api(app, 'GET', `/oauth2/authorize?${query.toString()}`, { token: alice.token });
    expect(json.status).toBe(400);
    expect(json.body.code).toBe('unsupported_response_type');
    expect(new URL(json.body.location).searchParams.get('error')).toBe('unsupported_response_type');
  });

  it('refuses unsupported grant types and requests without a grant_type or code', async () => {
    const cc = await postForm(
      app,
      '/oauth2/token',
      { grant_type: 'client_credentials' },
      { id: confidentialApp.id, secret: confidentialApp.secret! },
    );
    expect(cc.body.error).toBe('unsupported_grant_type');
    const none = await postForm(app, '/oauth2/token', { client_id: publicApp.id });
    expect(none.body).toMatchObject({
      error: 'invalid_request',
      error_description: 'grant_type is required',
      code: 'invalid_request',
      message: 'grant_type is required',
    });
    const noCode = await postForm(app, '/oauth2/token', {
      grant_type: 'authorization_code',
      client_id: publicApp.id,
      redirect_uri: REDIRECT_URI,
    });
    expect(noCode.body).toMatchObject({ error: 'invalid_request', error_description: 'code is required' });
    const text = await fetch(`${app.api}/oauth2/token`, {
      method: 'POST',
      headers: { 'content-type': 'text/plain' },
      body: 'grant_type=authorization_code',
    });
    expect(text.status).toBe(400);
    expect(((await text.json()) as { error: string }).error).toBe('invalid_request');
  });

  it('authorizing needs a person: no token is 401, a bot token 403', async () => {
    const noToken = await api(app, 'POST', '/oauth2/authorize', {
      body: { client_id: publicApp.id, approve: true },
    });
    expect(noToken.status).toBe(401);
    const created = await api(app, 'POST', '/applications', {
      token: owner.token,
      body: { name: 'Bot caller' },
    });
    const res = await fetch(`${app.api}/oauth2/authorize`, {
      method: 'POST',
      headers: { authorization: `Bot ${created.body.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ client_id: publicApp.id, approve: true }),
    });
    expect(res.status).toBe(403);
  });
});

describe('revocation', () => {
  it('revoking a token ends its authorization; unknown tokens get 200 too', async () => {
    const { code, verifier } = await codeFor(app, alice, publicApp, 'identify');
    const tokens = (await exchangeCode(app, publicApp, code, verifier)).body;
    const res = await postForm(app, '/oauth2/token/revoke', {
      token: tokens.refresh_token,
      token_type_hint: 'refresh_token',
      client_id: publicApp.id,
    });
    expect(res.status).toBe(200);
    expect((await api(app, 'GET', '/users/@me', bearer(tokens.access_token))).status).toBe(401);
    const unknown = await postForm(app, '/oauth2/token/revoke', { token: 'nope', client_id: publicApp.id });
    expect(unknown.status).toBe(200);
    const noToken = await postForm(app, '/oauth2/token/revoke', { client_id: publicApp.id });
    expect(noToken.body.error).toBe('invalid_request');
  });

  it('another client cannot revoke a token it does not own', async () => {
    const { code, verifier } = await codeFor(app, alice, publicApp, 'identify');
    const tokens = (await exchangeCode(app, publicApp, code, verifier)).body;
    const res = await postForm(
      app,
      '/oauth2/token/revoke',
      { token: tokens.access_token },
      { id: confidentialApp.id, secret: confidentialApp.secret! },
    );
    expect(res.status).toBe(200);
    expect((await api(app, 'GET', '/users/@me', bearer(tokens.access_token))).status).toBe(200);
  });

  it('the user lists their authorizations and revokes one', async () => {
    const { code, verifier } = await codeFor(app, alice, publicApp, 'identify');
    const tokens = (await exchangeCode(app, publicApp, code, verifier)).body;
    const list = await api(app, 'GET', '/oauth2/authorizations', { token: alice.token });
    expect(list.status).toBe(200);
    const mine = list.body.find((a: { application: { id: string } }) => a.application.id === publicApp.id);
    expect(mine).toMatchObject({ scopes: ['identify'] });
    // The token itself may not manage authorizations.
    expect((await api(app, 'GET', '/oauth2/authorizations', bearer(tokens.access_token))).status).toBe(403);
    const stranger = await registerUser(app);
    expect(
      (await api(app, 'DELETE', `/oauth2/authorizations/${mine.id}`, { token: stranger.token })).status,
    ).toBe(404);
    for (const a of list.body) {
      expect(
        (await api(app, 'DELETE', `/oauth2/authorizations/${a.id}`, { token: alice.token })).status,
      ).toBe(204);
    }
    expect((await api(app, 'GET', '/users/@me', bearer(tokens.access_token))).status).toBe(401);
    expect((await api(app, 'GET', '/oauth2/authorizations', { token: alice.token })).body).toEqual([]);
  });

  it('a disabled user’s tokens stop working', async () => {
    const bob = await registerUser(app);
    const { code, verifier } = await codeFor(app, bob, publicApp, 'identify');
    const tokens = (await exchangeCode(app, publicApp, code, verifier)).body;
    await app.rt.models.User.update({ disabled_at: new Date() }, { where: { id: bob.id } });
    expect((await api(app, 'GET', '/users/@me', bearer(tokens.access_token))).status).toBe(401);
    const refresh = await postForm(app, '/oauth2/token', {
      grant_type: 'refresh_token',
      refresh_token: tokens.refresh_token,
      client_id: publicApp.id,
    });
    expect(refresh.body.error).toBe('invalid_grant');
  });

  it('the gateway refuses OAuth2 access tokens', async () => {
    const { code, verifier } = await codeFor(app, alice, publicApp, 'identify');
    const tokens = (await exchangeCode(app, publicApp, code, verifier)).body;
    const err = await new Promise<{ data?: { code: string } }>((resolve, reject) => {
      const socket = io(app.origin, {
        path: '/gateway',
        transports: ['websocket'],
        auth: { token: tokens.access_token },
        reconnection: false,
        forceNew: true,
      });
      socket.once('connect', () => {
        socket.disconnect();
        reject(new Error('connected with an OAuth2 token'));
      });
      socket.once('connect_error', (e: Error & { data?: { code: string } }) => {
        socket.disconnect();
        resolve(e);
      });
    });
    expect(err.data?.code).toBe('unauthorized');
  });
});

describe('bot scope', () => {
  it('adds the bot to a server where the user has MANAGE_SERVER, with the requested permissions', async () => {
    const server = await api(app, 'POST', '/servers', { token: alice.token, body: { name: 'Alice HQ' } });
    expect(server.status).toBe(201);
    // A server alice is in without MANAGE_SERVER.
    const { server: other } = await createServerWithChannel(app.rt, owner.id);
    await app.rt.models.Member.create({ server_id: other.id, user_id: alice.id });
    await invalidate(app.rt, { servers: [other.id] });

    const { challenge, verifier } = pkce();
    const params = {
      client_id: publicApp.id,
      redirect_uri: REDIRECT_URI,
      response_type: 'code',
      scope: 'bot identify',
      code_challenge: challenge,
      code_challenge_method: 'S256',
      permissions: '2048',
    };
    const info = await api(app, 'GET', `/oauth2/authorize?${new URLSearchParams(params).toString()}`, {
      token: alice.token,
    });
    expect(info.status).toBe(200);
    expect(info.body).toMatchObject({
      application: { id: publicApp.id, name: 'Test App' },
      user: { id: alice.id },
      scopes: ['identify', 'bot'],
      redirect_uri: REDIRECT_URI,
      permissions: '2048',
    });
    const ids = info.body.servers.map((s: { id: string }) => s.id);
    expect(ids).toContain(server.body.id);
    expect(ids).not.toContain(other.id);

    const noServer = await authorize(app, alice, { ...params, approve: true });
    expect(noServer.status).toBe(400);
    expect(noServer.body.errors).toHaveProperty('server_id');

    const forbidden = await authorize(app, alice, { ...params, approve: true, server_id: other.id });
    expect(forbidden.status).toBe(403);
    expect(forbidden.body).toMatchObject({ code: 'missing_permission', permission: 'MANAGE_SERVER' });
    expect(forbidden.location).toBeNull();
    const stranger = await createServerWithChannel(app.rt, owner.id);
    const unknown = await authorize(app, alice, { ...params, approve: true, server_id: stranger.server.id });
    expect(unknown.status).toBe(404);

    const ok = await authorize(app, alice, { ...params, approve: true, server_id: server.body.id });
    expect(ok.status).toBe(200);
    expect(ok.location?.searchParams.get('server_id')).toBe(server.body.id);
    const member = await app.rt.models.Member.findOne({
      where: { server_id: server.body.id, user_id: publicApp.botUserId },
    });
    expect(member).not.toBeNull();
    const role = await app.rt.models.Role.findOne({
      where: { server_id: server.body.id, managed_bot_id: publicApp.botUserId },
    });
    expect(role?.permissions).toBe('2048');
    const tokens = await exchangeCode(app, publicApp, ok.location!.searchParams.get('code')!, verifier);
    expect(tokens.status).toBe(200);
    expect(tokens.body).toMatchObject({ scope: 'identify bot', server_id: server.body.id });
  });

  it('a private bot can be added only by its owner', async () => {
    const privateApp = await createOAuthApp(app, owner, { publicClient: true });
    const patched = await api(app, 'PATCH', `/applications/${privateApp.id}`, {
      token: owner.token,
      body: { public_bot: false },
    });
    expect(patched.status).toBe(200);
    const server = await api(app, 'POST', '/servers', { token: alice.token, body: { name: 'Alice 2' } });
    const res = await authorize(app, alice, {
      client_id: privateApp.id,
      redirect_uri: REDIRECT_URI,
      response_type: 'code',
      scope: 'bot',
      code_challenge: pkce().challenge,
      code_challenge_method: 'S256',
      approve: true,
      server_id: server.body.id,
    });
    expect(res.location?.searchParams.get('error')).toBe('unauthorized_client');
    expect(
      await app.rt.models.Member.count({
        where: { server_id: server.body.id, user_id: privateApp.botUserId },
      }),
    ).toBe(0);
  });

  it('permissions without the bot scope are refused', async () => {
    const res = await authorize(app, alice, {
      client_id: publicApp.id,
      redirect_uri: REDIRECT_URI,
      response_type: 'code',
      scope: 'identify',
      code_challenge: pkce().challenge,
      code_challenge_method: 'S256',
      permissions: '8',
      approve: true,
    });
    expect(res.location?.searchParams.get('error')).toBe('invalid_request');
  });
});

describe('client settings and pages', () => {
  it('only the owner manages the secret and redirect URIs; bad URIs are named', async () => {
    expect(
      (await api(app, 'POST', `/applications/${publicApp.id}/oauth2/secret`, { token: alice.token })).status,
    ).toBe(404);
    expect(
      (
        await api(app, 'PUT', `/applications/${publicApp.id}/oauth2/redirect-uris`, {
          token: alice.token,
          body: { redirect_uris: [REDIRECT_URI] },
        })
      ).status,
    ).toBe(404);
    const bad = await api(app, 'PUT', `/applications/${publicApp.id}/oauth2/redirect-uris`, {
      token: owner.token,
      body: {
        redirect_uris: [REDIRECT_URI, 'http://example.com/cb', 'https://ok.example/cb#frag', 'myapp:/cb'],
      },
    });
    expect(bad.status).toBe(400);
    expect(Object.keys(bad.body.errors).sort()).toEqual([
      'redirect_uris.1',
      'redirect_uris.2',
      'redirect_uris.3',
    ]);
    const settings = await api(app, 'GET', `/applications/${publicApp.id}/oauth2`, { token: owner.token });
    expect(settings.body).toEqual({
      client_id: publicApp.id,
      redirect_uris: [REDIRECT_URI],
      has_secret: false,
    });
    const native = await api(app, 'PUT', `/applications/${publicApp.id}/oauth2/redirect-uris`, {
      token: owner.token,
      body: { redirect_uris: [REDIRECT_URI, 'com.example.app:/cb', 'https://app.example/cb'] },
    });
    expect(native.status).toBe(200);
    expect(native.body.redirect_uris).toHaveLength(3);
    await api(app, 'PUT', `/applications/${publicApp.id}/oauth2/redirect-uris`, {
      token: owner.token,
      body: { redirect_uris: [REDIRECT_URI] },
    });
  });

  it('serves the consent page to browsers, with its script, and the client callback page', async () => {
    const query = new URLSearchParams({
      client_id: publicApp.id,
      redirect_uri: REDIRECT_URI,
      response_type: 'code',
      scope: 'identify',
      code_challenge: pkce().challenge,
      code_challenge_method: 'S256',
    });
    const page = await fetch(`${app.api}/oauth2/authorize?${query.toString()}`, {
      headers: { accept: 'text/html,application/xhtml+xml,*/*;q=0.8' },
    });
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/text\/html/);
    expect(page.headers.get('cache-control')).toBe('no-store');
    const html = await page.text();
    expect(html).toContain('/oauth/assets/consent.js');
    const script = await fetch(`${app.origin}/oauth/assets/consent.js`);
    expect(script.status).toBe(200);
    expect(script.headers.get('content-type')).toMatch(/javascript/);
    expect(await script.text()).toContain("'/oauth2/authorize'");
    const callback = await fetch(`${app.origin}/oauth/callback?login_code=x`);
    expect(callback.status).toBe(200);
    expect(await callback.text()).toContain('/oauth/assets/callback.js');
  });

  it('documents the OAuth2 endpoints in the OpenAPI document', async () => {
    const doc = (await api(app, 'GET', '/openapi.json')).body;
    expect(Object.keys(doc.paths['/oauth2/token'].post.requestBody.content)).toContain(
      'application/x-www-form-urlencoded',
    );
    expect(doc.paths['/users/@me'].get.security).toContainEqual({ oauth2: ['identify'] });
    expect(doc.components.securitySchemes.oauth2.flows.authorizationCode.scopes).toHaveProperty('bot');
  });
});

describe('the consent page in a browser (its own script in jsdom, against the real API)', () => {
  /** Runs consent-page.driver.ts in its own process; answers what the page showed and decided. */
  async function drive(plan: Record<string, unknown>): Promise<ApiResponse['body']> {
    return runPageDriver<ApiResponse['body']>('test/api/oauth2/consent-page.driver.ts', plan);
  }

  it('shows the request, lets the user pick a server for the bot, and approves', async () => {
    const server = await api(app, 'POST', '/servers', { token: alice.token, body: { name: 'Page HQ' } });
    const { verifier, challenge } = pkce();
    const query = new URLSearchParams({
      client_id: publicApp.id,
      redirect_uri: REDIRECT_URI,
      response_type: 'code',
      scope: 'identify bot',
      state: 'page-state',
      code_challenge: challenge,
      code_challenge_method: 'S256',
    });
    const result = await drive({
      url: `${app.api}/oauth2/authorize?${query.toString()}`,
      origin: app.origin,
      token: alice.token,
      serverId: server.body.id,
      decision: 'approve',
    });
    expect(result).toMatchObject({ appName: 'Test App', userName: alice.username });
    expect(result.scopes).toHaveLength(2);
    expect(result.servers).toContain(server.body.id);
    const location = new URL(result.location);
    expect(location.searchParams.get('state')).toBe('page-state');
    expect(location.searchParams.get('server_id')).toBe(server.body.id);
    const tokens = await exchangeCode(app, publicApp, location.searchParams.get('code')!, verifier);
    expect(tokens.status).toBe(200);
  });

  it('signs the user in first when it has no token, and a denial goes back as access_denied', async () => {
    const query = new URLSearchParams({
      client_id: publicApp.id,
      redirect_uri: REDIRECT_URI,
      response_type: 'code',
      scope: 'identify',
      code_challenge: pkce().challenge,
      code_challenge_method: 'S256',
    });
    const result = await drive({
      url: `${app.api}/oauth2/authorize?${query.toString()}`,
      origin: app.origin,
      token: null,
      login: { login: alice.username, password: alice.password },
      decision: 'deny',
    });
    expect(result.sawLoginError).toBe(true);
    expect((await api(app, 'GET', '/users/@me', { token: result.storedToken })).body.id).toBe(alice.id);
    expect(new URL(result.location).searchParams.get('error')).toBe('access_denied');
  });
});
