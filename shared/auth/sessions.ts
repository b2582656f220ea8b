import type { Row } from '../db/models/index.js';
import type { Runtime } from '../runtime.js';
import { hashToken } from './tokens.js';

/** last_used_at is refreshed at most this often, so authenticated reads do not all write. */
const TOUCH_INTERVAL_MS = 60_000;

/** A token's live session and its user. */
export interface LiveSession {
  user: Row<'User'>;
  session: Row<'Session'>;
  kind: 'user' | 'bot';
}

/** Whether a session went unused for longer than security.session_idle_days (and so stopped working). */
export function sessionIdledOut(
  config: Pick<Runtime['config'], 'security'>,
  session: Pick<Row<'Session'>, 'kind' | 'last_used_at'>,
): boolean {
  const idleDays = config.security.session_idle_days;
  // Bot tokens do not idle out: a bot may sit on one gateway connection for months.
  const idles = idleDays > 0 && session.kind === 'user';
  return idles && Date.now() - session.last_used_at.getTime() > idleDays * 86_400_000;
}

/**
 * Finds the live session of a token: not revoked, not idle past security.session_idle_days, its
 * user not disabled. Used by the API (passport)
 * and the gateway handshake alike, so a revoked token fails in both at once.
 */
export async function findLiveSession(
  rt: Pick<Runtime, 'models' | 'config'>,
  token: string,
): Promise<LiveSession | null> {
  const { Session, User } = rt.models;
  const session = await Session.findOne({ where: { token_hash: hashToken(token), revoked_at: null } });
  if (!session || sessionIdledOut(rt.config, session)) return null;
  const user = await User.findByPk(session.user_id);
  if (!user || user.disabled_at) return null;
  if (Date.now() - session.last_used_at.getTime() > TOUCH_INTERVAL_MS) {
    session.last_used_at = new Date();
    await session.save({ fields: ['last_used_at'] });
  }
  return { user, session, kind: session.kind };
}
