import type { Transaction } from 'sequelize';
import { generateToken, hashToken } from '../../auth/tokens.js';
import type { Row } from '../../db/models/index.js';
import { NotFoundError } from '../../errors.js';
import { runCommand } from '../../outbox/index.js';
import type { Runtime } from '../../runtime.js';
import { ownedApplication } from '../applications/applications.js';
import { redirectUriErrors, requireNoRedirectUriErrors } from './redirect-uris.js';

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
  const errors = redirectUriErrors(uris);
  await ownedApplication(rt, ownerId, appId);
  requireNoRedirectUriErrors(errors);
  return runCommand(rt, null, async (transaction) => {
    const app = await lockApplication(rt, appId, transaction);
    app.redirect_uris = uris;
    await app.save({ fields: ['redirect_uris', 'updated_at'], transaction });
    return app;
  });
}
