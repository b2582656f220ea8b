import crypto from 'node:crypto';
import http from 'node:http';
import { jest } from '@jest/globals';
import Provider from 'oidc-provider';
import { api, editedByHand, type ApiResponse } from './accounts.js';
import { useTestApp, type TestApp, type TestAppOptions } from './app.js';
import { testConfig } from './config.js';
import { freePort } from './services.js';

/** An account at the test's OpenID provider. */
export interface OidcAccount {
  sub: string;
  email: string;
  email_verified: boolean;
  preferred_username: string;
  name: string;
}

/** A browser: a cookie jar per host and redirects followed by hand. */
export class Browser {
  private readonly jar = new Map<string, Map<string, string>>();

  async get(url: string): Promise<Response> {
    const target = new URL(url);
    const cookies = this.jar.get(target.host) ?? new Map<string, string>();
    const res = await fetch(url, {
      redirect: 'manual',
      headers: cookies.size > 0 ? { cookie: [...cookies].map(([k, v]) => `${k}=${v}`).join('; ') } : {},
    });
    for (const line of res.headers.getSetCookie()) {
      const [pair, ...attributes] = line.split(';').map((s) => s.trim());
      const eq = pair!.indexOf('=');
      const name = pair!.slice(0, eq);
      const expired = attributes.some(
        (a) => /^max-age=0$/i.test(a) || (/^expires=/i.test(a) && Date.parse(a.slice(8)) < Date.now()),
      );
      if (expired) cookies.delete(name);
      else cookies.set(name, pair!.slice(eq + 1));
    }
    this.jar.set(target.host, cookies);
    return res;
  }

  cookieNames(host: string): string[] {
    return [...(this.jar.get(host)?.keys() ?? [])];
  }

  /** Follows redirects from `url` until `stop` says so; returns that URL (not fetched). */
  async follow(url: string, stop: (u: URL) => boolean): Promise<URL> {
    let at = new URL(url);
    for (let hops = 0; hops < 20; hops += 1) {
      if (stop(at)) return at;
      const res = await this.get(at.toString());
      const location = res.headers.get('location');
      if (!location) throw new Error(`no redirect from ${at.toString()}: ${res.status} ${await res.text()}`);
      at = new URL(location, at);
    }
    throw new Error('too many redirects');
  }
}

export const isClientCallback = (u: URL) => u.pathname === '/oauth/callback';
export const isPlexichatCallback = (u: URL) => u.pathname === '/api/v1/auth/oauth/test/callback';

/**
 * A real OpenID provider on loopback, configured in the app as `test`; its login and consent
 * interactions finish at once for `current`.
 */
export class TestOidcProvider {
  private readonly accounts = new Map<string, OidcAccount>();
  private server: http.Server | null = null;
  private reserved: number | null = null;
  /** Who "logs in" at the provider's interaction next. */
  current: OidcAccount | null = null;

  get port(): number {
    if (this.reserved === null) throw new Error('the provider’s port is reserved in a beforeAll');
    return this.reserved;
  }

  async reservePort(): Promise<void> {
    this.reserved = await freePort();
  }

  /** The app config that signs in with this provider (as `test`) over plain HTTP on loopback. */
  appConfig(): Record<string, unknown> {
    return {
      auth: {
        oidc_providers: [
          {
            name: 'test',
            issuer: `http://127.0.0.1:${this.port}`,
            client_id: 'plexichat',
            client_secret: 'idp-secret',
            display_name: 'Test IdP',
          },
        ],
        allow_insecure_http: true,
      },
      outbound: { allow_private: ['127.0.0.0/8'] },
    };
  }

  /** A new account at the provider (usernames must be unique per run: the test database outlives it). */
  account(username: string, fields: Partial<OidcAccount> = {}): OidcAccount {
    const sub = `sub-${crypto.randomBytes(6).toString('hex')}`;
    const created = {
      sub,
      email: `${sub}@idp.example`,
      email_verified: true,
      preferred_username: username,
      name: `Name of ${username}`,
      ...fields,
    };
    this.accounts.set(sub, created);
    return created;
  }

