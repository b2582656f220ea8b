import type { Row } from '../../shared/db/models/index.js';

/** Who is calling: the user (or bot user) and the session their token belongs to. */
export interface AuthContext {
  user: Row<'User'>;
  session: Row<'Session'>;
  kind: 'user' | 'bot';
}
