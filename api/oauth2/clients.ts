import crypto from 'node:crypto';
import { hashToken } from '../../shared/auth/tokens.js';
import type { AuthenticatedClient } from '../../shared/domain/oauth2/grants.js';
import type { Row } from '../../shared/db/models/index.js';
import type { Runtime } from '../../shared/runtime.js';
import { isSnowflake } from '../../shared/snowflake.js';
import { OAuthError, invalidClient } from '../../shared/domain/oauth2/errors.js';

/** How a client presented itself at the token or revoke endpoint. */
export interface ClientCredentials {
  clientId: string | null;
  clientSecret: string | null;
  /** `basic`: the Authorization header (a failure then answers with WWW-Authenticate). */
  via: 'basic' | 'body' | 'none';
}

function decodeBasicPart(part: string): string {
  // RFC 6749 section 2.3.1: id and secret are form-urlencoded before the Basic encoding.
  try {
    return decodeURIComponent(part.replace(/\+/g, ' '));
  } catch {
    throw invalidClient('Malformed Basic credentials');
  }
}

/**
 * Reads client credentials from `Authorization: Basic` or the body's `client_id`/`client_secret`.
 * Using both methods at once is refused (RFC 6749 section 2.3).
 */
export function readClientCredentials(
  authorization: string | undefined,
  fields: Record<string, string>,
): ClientCredentials {
  const basic = /^Basic ([A-Za-z0-9+/=]+)$/i.exec(authorization?.trim() ?? '');
  if (authorization && /^Basic\b/i.test(authorization.trim())) {
    if (!basic) throw invalidClient('Malformed Basic credentials');
    if (fields.client_secret !== undefined) {
      throw new OAuthError(
        'invalid_request',
        'Use one client authentication method, not Basic and client_secret',
      );
    }
    const decoded = Buffer.from(basic[1] as string, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 0) throw invalidClient('Malformed Basic credentials');
    const clientId = decodeBasicPart(decoded.slice(0, colon));
    if (fields.client_id !== undefined && fields.client_id !== clientId) {
      throw new OAuthError('invalid_request', 'client_id in the body differs from the Basic credentials');
    }
    return { clientId, clientSecret: decodeBasicPart(decoded.slice(colon + 1)), via: 'basic' };
  }
  return {
    clientId: fields.client_id ?? null,
    clientSecret: fields.client_secret ?? null,
    via: fields.client_secret !== undefined ? 'body' : 'none',
  };
}

/** The application a client_id names, or null (client ids are application ids: snowflakes). */
export async function findClient(
  rt: Runtime,
  clientId: string | null | undefined,
): Promise<Row<'Application'> | null> {
  if (!clientId || !isSnowflake(clientId)) return null;
  return rt.models.Application.findByPk(clientId);
}

/**
 * Client authentication: a known client_id, and, when a secret is presented, the right one. No
 * secret makes a public client, which then depends on PKCE (checked by the grant).
 */
export async function authenticateClient(
  rt: Runtime,
  creds: ClientCredentials,
): Promise<AuthenticatedClient> {
  const application = await findClient(rt, creds.clientId);
  if (!application) throw invalidClient('Unknown client');
  if (creds.clientSecret === null) return { application, authenticated: false };
  const stored = application.client_secret_hash;
  const given = hashToken(creds.clientSecret);
  if (!stored || stored.length !== given.length || !crypto.timingSafeEqual(stored, given)) {
    throw invalidClient('Wrong client secret');
  }
  return { application, authenticated: true };
}
