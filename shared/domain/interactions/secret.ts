import crypto from 'node:crypto';
import type { SecretBox } from '../../auth/secret-box.js';
import type { Row } from '../../db/models/index.js';
import type { Runtime } from '../../runtime.js';

/**
 * The application's interactions signing secret in clear: the sealed one, or a new one generated
 * (and sealed) the first time it is needed. Two processes generating at once agree: only the first
 * write lands (`WHERE interactions_secret IS NULL`) and the other reads it back.
 */
export async function interactionsSecret(
  rt: Runtime,
  box: SecretBox,
  app: Row<'Application'>,
): Promise<string> {
  if (app.interactions_secret) return box.open(app.interactions_secret);
  const secret = crypto.randomBytes(32).toString('base64url');
  const [updated] = await rt.models.Application.update(
    { interactions_secret: box.seal(secret) },
    { where: { id: app.id, interactions_secret: null } },
  );
  if (updated === 1) return secret;
  const fresh = await rt.models.Application.findByPk(app.id, { rejectOnEmpty: true });
  return box.open(fresh.interactions_secret as string);
}
