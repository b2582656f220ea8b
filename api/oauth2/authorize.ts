import { QueryTypes } from 'sequelize';
import { ApiError } from '../../shared/errors.js';
import type { Row, UserView } from '../../shared/db/models/index.js';
import { Permission, ServerPolicy, has, parsePermissions } from '../../shared/permissions/index.js';
import { absoluteUrl } from '../../shared/config/public-base.js';
import type { Runtime } from '../../shared/runtime.js';
import { approveAuthorization } from '../../shared/domain/oauth2/approve.js';
import { findClient } from './clients.js';
import { CODE_CHALLENGE } from '../../shared/domain/oauth2/codes.js';
import type { OAuthErrorCode } from '../../shared/domain/oauth2/errors.js';
import { parseScopes, type OAuthScope } from '../../shared/domain/oauth2/scopes.js';

/** The parameters of an authorization request (query of GET, body of POST /oauth2/authorize). */
export interface AuthorizeParams {
  client_id?: string;
  redirect_uri?: string;
  response_type?: string;
  scope?: string;
  state?: string;
  code_challenge?: string;
  code_challenge_method?: string;
  permissions?: string;
}

/** A request whose client and redirect URI are known good, and every other parameter checked. */
export interface AuthorizationRequest {
  application: Row<'Application'>;
  redirectUri: string;
  scopes: OAuthScope[];
  state: string | null;
  codeChallenge: string | null;
  /** Permissions of the bot's managed role (`bot` scope only). */
  permissions: bigint;
}

/**
 * An error about the request that must not be sent to its redirect_uri: the client or the URI is
 * unknown, so the user sees it instead (a redirect here would make Plexichat an open redirector).
 */
export class UntrustedRequestError extends ApiError {
  constructor(code: 'invalid_client' | 'invalid_redirect_uri', message: string) {
    // The offending parameter is named, as every 400 names its field.
    super(400, code, message, { [code === 'invalid_client' ? 'client_id' : 'redirect_uri']: message });
  }
}

/** An error the client learns at its redirect_uri (`?error=...&state=...`), as RFC 6749 4.1.2.1 says. */
export class RedirectableError extends Error {
  constructor(
    readonly error: OAuthErrorCode,
    readonly description: string,
    readonly location: string,
  ) {
    super(description);
    this.name = 'RedirectableError';
  }
}

/** `redirectUri` with the response parameters added (its own query kept). */
export function redirectTo(redirectUri: string, params: Record<string, string | null | undefined>): string {
  const url = new URL(redirectUri);
  for (const [key, value] of Object.entries(params)) {
    if (value !== null && value !== undefined) url.searchParams.append(key, value);
  }
  return url.toString();
}

/** The redirect carrying an error back to the client. */
export function errorRedirect(
  redirectUri: string,
  state: string | null | undefined,
  error: OAuthErrorCode,
  description: string,
): RedirectableError {
  return new RedirectableError(
    error,
    description,
    redirectTo(redirectUri, { error, error_description: description, state }),
  );
}

/**
 * Checks an authorization request: first the client and its redirect URI (failures throw
 * UntrustedRequestError), then the rest (failures throw RedirectableError).
 */
