import os from 'node:os';
import path from 'node:path';
import { ConfigError, loadConfig } from '../../shared/config/index.js';

const home = path.join(os.tmpdir(), 'plexichat-oauth2-config-home');
const load = (auth: Record<string, unknown>, mode = 'development') =>
  loadConfig({ env: { HOME: home }, overrides: { mode, auth } });

function errorOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    if (err instanceof ConfigError) return err.message;
    throw err;
  }
  throw new Error('expected a ConfigError');
}

const provider = { name: 'corp', issuer: 'https://id.example.com', client_id: 'plexichat' };

describe('auth configuration', () => {
  it('fills in the defaults of the OAuth2 settings and of a provider', () => {
    const config = load({ oidc_providers: [provider] });
    expect(config.auth.oauth2).toEqual({
      access_token_ttl_seconds: 3600,
      refresh_token_ttl_seconds: 2592000,
    });
    expect(config.auth.oauth_client_redirect).toBe('/oauth/callback');
    expect(config.auth.allow_insecure_http).toBe(false);
    expect(config.auth.oidc_providers).toEqual([
      { ...provider, client_secret: null, scopes: ['openid', 'email', 'profile'], display_name: null },
    ]);
  });

  it.each([
    [{ oidc_providers: [{ ...provider, scopes: ['email'] }] }, /oidc_providers\[0\]\.scopes/],
    [{ oidc_providers: [provider, provider] }, /oidc_providers\[1\].*duplicate/],
    [{ oidc_providers: [{ ...provider, name: 'Corp SSO' }] }, /oidc_providers\[0\]\.name/],
    [{ oidc_providers: [{ ...provider, issuer: 'ftp://id.example.com' }] }, /oidc_providers\[0\]\.issuer/],
    [{ oauth2: { access_token_ttl_seconds: 5 } }, /auth\.oauth2\.access_token_ttl_seconds/],
  ])('refuses %j naming the key', (auth, message) => {
    expect(errorOf(() => load(auth))).toMatch(message);
  });

  it('refuses plain-HTTP issuers in production, allows them for development and tests', () => {
    expect(errorOf(() => load({ allow_insecure_http: true }, 'production'))).toMatch(
      /auth\.allow_insecure_http/,
    );
    expect(load({ allow_insecure_http: true }).auth.allow_insecure_http).toBe(true);
  });
});
