import type { Request, Response } from 'express';
import * as client from 'openid-client';
import { Strategy, type AuthenticateOptions, type VerifyFunction } from 'openid-client/passport';
import { Passport } from 'passport';
import type { OidcProviderConfig } from '../../shared/config/schema.js';
import { ServiceUnavailableError, NotFoundError } from '../../shared/errors.js';
import { safeFetch, type OutboundSettings } from '../../shared/net/safe-fetch.js';
import type { Runtime } from '../../shared/runtime.js';
import type { ExternalProfile } from '../../shared/domain/accounts/external-sign-in.js';

export type { ExternalProfile };

/** Largest response read from a provider (discovery, JWKS, tokens, userinfo). */
const MAX_RESPONSE_BYTES = 1024 * 1024;

/**
 * The strategy of openid-client, adding `state` and `nonce` to every request: the library sends
 * them only when the provider lacks PKCE, and Plexichat wants all three (PKCE, state, nonce).
 */
class OidcStrategy extends Strategy {
  override authorizationRequestParams<T extends AuthenticateOptions>(
    req: Request,
    options: T,
  ): URLSearchParams {
    const params = new URLSearchParams(super.authorizationRequestParams(req, options));
    params.set('state', client.randomState());
    params.set('nonce', client.randomNonce());
    return params;
  }
}

/** The key under which the strategy keeps its request state in `req.session` (our per-request shim). */
export const STATE_SESSION_KEY = 'oidc';

/** The strategy's saved request: PKCE verifier, state and nonce. */
export type AuthorizationState = Record<string, unknown> & { state?: string };

/** What a run of the strategy ended with. */
export type StrategyOutcome =
  | { kind: 'redirected' }
  | { kind: 'success'; profile: ExternalProfile }
  | { kind: 'fail'; message: string }
  | { kind: 'error'; err: Error };

/** openid-client's fetch, through the SSRF-safe fetcher like every other outbound request. */
function providerFetch(outbound: OutboundSettings): client.CustomFetch {
  return async (url, options) => {
    const { body } = options;
    const res = await safeFetch(url, {
      outbound,
      maxBytes: MAX_RESPONSE_BYTES,
      method: options.method === 'POST' ? 'POST' : 'GET',
      headers: options.headers,
      body: body === undefined || body === null ? undefined : String(body as string | URLSearchParams),
      requireOk: false,
      maxRedirects: 0,
      signal: options.signal,
    });
    const data = await res.read();
    const headers = new Headers();
    for (const [key, value] of Object.entries(res.headers)) {
      if (Array.isArray(value)) value.forEach((v) => headers.append(key, v));
      else if (value !== undefined) headers.set(key, value);
    }
    const empty = res.status === 204 || res.status === 304;
    return new Response(empty ? null : data, { status: res.status, headers });
  };
}

function claimString(claims: Record<string, unknown>, name: string): string | null {
  const value = claims[name];
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : null;
}

/**
 * The configured OpenID providers. Each is discovered on first use and kept; a provider that is
 * down fails only its own sign-ins (503) and is discovered again on the next attempt, so Plexichat
 * boots and runs without it.
 */
export class OidcProviders {
  private readonly passport = new Passport();
  private readonly ready = new Map<string, Promise<void>>();
  private readonly byName: Map<string, OidcProviderConfig>;

  constructor(private readonly rt: Runtime) {
    this.byName = new Map(rt.config.auth.oidc_providers.map((p) => [p.name, p]));
  }

  /** The configured providers, for sign-in buttons. */
  list(): OidcProviderConfig[] {
    return [...this.byName.values()];
  }

  /** A provider's configuration; 404 `unknown_provider` for a name that is not configured. */
  get(name: string): OidcProviderConfig {
    const provider = this.byName.get(name);
    if (!provider) throw new NotFoundError('provider');
    return provider;
  }

