import type { Request, Response } from 'express';
import Joi from 'joi';
import { ApiError } from '../../../shared/errors.js';
import type { Row } from '../../../shared/db/models/index.js';
import { presentUser } from '../../../shared/presenters/user.js';
import { unixSeconds } from '../../../shared/presenters/time.js';
import { pageBy, type PageQuery } from '../../../shared/pagination.js';
import type { Runtime } from '../../../shared/runtime.js';
import type { AuthContext } from '../../auth/context.js';
import {
  approveRequest,
  checkUserMayAuthorize,
  denyRequest,
  manageableServers,
  RedirectableError,
  UntrustedRequestError,
  validateAuthorizeRequest,
  type AuthorizeParams,
} from '../../oauth2/authorize.js';
import { OAuthError } from '../../../shared/domain/oauth2/errors.js';
import { sendConsentPage, sendErrorPage } from '../../oauth2/pages.js';
import { SCOPE_DESCRIPTIONS } from '../../../shared/domain/oauth2/scopes.js';
import {
  handleRevokeRequest,
  handleTokenRequest,
  readForm,
  sendOAuthError,
} from '../../oauth2/token-endpoint.js';
import { revokeAuthorization } from '../../../shared/domain/oauth2/grants.js';
import { badPageResponse, pageQuery } from '../common-schemas.js';
import { defineRoute, definePublicRoute, type AnyRoute } from '../route.js';
import {
  authorizationObject,
  authorizationParams,
  authorizeBody,
  authorizeInfo,
  authorizeQuery,
  authorizeResult,
  currentAuthorization,
  oauthErrorBody,
  revokeForm,
  tokenForm,
  tokenResponse,
} from './schema.js';

function applicationSummary(app: Row<'Application'>) {
  return {
    id: app.id,
    name: app.name,
    description: app.description,
    icon_url: app.icon_url,
    public_bot: app.public_bot,
  };
}

/** A person's session: OAuth2 tokens never reach these routes, bots are refused. */
function requirePerson(auth: AuthContext | null): AuthContext {
  if (!auth) throw new ApiError(401, 'unauthorized', 'Sign in to authorize an application');
  if (auth.kind === 'bot') throw new ApiError(403, 'bots_not_allowed', 'Bots cannot authorize applications');
  return auth;
}

function wantsHtml(req: Request): boolean {
  return req.accepts(['application/json', 'text/html']) === 'text/html';
}

/** Runs an OAuth2 endpoint, answering its protocol errors as RFC 6749 error bodies. */
async function oauthEndpoint<T>(req: Request, res: Response, run: () => Promise<T>): Promise<T | undefined> {
  res.setHeader('Cache-Control', 'no-store');
  res.setHeader('Pragma', 'no-cache');
  try {
    return await run();
  } catch (err) {
    if (!(err instanceof OAuthError)) throw err;
    sendOAuthError(res, err, /^Basic\b/i.test(req.headers.authorization?.trim() ?? ''));
    return undefined;
  }
}

/**
 * The OAuth2 provider: GET/POST /oauth2/authorize (consent), POST /oauth2/token, POST
 * /oauth2/token/revoke, GET /oauth2/@me, and the user's list of authorized applications.
 */
