import type { Row } from '../../shared/db/models/index.js';
import type { Runtime } from '../../shared/runtime.js';

// User creation lives in shared/ so that the administration CLI (which imports no role) uses it too.
export { createUser, uniqueConflict, usernameTaken } from '../../shared/accounts/create-user.js';

/** The user a login names (an email when it holds `@`, else a username), any case; null when none. */
export function findUserByLogin(rt: Runtime, login: string): Promise<Row<'User'> | null> {
  const normalized = login.trim().toLowerCase();
  const column = normalized.includes('@') ? 'email' : 'username';
  return rt.models.User.findOne({
    where: rt.sequelize.where(rt.sequelize.fn('lower', rt.sequelize.col(column)), normalized),
  });
}