  private async discover(provider: OidcProviderConfig): Promise<void> {
    const { config: settings } = this.rt;
    const config = await client.discovery(
      new URL(provider.issuer),
      provider.client_id,
      provider.client_secret ?? undefined,
      provider.client_secret === null ? client.None() : undefined,
      {
        [client.customFetch]: providerFetch(settings.outbound),
        execute: settings.auth.allow_insecure_http ? [client.allowInsecureRequests] : [],
      },
    );
    const verify: VerifyFunction = (tokens, verified) => {
      this.profile(config, tokens).then(
        (profile) => {
          verified(null, profile);
        },
        (err: unknown) => {
          verified(asError(err));
        },
      );
    };
    this.passport.use(
      strategyName(provider.name),
      new OidcStrategy(
        {
          config,
          name: strategyName(provider.name),
          sessionKey: STATE_SESSION_KEY,
          scope: provider.scopes.join(' '),
        },
        verify,
      ),
    );
  }

  private async profile(
    config: client.Configuration,
    tokens: client.TokenEndpointResponse & client.TokenEndpointResponseHelpers,
  ): Promise<ExternalProfile> {
    const idClaims = tokens.claims();
    if (!idClaims) throw new Error('the provider sent no ID token');
    let claims: Record<string, unknown> = { ...idClaims };
    // Providers often put profile claims only in userinfo when an access token is issued.
    if (config.serverMetadata().userinfo_endpoint) {
      const info = await client.fetchUserInfo(config, tokens.access_token, idClaims.sub);
      claims = { ...claims, ...info };
    }
    return {
      subject: idClaims.sub,
      email: claimString(claims, 'email'),
      emailVerified: claims.email_verified === true,
      preferredUsername: claimString(claims, 'preferred_username'),
      name: claimString(claims, 'name'),
    };
  }

  /** Makes sure the provider was discovered (once; retried after a failure). 503 when it cannot be. */
  async ensure(provider: OidcProviderConfig): Promise<void> {
    let ready = this.ready.get(provider.name);
    if (!ready) {
      ready = this.discover(provider);
      this.ready.set(provider.name, ready);
      ready.catch((err: unknown) => {
        this.ready.delete(provider.name);
        this.rt.logger.warn(
          { provider: provider.name, err: err instanceof Error ? err.message : String(err) },
          'OpenID provider discovery failed',
        );
      });
    }
    try {
      await ready;
    } catch {
      throw new ServiceUnavailableError(
        `The sign-in provider ${provider.name} is unavailable; try again later`,
      );
    }
  }

  /**
   * Runs the provider's passport strategy on this request: either it answers with the redirect to
   * the provider (the response is then sent), or, on the callback, it ends with the profile.
   * `session` stands in for express-session: the strategy keeps its state there.
   */
  run(
    provider: OidcProviderConfig,
    req: Request,
    res: Response,
    session: Record<string, unknown>,
    callbackURL: string,
  ): Promise<StrategyOutcome> {
    return new Promise((resolve) => {
      (req as Request & { session?: Record<string, unknown> }).session = session;
      const onFinish = () => resolve({ kind: 'redirected' });
      res.once('finish', onFinish);
      const options: AuthenticateOptions = { session: false, callbackURL };
      const middleware = this.passport.authenticate(
        strategyName(provider.name),
        options,
        (err: unknown, user: ExternalProfile | false, info: { message?: string } | undefined) => {
          res.off('finish', onFinish);
          if (err) resolve({ kind: 'error', err: asError(err) });
          else if (!user) resolve({ kind: 'fail', message: info?.message ?? 'Sign-in was refused' });
          else resolve({ kind: 'success', profile: user });
        },
      ) as (req: Request, res: Response, next: (err?: unknown) => void) => void;
      middleware(req, res, (err?: unknown) => {
        res.off('finish', onFinish);
        resolve({ kind: 'error', err: asError(err) });
      });
    });
  }
}

function asError(err: unknown): Error {
  return err instanceof Error ? err : new Error(typeof err === 'string' ? err : 'external sign-in failed');
}

function strategyName(provider: string): string {
  return `oidc-${provider}`;
}
