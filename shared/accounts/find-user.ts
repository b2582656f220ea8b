import type { Row } from '../db/models/index.js';
import type { Runtime } from '../runtime.js';

/** The user a login names (an email when it holds `@`, else a username), any case; null when none. */
export function findUserByLogin(
  rt: Pick<Runtime, 'models' | 'sequelize'>,
  login: string,
): Promise<Row<'User'> | null> {
  const normalized = login.trim().toLowerCase();
  const column = normalized.includes('@') ? 'email' : 'username';
  return rt.models.User.findOne({
    where: rt.sequelize.where(rt.sequelize.fn('lower', rt.sequelize.col(column)), normalized),
  });
}
