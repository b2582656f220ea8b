import type { Transaction } from 'sequelize';
import { generateToken, hashToken } from '../../auth/tokens.js';
import type { Row } from '../../db/models/index.js';
import { NotFoundError, ValidationError, type FieldErrors } from '../../errors.js';
import { runCommand } from '../../outbox/index.js';
import type { Runtime } from '../../runtime.js';
import { ownedApplication } from '../applications/applications.js';

/** The application, locked for the command's transaction (404 when it was deleted meanwhile). */
async function lockApplication(
  rt: Pick<Runtime, 'models'>,
  appId: string,
  transaction: Transaction,
): Promise<Row<'Application'>> {
  const app = await rt.models.Application.findByPk(appId, { transaction, lock: transaction.LOCK.UPDATE });
  if (!app) throw new NotFoundError('application');
  return app;
}

/** Most redirect URIs one application may register. */
export const MAX_REDIRECT_URIS = 10;

/**
 * A new client secret for an application of `ownerId` (POST /applications/{id}/oauth2/secret; 404
 * for anyone else's): the old one stops working at once, tokens already issued stay valid. Only
 * its hash is kept; returns it, shown once.
 */
export async function regenerateClientSecret(
  rt: Runtime,
  ownerId: string,
  appId: string,
): Promise<{ application: Row<'Application'>; secret: string }> {
  await ownedApplication(rt, ownerId, appId);
  const secret = generateToken();
  const application = await runCommand(rt, null, async (transaction) => {
    const app = await lockApplication(rt, appId, transaction);
    app.client_secret_hash = hashToken(secret);
    await app.save({ fields: ['client_secret_hash', 'updated_at'], transaction });
    return app;
  });
  return { application, secret };
}

/**
 * Replaces the redirect URIs of an application of `ownerId` (PUT
 * /applications/{id}/oauth2/redirect-uris; 404 for anyone else's): 400 naming `redirect_uris.N`
 * for one that is not allowed (see redirectUriProblem).
 */
export async function setRedirectUris(
  rt: Runtime,
  ownerId: string,
  appId: string,
  uris: string[],
): Promise<Row<'Application'>> {
  const errors: FieldErrors = {};
  uris.forEach((uri, i) => {
    const problem = redirectUriProblem(uri);
    if (problem) errors[`redirect_uris.${i}`] = problem;
  });
  await ownedApplication(rt, ownerId, appId);
  if (Object.keys(errors).length > 0) throw new ValidationError(errors, 'Invalid redirect URIs');
  return runCommand(rt, null, async (transaction) => {
    const app = await lockApplication(rt, appId, transaction);
    app.redirect_uris = uris;
    await app.save({ fields: ['redirect_uris', 'updated_at'], transaction });
    return app;
  });
}

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

/**
 * Why `uri` cannot be a redirect URI, or null when it can: an absolute URI without a fragment,
 * https (http only to loopback, RFC 8252 section 7.3), or a private-use scheme with a dot for native
 * apps (`com.example.app:/callback`, RFC 8252 section 7.1).
 */
export function redirectUriProblem(uri: string): string | null {
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    return 'must be an absolute URI';
  }
  if (uri.includes('#')) return 'must not contain a fragment';
  const scheme = url.protocol.slice(0, -1);
  if (scheme === 'https') return null;
  if (scheme === 'http')
    return LOOPBACK_HOSTS.has(url.host.replace(/:\d+$/, '')) ? null : 'http is allowed only for loopback';
  if (/^[a-z][a-z0-9+-]*(\.[a-z0-9+-]+)+$/.test(scheme)) return null;
  return 'must be https, http on loopback, or a reverse-domain private-use scheme';
}
