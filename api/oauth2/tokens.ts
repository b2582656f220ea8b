import { QueryTypes } from 'sequelize';
import { accountUser } from '../../shared/auth/sessions.js';
import { hashToken } from '../../shared/auth/tokens.js';
import type { Row } from '../../shared/db/models/index.js';
import { isOAuthScope } from '../../shared/domain/oauth2/scopes.js';
import type { Runtime } from '../../shared/runtime.js';
import type { OAuthAuth } from '../auth/context.js';

// Reads of OAuth2 tokens (who a token stands for); grants and tokens are written by the commands
// of shared/domain/oauth2/grants.ts.

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
  const user = await rt.models.User.findByPk(row.user_id, { raw: true });
  if (!user || user.disabled_at) return null;
  return {
    user: accountUser(user),
    session: null,
    kind: 'oauth',
    scopes: row.scopes.filter(isOAuthScope),
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
