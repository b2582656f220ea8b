import { isUtf8 } from 'node:buffer';
import express, { type Request, type Response } from 'express';
import type { FieldErrors } from '../../shared/errors.js';
import { inputProblems, urlencodedProblems } from '../../shared/input-limits.js';
import type { Runtime } from '../../shared/runtime.js';
import { authenticateClient, readClientCredentials, type ClientCredentials } from './clients.js';
import { OAuthError } from '../../shared/domain/oauth2/errors.js';
import { parseScopes } from '../../shared/domain/oauth2/scopes.js';
import {
  exchangeCode,
  refreshGrant,
  revokeByClient,
  type TokenResponse,
} from '../../shared/domain/oauth2/grants.js';
import { findGrantByToken } from './tokens.js';

/**
 * The request's parameters, from an application/x-www-form-urlencoded body (what RFC 6749 clients
 * send) or a JSON one. Every value must be a single string: a repeated parameter is refused.
 */
export async function readForm(
  req: Request,
  res: Response,
  limitBytes: number,
): Promise<Record<string, string>> {
  if (req.is('application/x-www-form-urlencoded')) {
    let raw: { bytes: Buffer; utf8: boolean } | null = null;
    const parse = express.urlencoded({
      extended: false,
      limit: limitBytes,
      verify: (_req, _res, bytes, encoding) => {
        raw = { bytes, utf8: encoding.toLowerCase().replace('-', '') === 'utf8' };
      },
    });
    await new Promise<void>((resolve, reject) =>
      parse(req, res, (err?: unknown) =>
        err ? reject(err instanceof Error ? err : new Error('could not read the form')) : resolve(),
      ),
    );
    refuseIllFormedForm(raw);
  } else if (req.headers['content-type'] && !req.is('application/json')) {
    throw new OAuthError('invalid_request', 'Send application/x-www-form-urlencoded or application/json');
  }
  const body: unknown = req.body;
  if (body === undefined || body === null) return {};
  if (typeof body !== 'object' || Array.isArray(body))
    throw new OAuthError('invalid_request', 'The body must be an object');
  const fields: Record<string, string> = {};
  for (const [key, value] of Object.entries(body as Record<string, unknown>)) {
    if (typeof value !== 'string') {
      throw new OAuthError('invalid_request', `${key} must be given once, as a string`);
    }
    fields[key] = value;
  }
  // What the API's validation refuses before any schema (NUL, lone surrogates), named the same way.
  refuseProblems(inputProblems(fields, 'body'));
  return fields;
}

/** RFC 6749's invalid_request naming each field of `problems` (inputProblems' words), if any. */
function refuseProblems(problems: FieldErrors | null): void {
  if (problems) throw new OAuthError('invalid_request', Object.values(problems).join('; '));
}

/**
 * A UTF-8 form whose bytes or percent-escapes are not UTF-8: the parser would read U+FFFD, or the
 * escape as it stands, in place of the bad bytes. A form declared in ISO-8859-1 (the other
 * charset body-parser reads) has no ill-formed bytes.
 */
function refuseIllFormedForm(raw: { bytes: Buffer; utf8: boolean } | null): void {
  if (!raw?.utf8) return;
  if (!isUtf8(raw.bytes)) throw new OAuthError('invalid_request', 'The form is not UTF-8 text');
  refuseProblems(urlencodedProblems(raw.bytes.toString('utf8'), 'body'));
}

function required(fields: Record<string, string>, name: string): string {
  const value = fields[name];
  if (value === undefined || value === '') throw new OAuthError('invalid_request', `${name} is required`);
  return value;
}

async function authorizationCodeGrant(
  rt: Runtime,
  creds: ClientCredentials,
  fields: Record<string, string>,
  ip: string,
): Promise<TokenResponse> {
  const client = await authenticateClient(rt, creds);
  return exchangeCode(
    rt,
    client,
    {
      code: required(fields, 'code'),
      redirectUri: required(fields, 'redirect_uri'),
      ...(fields.code_verifier !== undefined ? { codeVerifier: fields.code_verifier } : {}),
    },
    { ip },
  );
}

async function refreshTokenGrant(
  rt: Runtime,
  creds: ClientCredentials,
  fields: Record<string, string>,
  ip: string,
): Promise<TokenResponse> {
  const client = await authenticateClient(rt, creds);
  const refreshToken = required(fields, 'refresh_token');
  let scopes = null;
  if (fields.scope !== undefined) {
    scopes = parseScopes(fields.scope);
    if (!scopes) throw new OAuthError('invalid_scope', 'scope must list known scopes');
  }
  return refreshGrant(
    rt,
    refreshToken,
    { applicationId: client.application.id, authenticated: client.authenticated },
    scopes,
    ip,
  );
}

/** POST /oauth2/token: the authorization_code and refresh_token grants. */
export async function handleTokenRequest(
  rt: Runtime,
  authorization: string | undefined,
  fields: Record<string, string>,
  ip: string,
): Promise<TokenResponse> {
  const creds = readClientCredentials(authorization, fields);
  const grantType = fields.grant_type;
  switch (grantType) {
    case 'authorization_code':
      return authorizationCodeGrant(rt, creds, fields, ip);
    case 'refresh_token':
      return refreshTokenGrant(rt, creds, fields, ip);
    case undefined:
      throw new OAuthError('invalid_request', 'grant_type is required');
    default:
      // client_credentials included: an application acting as itself uses its bot token.
      throw new OAuthError(
        'unsupported_grant_type',
        'Supported grant types: authorization_code, refresh_token',
      );
  }
}

/**
 * POST /oauth2/token/revoke (RFC 7009): revoking either token of a grant ends the whole grant.
 * Unknown tokens, and tokens of other clients, are answered the same way and left alone.
 */
export async function handleRevokeRequest(
  rt: Runtime,
  authorization: string | undefined,
  fields: Record<string, string>,
): Promise<void> {
  const client = await authenticateClient(rt, readClientCredentials(authorization, fields));
  const token = required(fields, 'token');
  const hint = fields.token_type_hint;
  const grant = await findGrantByToken(
    rt,
    token,
    hint === 'access_token' || hint === 'refresh_token' ? hint : null,
  );
  await revokeByClient(rt, client.application.id, grant);
}

/** Writes an OAuthError as RFC 6749 section 5.2 says: `{error, error_description}`, never cached. */
export function sendOAuthError(res: Response, err: OAuthError, usedBasic: boolean): void {
  if (err.status === 401 && usedBasic) res.setHeader('WWW-Authenticate', 'Basic realm="plexichat"');
  res.setHeader('Cache-Control', 'no-store');
  res.setHeader('Pragma', 'no-cache');
  // RFC 6749's members for OAuth libraries, and API.md's `code`/`message` for everyone else.
  res.status(err.status).json({
    error: err.error,
    error_description: err.description,
    code: err.error,
    message: err.description,
  });
}
