import type { Transaction } from 'sequelize';
import { generateToken, hashToken } from '../auth/tokens.js';
import type { Row } from '../db/models/index.js';
import type { Runtime } from '../runtime.js';
import { decodeSnowflake } from '../snowflake.js';

/** Where a session was opened from. */
export interface ClientInfo {
  ip: string;
  userAgent: string | null;
}

/** Opens a session for `user` and returns its token (shown once; only its hash is stored). */
export async function issueSession(
  rt: Runtime,
  user: Row<'User'>,
  client: ClientInfo,
  kind: 'user' | 'bot' = 'user',
  transaction?: Transaction,
): Promise<{ token: string; session: Row<'Session'> }> {
  const token = generateToken();
  const id = rt.snowflake.next();
  const now = new Date(decodeSnowflake(id).timestampMs);
  const session = await rt.models.Session.create(
    {
      id,
      user_id: user.id,
      token_hash: hashToken(token),
      ip: client.ip,
      user_agent: client.userAgent?.slice(0, 512) ?? null,
      created_at: now,
      last_used_at: now,
      kind,
    },
    { transaction },
  );
  return { token, session };
}
