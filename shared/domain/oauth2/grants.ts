import { QueryTypes, type Transaction } from 'sequelize';
import { recordSecurityEvent } from '../../auth/security-events.js';
import { generateToken, hashToken } from '../../auth/tokens.js';
import type { Row } from '../../db/models/index.js';
import { runCommand } from '../../outbox/index.js';
import { NotFoundError } from '../../errors.js';
import type { Runtime } from '../../runtime.js';
import { decodeSnowflake } from '../../snowflake.js';
import { consumeCode, verifyPkce } from './codes.js';
import { OAuthError, invalidClient } from './errors.js';
import { isOAuthScope, type OAuthScope } from './scopes.js';

/** An application that passed client authentication; `authenticated` is false for a public client. */
export interface AuthenticatedClient {
  application: Row<'Application'>;
  authenticated: boolean;
}

/** The token endpoint's success body (RFC 6749 section 5.1). */
export interface TokenResponse {
  access_token: string;
  token_type: 'Bearer';
  expires_in: number;
  refresh_token: string;
  scope: string;
  /** With the `bot` scope: the server the bot was added to. */
  server_id?: string;
}

function toScopes(values: string[]): OAuthScope[] {
  return values.filter(isOAuthScope);
}

async function insertPair(
  rt: Runtime,
  grantId: string,
  scopes: OAuthScope[],
  transaction: Transaction,
): Promise<TokenResponse> {
  const access = generateToken();
  const refresh = generateToken();
  const id = rt.snowflake.next();
  const now = decodeSnowflake(id).timestampMs;
  const { access_token_ttl_seconds: accessTtl, refresh_token_ttl_seconds: refreshTtl } =
    rt.config.auth.oauth2;
  await rt.models.OAuthToken.create(
    {
      id,
      grant_id: grantId,
      access_token_hash: hashToken(access),
      refresh_token_hash: hashToken(refresh),
      scopes,
      access_expires_at: new Date(now + accessTtl * 1000),
      refresh_expires_at: new Date(now + refreshTtl * 1000),
      created_at: new Date(now),
    },
    { transaction },
  );
  return {
    access_token: access,
    token_type: 'Bearer',
    expires_in: accessTtl,
    refresh_token: refresh,
    scope: scopes.join(' '),
  };
}

/** What a client presents to exchange an authorization code. */
export interface CodeExchange {
  code: string;
  redirectUri: string;
  /** The PKCE verifier, when the client sent one. */
  codeVerifier?: string;
}

/**
 * The authorization_code grant (POST /oauth2/token): the code works once and only for the client,
 * redirect URI and PKCE verifier (or client secret) it was issued for; a code that comes back
 * after its exchange revokes the grant made from it (someone else may hold it). Records the grant
 * and issues its first token pair in one transaction. Errors are OAuthErrors (`invalid_grant`).
 */
export async function exchangeCode(
  rt: Runtime,
  client: AuthenticatedClient,
  exchange: CodeExchange,
  audit: { ip: string },
): Promise<TokenResponse> {
  const data = await consumeCode(rt, exchange.code);
  if (!data) {
    const used = await rt.models.OAuthGrant.findOne({ where: { code_hash: hashToken(exchange.code) } });
    if (used) await revokeForReuse(rt, used, 'code', audit.ip);
    throw new OAuthError('invalid_grant', 'Unknown, expired or already used authorization code');
  }
  if (data.application_id !== client.application.id) {
    throw new OAuthError('invalid_grant', 'The code was issued to another client');
  }
  if (data.redirect_uri !== exchange.redirectUri) {
    throw new OAuthError('invalid_grant', 'redirect_uri differs from the one the code was issued for');
  }
  if (data.code_challenge !== null) {
    const verifier = exchange.codeVerifier;
    if (verifier === undefined) throw new OAuthError('invalid_grant', 'code_verifier is required (PKCE)');
    if (!verifyPkce(verifier, data.code_challenge)) {
      throw new OAuthError('invalid_grant', 'code_verifier does not match the code_challenge');
    }
  } else if (!client.authenticated) {
    throw new OAuthError('invalid_grant', 'The code was issued without PKCE: the client must authenticate');
  }
  const tokens = await runCommand(rt, null, async (transaction) => {
    const user = await rt.models.User.findByPk(data.user_id, { transaction });
    if (!user || user.disabled_at)
      throw new OAuthError('invalid_grant', 'The user can no longer be acted for');
    await rt.models.OAuthGrant.create(
      {
        id: data.grant_id,
        application_id: client.application.id,
        user_id: data.user_id,
        scopes: data.scopes,
        code_hash: hashToken(exchange.code),
        confidential: client.authenticated,
        created_at: new Date(decodeSnowflake(data.grant_id).timestampMs),
      },
      { transaction },
    );
    return insertPair(rt, data.grant_id, data.scopes, transaction);
  });
  return data.server_id ? { ...tokens, server_id: data.server_id } : tokens;
}

