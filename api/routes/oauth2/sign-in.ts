import type { Request, Response } from 'express';
import Joi from 'joi';
import { recordSecurityEvent } from '../../../shared/auth/security-events.js';
import { ApiError } from '../../../shared/errors.js';
import { presentSelf } from '../../../shared/presenters/user.js';
import type { Runtime } from '../../../shared/runtime.js';
import { setDeviceCookie } from '../../accounts/device-cookie.js';
import { createTicket } from '../../accounts/mfa.js';
import { signIn } from '../../../shared/domain/accounts/sign-in.js';
import { findOrCreateExternalUser } from '../../../shared/domain/accounts/external-sign-in.js';
import { OidcProviders, STATE_SESSION_KEY, type AuthorizationState } from '../../external-auth/providers.js';
import { consumeLoginCode, issueLoginCode } from '../../external-auth/sign-in.js';
import {
  STATE_TTL_SECONDS,
  openState,
  readCookie,
  sealState,
  stateCookieHeader,
  stateCookieName,
} from '../../external-auth/state-cookie.js';
import { definePublicRoute, type AnyRoute } from '../route.js';
import { loginResponse } from '../auth/schema.js';

const providerParams = Joi.object({ provider: Joi.string().max(32).required() });

const exchangeBody = Joi.object({
  login_code: Joi.string().max(128).required().description('from the redirect to auth.oauth_client_redirect'),
});

const providerList = Joi.array().items(
  Joi.object({
    name: Joi.string().required(),
    display_name: Joi.string().required(),
    url: Joi.string().required().description('open this in the browser to sign in'),
  }).meta({ className: 'SignInProvider' }),
);

/** The origin browsers reach this instance at: server.public_url, else what the request says. */
function publicOrigin(rt: Runtime, req: Request): string {
  return (
    rt.config.server.public_url?.replace(/\/+$/, '') ?? `${req.protocol}://${req.get('host') ?? 'localhost'}`
  );
}

function isSecure(rt: Runtime, req: Request): boolean {
  return publicOrigin(rt, req).startsWith('https:') || req.secure;
}

/**
 * Sign-in with external OpenID Connect providers (auth.oidc_providers): GET /auth/oauth lists them,
 * GET /auth/oauth/{provider} starts a sign-in, /callback finishes it and sends the browser to
 * auth.oauth_client_redirect with a one-time `login_code`, which POST /auth/oauth/exchange trades
 * for a session like /auth/login's.
 */
