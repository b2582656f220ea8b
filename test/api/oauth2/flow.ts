import crypto from 'node:crypto';
import type { TestApp } from '../../helpers/app.js';
import { api, type ApiResponse, type TestUser } from '../../helpers/accounts.js';

/** The redirect URI every test application registers. */
export const REDIRECT_URI = 'http://127.0.0.1:9/callback';

/** An application made through the real API, with its OAuth2 client settings. */
export interface OAuthApp {
  id: string;
  botUserId: string;
  /** null: a public client (no secret generated). */
  secret: string | null;
}

/** Creates an application as `owner`, registers REDIRECT_URI and, unless `publicClient`, a secret. */
export async function createOAuthApp(
  app: TestApp,
  owner: TestUser,
  options: { publicClient?: boolean; redirectUris?: string[] } = {},
): Promise<OAuthApp> {
  const created = await api(app, 'POST', '/applications', { token: owner.token, body: { name: 'Test App' } });
  if (created.status !== 201)
    throw new Error(`create application: ${created.status} ${JSON.stringify(created.body)}`);
  const id: string = created.body.application.id;
  const uris = await api(app, 'PUT', `/applications/${id}/oauth2/redirect-uris`, {
    token: owner.token,
    body: { redirect_uris: options.redirectUris ?? [REDIRECT_URI] },
  });
  if (uris.status !== 200) throw new Error(`redirect uris: ${uris.status} ${JSON.stringify(uris.body)}`);
  let secret: string | null = null;
  if (!options.publicClient) {
    const res = await api(app, 'POST', `/applications/${id}/oauth2/secret`, { token: owner.token });
    if (res.status !== 200) throw new Error(`secret: ${res.status}`);
    secret = res.body.client_secret;
  }
  return { id, botUserId: created.body.application.bot.id, secret };
}

/** A fresh PKCE pair (S256). */
export function pkce(): { verifier: string; challenge: string } {
  const verifier = crypto.randomBytes(32).toString('base64url');
  return { verifier, challenge: crypto.createHash('sha256').update(verifier).digest('base64url') };
}

/** POST /oauth2/authorize as `user`; `location` parsed when present. */
export async function authorize(
  app: TestApp,
  user: TestUser,
  params: Record<string, string | boolean | undefined>,
): Promise<ApiResponse & { location: URL | null }> {
  const body = Object.fromEntries(Object.entries(params).filter(([, v]) => v !== undefined));
  const res = await api(app, 'POST', '/oauth2/authorize', { token: user.token, body });
  return { ...res, location: res.body?.location ? new URL(res.body.location) : null };
}

/** Authorizes with PKCE (approving) and returns the code and the verifier. */
export async function codeFor(
  app: TestApp,
  user: TestUser,
  client: OAuthApp,
  scope: string,
  extra: Record<string, string | boolean | undefined> = {},
): Promise<{ code: string; verifier: string }> {
  const { verifier, challenge } = pkce();
  const res = await authorize(app, user, {
    client_id: client.id,
    redirect_uri: REDIRECT_URI,
    response_type: 'code',
    scope,
    state: 'st',
    code_challenge: challenge,
    code_challenge_method: 'S256',
    approve: true,
    ...extra,
  });
  const code = res.location?.searchParams.get('code');
  if (res.status !== 200 || !code) throw new Error(`authorize: ${res.status} ${JSON.stringify(res.body)}`);
  return { code, verifier };
}

/** POST a form to an OAuth2 endpoint, as RFC 6749 clients do; `basic` adds HTTP Basic client auth. */
export async function postForm(
  app: TestApp,
  path: string,
  form: Record<string, string | undefined>,
  basic?: { id: string; secret: string },
): Promise<ApiResponse> {
  const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded' };
  if (basic) {
    const enc = (s: string) => encodeURIComponent(s);
    headers.authorization = `Basic ${Buffer.from(`${enc(basic.id)}:${enc(basic.secret)}`).toString('base64')}`;
  }
  const entries = Object.entries(form).filter((e): e is [string, string] => e[1] !== undefined);
  const res = await fetch(`${app.api}${path}`, {
    method: 'POST',
    headers,
    body: new URLSearchParams(entries),
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : null };
}

/** Exchanges a code as a public client (client_id + code_verifier). */
export function exchangeCode(
  app: TestApp,
  client: OAuthApp,
  code: string,
  verifier: string,
): Promise<ApiResponse> {
  return postForm(app, '/oauth2/token', {
    grant_type: 'authorization_code',
    code,
    redirect_uri: REDIRECT_URI,
    client_id: client.id,
    code_verifier: verifier,
  });
}
