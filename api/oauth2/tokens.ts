import { QueryTypes, type Transaction } from 'sequelize';
import { recordSecurityEvent } from '../../shared/auth/security-events.js';
import { generateToken, hashToken } from '../../shared/auth/tokens.js';
import type { Row } from '../../shared/db/models/index.js';
import type { Runtime } from '../../shared/runtime.js';
import { decodeSnowflake } from '../../shared/snowflake.js';
import type { OAuthAuth } from '../auth/context.js';
import { OAuthError, invalidClient } from './errors.js';
import { isOAuthScope, type OAuthScope } from './scopes.js';

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

/** What a new grant is made of: the exchanged code and what it was bound to. */
export interface NewGrant {
  id: string;
  applicationId: string;
  userId: string;
  scopes: OAuthScope[];
  codeHash: Buffer;
  confidential: boolean;
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

/** Records an authorization code's exchange as a grant and issues its first token pair. */
export async function createGrant(rt: Runtime, grant: NewGrant): Promise<TokenResponse> {
  return rt.sequelize.transaction(async (transaction) => {
    await rt.models.OAuthGrant.create(
      {
        id: grant.id,
        application_id: grant.applicationId,
        user_id: grant.userId,
        scopes: grant.scopes,
        code_hash: grant.codeHash,
        confidential: grant.confidential,
        created_at: new Date(decodeSnowflake(grant.id).timestampMs),
      },
      { transaction },
    );
    return insertPair(rt, grant.id, grant.scopes, transaction);
  });
}

/** Ends a grant: every access and refresh token of its family stops working at once. */
export async function revokeGrant(rt: Runtime, grantId: string, reason: string): Promise<void> {
  await rt.sequelize.transaction(async (transaction) => {
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
  const issued = await rt.sequelize.transaction(async (transaction) => {
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

interface LiveTokenRow {
  id: string;
  scopes: string[];
  application_id: string;
  user_id: string;
}

/**
 * The caller an OAuth2 access token stands for: null unless the token is known, unexpired, not
 * revoked (nor its grant), and its user is not disabled.
 */
export async function findOAuthCaller(
  rt: Pick<Runtime, 'sequelize' | 'models'>,
  token: string,
): Promise<OAuthAuth | null> {
  const [row] = await rt.sequelize.query<LiveTokenRow>(
    `SELECT t.id, t.scopes, g.application_id, g.user_id
       FROM oauth_tokens t JOIN oauth_grants g ON g.id = t.grant_id
      WHERE t.access_token_hash = $1 AND t.revoked_at IS NULL AND g.revoked_at IS NULL
        AND t.access_expires_at > now()`,
    { bind: [hashToken(token)], type: QueryTypes.SELECT },
  );
  if (!row) return null;
  const user = await rt.models.User.findByPk(row.user_id);
  if (!user || user.disabled_at) return null;
  return {
    user,
    session: null,
    kind: 'oauth',
    scopes: toScopes(row.scopes),
    application_id: String(row.application_id),
    token_id: String(row.id),
  };
}

/** The grant a token (access or refresh) belongs to, or null. */
export async function findGrantByToken(
  rt: Runtime,
  token: string,
  hint: 'access_token' | 'refresh_token' | null,
): Promise<Row<'OAuthGrant'> | null> {
  const hash = hashToken(token);
  const order: ('access_token_hash' | 'refresh_token_hash')[] =
    hint === 'refresh_token'
      ? ['refresh_token_hash', 'access_token_hash']
      : ['access_token_hash', 'refresh_token_hash'];
  for (const column of order) {
    const row = await rt.models.OAuthToken.findOne({ where: { [column]: hash } });
    if (row) return rt.models.OAuthGrant.findByPk(row.grant_id);
  }
  return null;
}