export function signInRoutes(rt: Runtime, apiBase: string): AnyRoute[] {
  const providers = new OidcProviders(rt);
  const cookiePath = `${apiBase}/auth/oauth/`;
  const callbackUrl = (req: Request, name: string) =>
    `${publicOrigin(rt, req)}${apiBase}/auth/oauth/${encodeURIComponent(name)}/callback`;

  /** Sends the browser to the client-side callback with the sign-in's outcome. */
  const toClient = (req: Request, res: Response, params: Record<string, string>) => {
    const target = new URL(rt.config.auth.oauth_client_redirect, `${publicOrigin(rt, req)}/`);
    for (const [key, value] of Object.entries(params)) target.searchParams.set(key, value);
    res.setHeader('Cache-Control', 'no-store');
    res.redirect(302, target.toString());
  };

  const refuse = async (
    req: Request,
    res: Response,
    ip: string,
    provider: string,
    error: string,
    description: string,
  ) => {
    await recordSecurityEvent(rt, 'login_failure', { ip, details: { via: 'oidc', provider, reason: error } });
    toClient(req, res, { error, error_description: description, provider });
  };

  return [
    definePublicRoute({
      method: 'get',
      path: '/auth/oauth',
      summary: 'External sign-in providers',
      tags: ['Auth'],
      responses: { 200: { description: 'The configured providers', schema: providerList } },
      handler: ({ req }) =>
        providers.list().map((p) => ({
          name: p.name,
          display_name: p.display_name ?? p.name,
          url: `${publicOrigin(rt, req)}${apiBase}/auth/oauth/${encodeURIComponent(p.name)}`,
        })),
    }),
    definePublicRoute<{ provider: string }>({
      method: 'get',
      path: '/auth/oauth/{provider}',
      summary: 'Start signing in with an external provider (browser)',
      description:
        'Redirects to the provider with PKCE (S256), `state` and `nonce`; they are kept in an encrypted, ' +
        'HttpOnly cookie that binds the callback to this browser for 10 minutes.',
      tags: ['Auth'],
      params: providerParams,
      responses: {
        302: { description: 'To the provider' },
        404: { description: 'No such provider is configured (`unknown_provider`)' },
        503: { description: 'The provider cannot be reached (its discovery failed); try again' },
      },
      handler: async ({ params, req, res }) => {
        const provider = providers.get(params.provider);
        await providers.ensure(provider);
        // The strategy saves its request here just before it redirects: the cookie goes with the redirect.
        const session: Record<string, unknown> = {};
        Object.defineProperty(session, STATE_SESSION_KEY, {
          set(state: AuthorizationState) {
            if (typeof state.state !== 'string') throw new Error('the strategy saved no state');
            res.append(
              'Set-Cookie',
              stateCookieHeader(
                stateCookieName(state.state),
                sealState(rt.config, provider.name, state),
                STATE_TTL_SECONDS,
                cookiePath,
                isSecure(rt, req),
              ),
            );
          },
        });
        res.setHeader('Cache-Control', 'no-store');
        const outcome = await providers.run(provider, req, res, session, callbackUrl(req, provider.name));
        if (outcome.kind === 'error') throw outcome.err;
        if (outcome.kind !== 'redirected') throw new Error('the sign-in strategy did not redirect');
      },
    }),
    definePublicRoute<{ provider: string }, { state?: string; code?: string; error?: string }>({
      method: 'get',
      path: '/auth/oauth/{provider}/callback',
      summary: 'Where the provider sends the browser back',
      description:
        'Register `<public_url>/api/v1/auth/oauth/{provider}/callback` at the provider. Ends with a redirect ' +
        'to auth.oauth_client_redirect: `?login_code=...&provider=...` (valid 60 s, once), or ' +
        '`?error=...&error_description=...&provider=...` (`invalid_state`, `access_denied`, `provider_error`, ' +
        '`account_disabled`).',
      tags: ['Auth'],
      params: providerParams,
      query: Joi.object({ state: Joi.string().max(1024) }).unknown(true),
      responses: {
        302: { description: 'To auth.oauth_client_redirect with `login_code` or `error`' },
        404: { description: 'No such provider is configured' },
      },
      handler: async ({ params, query, req, res, ip }) => {
        const provider = providers.get(params.provider);
        const state = query.state;
        const cookieName = state ? stateCookieName(state) : null;
        const saved = cookieName ? openState(rt.config, readCookie(req, cookieName), provider.name) : null;
        if (cookieName) {
          res.append('Set-Cookie', stateCookieHeader(cookieName, '', 0, cookiePath, isSecure(rt, req)));
        }
        if (!saved || saved.state !== state || (!query.code && !query.error)) {
          return refuse(
            req,
            res,
            ip,
            provider.name,
            'invalid_state',
            'Unknown, expired or forged sign-in state',
          );
        }
        try {
          await providers.ensure(provider);
        } catch {
          return refuse(
            req,
            res,
            ip,
            provider.name,
            'provider_unavailable',
            'The provider cannot be reached',
          );
        }
        const outcome = await providers.run(
          provider,
          req,
          res,
          { [STATE_SESSION_KEY]: saved },
          callbackUrl(req, provider.name),
        );
        if (outcome.kind === 'fail')
          return refuse(req, res, ip, provider.name, 'access_denied', outcome.message);
        if (outcome.kind !== 'success') {
          rt.logger.warn(
            { provider: provider.name, err: outcome.kind === 'error' ? outcome.err.message : outcome.kind },
            'external sign-in failed',
          );
          return refuse(
            req,
            res,
            ip,
            provider.name,
            'provider_error',
            'The provider’s answer could not be verified',
          );
        }
        const { user, created } = await findOrCreateExternalUser(rt, provider.name, outcome.profile);
        if (user.disabled_at) {
          return refuse(req, res, ip, provider.name, 'account_disabled', 'This account is disabled');
        }
        const code = await issueLoginCode(rt, { user_id: user.id, provider: provider.name, created });
        toClient(req, res, { login_code: code, provider: provider.name });
      },
    }),
    definePublicRoute<Record<string, never>, Record<string, never>, { login_code: string }>({
      method: 'post',
      path: '/auth/oauth/exchange',
      summary: 'Trade a login_code from an external sign-in for a session',
      description:
        'Answers like /auth/login: `{token, user}`, or `{mfa_required: true, ticket}` when the account has ' +
        '2FA on (finish at /auth/mfa/totp). The code works once, for 60 seconds.',
      tags: ['Auth'],
      body: exchangeBody,
      responses: {
        200: { description: 'Signed in, or a second factor is needed', schema: loginResponse },
        401: { description: 'Unknown, expired or used login_code (`invalid_login_code`)' },
        403: { description: 'The account is disabled' },
      },
      handler: async ({ body, ip, req, res }) => {
        const data = await consumeLoginCode(rt, body.login_code);
        if (!data) throw new ApiError(401, 'invalid_login_code', 'Unknown, expired or used login code');
        const user = await rt.models.User.findByPk(data.user_id);
        if (!user) throw new ApiError(401, 'invalid_login_code', 'Unknown, expired or used login code');
        if (user.disabled_at) throw new ApiError(403, 'account_disabled', 'This account is disabled');
        if (user.mfa_enabled) return { mfa_required: true, ticket: await createTicket(rt, user.id) };
        const { token } = await signIn(
          rt,
          user,
          { ip, userAgent: req.headers['user-agent'] ?? null },
          { via: 'oidc', provider: data.provider, ...(data.created ? { account_created: true } : {}) },
        );
        setDeviceCookie(res, rt.config, user.id);
        return { token, user: presentSelf(rt.config, user) };
      },
    }),
  ];
}