/** Ends a grant: every access and refresh token of its family stops working at once. */
export async function revokeGrant(rt: Runtime, grantId: string, reason: string): Promise<void> {
  await runCommand(rt, null, async (transaction) => {
    await rt.models.OAuthGrant.update(
      { revoked_at: new Date(), revoked_reason: reason },
      { where: { id: grantId, revoked_at: null }, transaction },
    );
    await rt.models.OAuthToken.update(
      { revoked_at: new Date() },
      { where: { grant_id: grantId, revoked_at: null }, transaction },
    );
  });
}

/** A replayed code or refresh token: someone else may hold the family, so all of it goes. */
export async function revokeForReuse(
  rt: Runtime,
  grant: Row<'OAuthGrant'>,
  what: 'code' | 'refresh_token',
  ip: string,
): Promise<void> {
  await revokeGrant(rt, grant.id, `${what}_reuse`);
  await recordSecurityEvent(rt, 'oauth2_token_reuse', {
    userId: grant.user_id,
    ip,
    details: { application_id: grant.application_id, grant_id: grant.id, reused: what },
  });
}

/**
 * The refresh_token grant: the presented token's pair is retired and a new pair issued (rotation).
 * A refresh token that was already rotated is a replay: the whole grant is revoked. `scopes`
 * narrows the new pair (never widens it).
 */
export async function refreshGrant(
  rt: Runtime,
  refreshToken: string,
  client: { applicationId: string; authenticated: boolean },
  requested: OAuthScope[] | null,
  ip: string,
): Promise<TokenResponse> {
  const { OAuthGrant, OAuthToken, User } = rt.models;
  const row = await OAuthToken.findOne({ where: { refresh_token_hash: hashToken(refreshToken) } });
  const grant = row ? await OAuthGrant.findByPk(row.grant_id) : null;
  if (!row || !grant || grant.application_id !== client.applicationId) {
    throw new OAuthError('invalid_grant', 'Unknown refresh token');
  }
  if (grant.confidential && !client.authenticated) {
    throw invalidClient(
      'This client authenticated when it got the grant: it must authenticate to refresh it',
    );
  }
  if (grant.revoked_at) throw new OAuthError('invalid_grant', 'The authorization was revoked');
  if (row.rotated_at) {
    await revokeForReuse(rt, grant, 'refresh_token', ip);
    throw new OAuthError('invalid_grant', 'Refresh token already used: the authorization is revoked');
  }
  if (row.revoked_at) throw new OAuthError('invalid_grant', 'The refresh token was revoked');
  if (row.refresh_expires_at.getTime() <= Date.now()) {
    throw new OAuthError('invalid_grant', 'The refresh token expired');
  }
  const user = await User.findByPk(grant.user_id);
  if (!user || user.disabled_at) throw new OAuthError('invalid_grant', 'The user can no longer be acted for');
  const held = toScopes(row.scopes);
  if (requested && requested.some((s) => !held.includes(s))) {
    throw new OAuthError('invalid_scope', 'A refresh can only keep or narrow the granted scopes');
  }
  const issued = await runCommand(rt, null, async (transaction) => {
    // The claim is conditional: of two refreshes racing with one token, exactly one wins.
    const claimed = await rt.sequelize.query(
      `UPDATE oauth_tokens SET rotated_at = now(), revoked_at = now()
        WHERE id = $1 AND rotated_at IS NULL AND revoked_at IS NULL RETURNING id`,
      { bind: [row.id], type: QueryTypes.SELECT, transaction },
    );
    if (claimed.length === 0) return null;
    return insertPair(rt, grant.id, requested ?? held, transaction);
  });
  if (!issued) {
    await revokeForReuse(rt, grant, 'refresh_token', ip);
    throw new OAuthError('invalid_grant', 'Refresh token already used: the authorization is revoked');
  }
  return issued;
}

/**
 * The user ends an application's authorization (DELETE /oauth2/authorizations/{id}): 404 unless it
 * is one of their live grants. Every token of it stops working at once.
 */
export async function revokeAuthorization(rt: Runtime, userId: string, grantId: string): Promise<void> {
  const grant = await rt.models.OAuthGrant.findByPk(grantId);
  if (!grant || grant.user_id !== userId || grant.revoked_at) throw new NotFoundError('authorization');
  await revokeGrant(rt, grant.id, 'user_revoked');
}

/**
 * A client revokes one of its tokens (RFC 7009): the whole grant it belongs to ends. A token of
 * another client, or none at all, is left alone without telling (the caller answers the same).
 */
export async function revokeByClient(
  rt: Runtime,
  applicationId: string,
  grant: Row<'OAuthGrant'> | null,
): Promise<void> {
  if (grant && grant.application_id === applicationId) await revokeGrant(rt, grant.id, 'client_revoked');
}