export function oauth2Routes(rt: Runtime): AnyRoute[] {
  const { OAuthGrant, OAuthToken, Application } = rt.models;
  const formLimit = rt.config.server.body_limit_bytes;
  return [
    definePublicRoute<Record<string, never>, AuthorizeParams>({
      method: 'get',
      path: '/oauth2/authorize',
      summary: 'Start an authorization: the consent page, or what it shows',
      description:
        'A browser (`Accept: text/html`) gets the consent page. With `Accept: application/json` and a user token, ' +
        'the answer describes the request for a consent screen of your own. An unknown `client_id` or a ' +
        '`redirect_uri` that is not registered exactly is shown (400), never redirected; other errors go ' +
        'back to the redirect_uri as `?error=` (HTML) or come with its `location` (JSON).',
      tags: ['OAuth2'],
      query: authorizeQuery,
      responses: {
        200: { description: 'The consent page (HTML), or the request described', schema: authorizeInfo },
        302: { description: 'HTML: back to redirect_uri with `error` (bad scope, response_type, PKCE)' },
        400: { description: 'Unknown client, unregistered redirect_uri, or (JSON) an invalid request' },
        401: { description: 'JSON without a user token' },
      },
      handler: async ({ query, auth, req, res }) => {
        const html = wantsHtml(req);
        let request;
        try {
          request = await validateAuthorizeRequest(rt, query);
        } catch (err) {
          if (html && err instanceof UntrustedRequestError)
            return sendErrorPage(res, 400, err.code, err.message);
          if (html && err instanceof RedirectableError) return res.redirect(302, err.location);
          if (err instanceof RedirectableError) {
            throw new ApiError(400, err.error, err.description, undefined, { location: err.location });
          }
          throw err;
        }
        if (html) return sendConsentPage(res);
        const person = requirePerson(auth);
        try {
          checkUserMayAuthorize(request, person.user);
        } catch (err) {
          if (!(err instanceof RedirectableError)) throw err;
          throw new ApiError(403, err.error, err.description, undefined, { location: err.location });
        }
        res.setHeader('Cache-Control', 'no-store');
        return {
          application: applicationSummary(request.application),
          user: presentUser(rt.config, person.user),
          scopes: request.scopes,
          scope_descriptions: Object.fromEntries(request.scopes.map((s) => [s, SCOPE_DESCRIPTIONS[s]])),
          redirect_uri: request.redirectUri,
          state: request.state,
          permissions: String(request.permissions),
          ...(request.scopes.includes('bot') ? { servers: await manageableServers(rt, person.user.id) } : {}),
        };
      },
    }),
    defineRoute<
      Record<string, never>,
      Record<string, never>,
      AuthorizeParams & { approve: boolean; server_id?: string }
    >({
      method: 'post',
      path: '/oauth2/authorize',
      access: 'user',
      userOnly: true,
      summary: 'Approve or deny an authorization request',
      description:
        'The same parameters as GET, plus `approve`. Answers `{location}`: the redirect_uri with `code` and ' +
        '`state` (the code is valid 60 seconds, once), or with `error=access_denied`, or with the error of ' +
        'an invalid request. With the `bot` scope, approving adds the bot to `server_id` first.',
      tags: ['OAuth2'],
      body: authorizeBody,
      responses: {
        200: { description: 'Where to send the browser', schema: authorizeResult },
        400: { description: 'Unknown client, unregistered redirect_uri, or `server_id` missing for `bot`' },
        403: { description: 'No MANAGE_SERVER in `server_id`, or a private bot not owned by the caller' },
        404: { description: '`server_id` is not a server of the caller' },
      },
      handler: async ({ body, auth }) => {
        const { approve, server_id: serverId, ...params } = body;
        try {
          const request = await validateAuthorizeRequest(rt, params);
          checkUserMayAuthorize(request, auth.user);
          return {
            location: approve ? await approveRequest(rt, request, auth.user, serverId) : denyRequest(request),
          };
        } catch (err) {
          if (err instanceof RedirectableError) return { location: err.location };
          throw err;
        }
      },
    }),
    definePublicRoute({
      method: 'post',
      path: '/oauth2/token',
      summary: 'Exchange a code, or refresh',
      description:
        'RFC 6749: `application/x-www-form-urlencoded` (or JSON). Clients authenticate with HTTP Basic or ' +
        '`client_secret` in the body; a public client sends only `client_id` and must have used PKCE. ' +
        'A code works once: a second use fails and revokes the tokens issued from it. Each refresh ' +
        'replaces both tokens; an old refresh token used again revokes the whole authorization. ' +
        'Errors are RFC 6749 bodies `{error, error_description}`, with the same values as `code` and `message`. ' +
        '`client_credentials` is not supported.',
      tags: ['OAuth2'],
      form: { fields: tokenForm },
      rateLimit: { points: 30, duration_seconds: 60, bucket: 'oauth2_token' },
      responses: {
        200: { description: 'Tokens', schema: tokenResponse },
        400: {
          description: 'invalid_request, invalid_grant, invalid_scope, unsupported_grant_type',
          schema: oauthErrorBody,
        },
        401: { description: 'invalid_client: unknown client or wrong secret', schema: oauthErrorBody },
      },
      handler: async ({ req, res, ip }) =>
        oauthEndpoint(req, res, async () =>
          handleTokenRequest(rt, req.headers.authorization, await readForm(req, res, formLimit), ip),
        ),
    }),
    definePublicRoute({
      method: 'post',
      path: '/oauth2/token/revoke',
      summary: 'Revoke a token (RFC 7009)',
      description:
        'Revoking an access token or a refresh token ends the whole authorization (every token of it). ' +
        'Unknown tokens and tokens of other clients get the same 200 and are left alone.',
      tags: ['OAuth2'],
      form: { fields: revokeForm },
      rateLimit: { points: 30, duration_seconds: 60, bucket: 'oauth2_token' },
      responses: {
        200: { description: 'Revoked, or nothing to revoke' },
        400: { description: 'invalid_request: no token', schema: oauthErrorBody },
        401: { description: 'invalid_client', schema: oauthErrorBody },
      },
      handler: async ({ req, res }) => {
        await oauthEndpoint(req, res, async () =>
          handleRevokeRequest(rt, req.headers.authorization, await readForm(req, res, formLimit)),
        );
      },
    }),
    defineRoute({
      method: 'get',
      path: '/oauth2/@me',
      access: 'user',
      oauth_scopes: [],
      summary: 'The calling OAuth2 access token: its application, scopes and expiry',
      description: 'Only for OAuth2 access tokens (any scope); `user` is included with `identify`.',
      tags: ['OAuth2'],
      responses: {
        200: { description: 'The current authorization', schema: currentAuthorization },
        403: { description: 'Not an OAuth2 access token (`oauth_token_required`)' },
      },
      handler: async ({ auth }) => {
        if (auth.kind !== 'oauth') {
          throw new ApiError(403, 'oauth_token_required', 'Call this route with an OAuth2 access token');
        }
        const [app, token] = await Promise.all([
          Application.findByPk(auth.application_id),
          OAuthToken.findByPk(auth.token_id),
        ]);
        if (!app || !token) throw new ApiError(401, 'unauthorized', 'Invalid or expired token');
        return {
          application: applicationSummary(app),
          scopes: auth.scopes,
          expires_at: unixSeconds(token.access_expires_at),
          ...(auth.scopes.includes('identify') ? { user: presentUser(rt.config, auth.user) } : {}),
        };
      },
    }),
    defineRoute<Record<string, never>, PageQuery>({
      method: 'get',
      path: '/oauth2/authorizations',
      access: 'user',
      userOnly: true,
      summary: 'Applications the caller has authorized (live grants)',
      description:
        'By authorization id: newest first with `before` or with neither, oldest first with `after`; ' +
        '`limit` 1-100, default 50.',
      tags: ['OAuth2'],
      query: pageQuery,
      responses: {
        200: {
          description: 'One page of live authorizations',
          schema: Joi.array().items(authorizationObject),
        },
        400: badPageResponse,
      },
      handler: async ({ auth, query }) => {
        const page = pageBy('id', query);
        const grants = await OAuthGrant.findAll({
          where: { user_id: auth.user.id, revoked_at: null, ...page.where },
          order: page.order,
          limit: page.limit,
        });
        const apps = await Application.findAll({
          where: { id: [...new Set(grants.map((g) => g.application_id))] },
        });
        const byId = new Map(apps.map((a) => [a.id, a]));
        return grants.flatMap((g) => {
          const app = byId.get(g.application_id);
          return app
            ? [
                {
                  id: g.id,
                  application: applicationSummary(app),
                  scopes: g.scopes,
                  created_at: unixSeconds(g.created_at),
                },
              ]
            : [];
        });
      },
    }),
    defineRoute<{ authorization_id: string }>({
      method: 'delete',
      path: '/oauth2/authorizations/{authorization_id}',
      access: 'user',
      userOnly: true,
      summary: 'Revoke an application’s authorization: its tokens stop working at once',
      tags: ['OAuth2'],
      status: 204,
      params: authorizationParams,
      responses: {
        204: { description: 'Revoked' },
        404: { description: 'Not one of the caller’s live authorizations' },
      },
      handler: async ({ params, auth }) => {
        await revokeAuthorization(rt, auth.user.id, params.authorization_id);
      },
    }),
  ];
}