export async function validateAuthorizeRequest(
  rt: Runtime,
  params: AuthorizeParams,
): Promise<AuthorizationRequest> {
  const application = await findClient(rt, params.client_id);
  if (!application) {
    throw new UntrustedRequestError(
      'invalid_client',
      params.client_id ? 'Unknown client_id' : 'client_id is required',
    );
  }
  // RFC 6749 3.1.2.3: optional when exactly one is registered.
  const only = application.redirect_uris.length === 1 ? application.redirect_uris[0] : undefined;
  const redirectUri = params.redirect_uri ?? only;
  if (redirectUri === undefined) {
    throw new UntrustedRequestError('invalid_redirect_uri', 'redirect_uri is required');
  }
  if (!application.redirect_uris.includes(redirectUri)) {
    throw new UntrustedRequestError(
      'invalid_redirect_uri',
      'redirect_uri is not one of the application’s registered redirect URIs',
    );
  }
  const state = params.state ?? null;
  const fail = (error: OAuthErrorCode, description: string) =>
    errorRedirect(redirectUri, state, error, description);

  if (params.response_type !== 'code') {
    throw fail('unsupported_response_type', 'Only response_type=code is supported');
  }
  const scopes = parseScopes(params.scope);
  if (!scopes) throw fail('invalid_scope', 'scope must list known scopes: identify, email, servers, bot');
  const challenge = params.code_challenge ?? null;
  const method = params.code_challenge_method;
  if (challenge !== null) {
    if (method !== 'S256')
      throw fail('invalid_request', 'code_challenge_method must be S256 (plain is refused)');
    if (!CODE_CHALLENGE.test(challenge)) {
      throw fail('invalid_request', 'code_challenge must be an S256 challenge (43 base64url characters)');
    }
  } else if (method !== undefined) {
    throw fail('invalid_request', 'code_challenge_method without code_challenge');
  } else if (!application.client_secret_hash) {
    throw fail('invalid_request', 'PKCE is required: this client has no secret (send code_challenge, S256)');
  }
  let permissions = 0n;
  if (params.permissions !== undefined) {
    if (!scopes.includes('bot')) throw fail('invalid_request', 'permissions needs the bot scope');
    try {
      permissions = parsePermissions(params.permissions);
    } catch {
      throw fail('invalid_request', 'permissions must be a decimal-string bitfield of known permission bits');
    }
  }
  return { application, redirectUri, scopes, state, codeChallenge: challenge, permissions };
}

/**
 * The checks that depend on who is authorizing: a private bot can be added only by its
 * application's owner.
 */
export function checkUserMayAuthorize(request: AuthorizationRequest, user: UserView): void {
  const { application } = request;
  if (request.scopes.includes('bot') && !application.public_bot && application.owner_id !== user.id) {
    throw errorRedirect(
      request.redirectUri,
      request.state,
      'unauthorized_client',
      'This application’s bot is private: only its owner may add it',
    );
  }
}

/** A server the bot can be added to, for the consent page's picker. */
export interface ServerChoice {
  id: string;
  name: string;
  icon_url: string | null;
}

/** The servers where `userId` has MANAGE_SERVER: where the `bot` scope may add the bot. */
export async function manageableServers(rt: Runtime, userId: string): Promise<ServerChoice[]> {
  const rows = await rt.sequelize.query<{ server_id: string }>(
    `SELECT server_id FROM members WHERE user_id = $1 ORDER BY server_id LIMIT 200`,
    { bind: [userId], type: QueryTypes.SELECT },
  );
  const choices: ServerChoice[] = [];
  for (const { server_id: serverId } of rows) {
    const policy = await ServerPolicy.load(rt, serverId, userId).catch(() => null);
    if (policy && has(policy.permissions, Permission.MANAGE_SERVER)) {
      choices.push({
        id: policy.server.id,
        name: policy.server.name,
        icon_url: absoluteUrl(rt.config, policy.server.icon_url),
      });
    }
  }
  return choices;
}

/** The user approved (shared/domain/oauth2/approve.ts): the redirect carrying the code. */
export async function approveRequest(
  rt: Runtime,
  request: AuthorizationRequest,
  user: UserView,
  serverId: string | undefined,
): Promise<string> {
  const approved = await approveAuthorization(
    rt,
    {
      applicationId: request.application.id,
      redirectUri: request.redirectUri,
      scopes: request.scopes,
      codeChallenge: request.codeChallenge,
      permissions: request.permissions,
    },
    user.id,
    serverId,
  );
  return redirectTo(request.redirectUri, {
    code: approved.code,
    state: request.state,
    server_id: approved.serverId,
  });
}

/** The user said no: back to the client with `access_denied`. */
export function denyRequest(request: AuthorizationRequest): string {
  return redirectTo(request.redirectUri, {
    error: 'access_denied',
    error_description: 'The user denied the request',
    state: request.state,
  });
}