  async start(app: Pick<TestApp, 'api'>): Promise<void> {
    const redirectUri = `${app.api}/auth/oauth/test/callback`;
    const { privateKey } = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' });
    // Its in-memory adapter warns on construction: expected in a test.
    const warn = jest.spyOn(console, 'warn').mockImplementation(() => undefined);
    const provider = new Provider(`http://127.0.0.1:${this.port}`, {
      clients: [
        {
          client_id: 'plexichat',
          client_secret: 'idp-secret',
          redirect_uris: [redirectUri],
          token_endpoint_auth_method: 'client_secret_post',
          id_token_signed_response_alg: 'ES256',
        },
      ],
      jwks: { keys: [{ ...privateKey.export({ format: 'jwk' }), alg: 'ES256', use: 'sig', kid: 'k1' }] },
      cookies: { keys: ['test-cookie-key'] },
      findAccount: (_ctx: unknown, sub: string) => {
        const found = this.accounts.get(sub);
        return found ? { accountId: sub, claims: () => ({ ...found }) } : undefined;
      },
      claims: {
        openid: ['sub'],
        email: ['email', 'email_verified'],
        profile: ['preferred_username', 'name'],
      },
      features: { devInteractions: { enabled: false } },
      interactions: {
        url: (_ctx: unknown, interaction: { uid: string }) => `/interaction/${interaction.uid}`,
      },
      pkce: { required: () => true },
      ttl: { Interaction: 600, Session: 3600, Grant: 3600, AccessToken: 600, IdToken: 600 },
    });
    warn.mockRestore();
    const callback = provider.callback();
    const server = http.createServer((req, res) => {
      if (!req.url?.startsWith('/interaction/')) return callback(req, res);
      void (async () => {
        const details = await provider.interactionDetails(req, res);
        let result: Record<string, unknown>;
        if (details.prompt.name === 'login') {
          result = { login: { accountId: this.current!.sub } };
        } else {
          const grant = new provider.Grant({
            accountId: details.session!.accountId,
            clientId: String(details.params.client_id),
          });
          grant.addOIDCScope(String(details.params.scope));
          result = { consent: { grantId: await grant.save() } };
        }
        await provider.interactionFinished(req, res, result, { mergeWithLastSubmission: false });
      })().catch((err: unknown) => {
        res.statusCode = 500;
        res.end(String(err));
      });
    });
    await new Promise<void>((resolve) => server.listen(this.port, '127.0.0.1', resolve));
    this.server = server;
  }

  async close(): Promise<void> {
    const server = this.server;
    this.server = null;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** Starts a sign-in in `browser` as `who`; returns where Plexichat finally sent the browser. */
  async signIn(app: Pick<TestApp, 'api'>, browser: Browser, who: OidcAccount): Promise<URL> {
    this.current = who;
    const start = await browser.get(`${app.api}/auth/oauth/test`);
    expect(start.status).toBe(302);
    return browser.follow(start.headers.get('location')!, isClientCallback);
  }

  /** A whole sign-in as `who` in a new browser, its login_code exchanged: `{token, user}` (or the 2FA ticket). */
  async signedIn(app: Pick<TestApp, 'api'>, who: OidcAccount): Promise<ApiResponse> {
    const final = await this.signIn(app, new Browser(), who);
    return exchangeLoginCode(app, final.searchParams.get('login_code')!);
  }
}

/** A person whose account an external sign-in created (no password), and that sign-in's token. */
export interface ExternalUser {
  id: string;
  username: string;
  token: string;
  who: OidcAccount;
}

/** Signs in at `idp` as a new provider account (username `<prefix>_<random>`), creating its Plexichat account. */
export async function newExternalUser(
  app: Pick<TestApp, 'api'>,
  idp: TestOidcProvider,
  prefix: string,
): Promise<ExternalUser> {
  const who = idp.account(`${prefix}_${crypto.randomBytes(4).toString('hex')}`);
  const res = await idp.signedIn(app, who);
  if (res.status !== 200 || !res.body.token) throw new Error(`external sign-in failed: ${res.status}`);
  return { id: res.body.user.id, username: res.body.user.username, token: res.body.token, who };
}

/** Makes every session of `userId` look signed in `seconds` ago (a "sudo mode" window run out). */
export async function signedInAgo(app: Pick<TestApp, 'rt'>, userId: string, seconds: number): Promise<void> {
  await app.rt.models.Session.update(
    { created_at: new Date(Date.now() - seconds * 1000) },
    { where: { user_id: userId } },
  );
  await editedByHand(app, userId);
}

export function exchangeLoginCode(app: Pick<TestApp, 'api'>, code: string): Promise<ApiResponse> {
  return api(app, 'POST', '/auth/oauth/exchange', { body: { login_code: code } });
}

/**
 * A test app that signs in with a real OpenID provider on loopback: the provider's port is reserved
 * before the app boots, and the provider starts after it (unless `startProvider` is false: the suite
 * starts it itself with `idp.start(app)`), and closes once the suite is done.
 */
export function useAppWithOidcProvider(
  options: Omit<TestAppOptions, 'config'> & {
    config?: Record<string, unknown>;
    startProvider?: boolean;
  } = {},
): { app: TestApp; idp: TestOidcProvider } {
  const { config, startProvider = true, ...appOptions } = options;
  const idp = new TestOidcProvider();
  beforeAll(() => idp.reservePort());
  const app = useTestApp(() => ({
    ...appOptions,
    config: testConfig({ ...config, ...idp.appConfig() }),
  }));
  if (startProvider) beforeAll(() => idp.start(app));
  afterAll(() => idp.close());
  return { app, idp };
}
