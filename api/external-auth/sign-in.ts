import { generateToken, hashToken } from '../../shared/auth/tokens.js';
import type { Runtime } from '../../shared/runtime.js';

/** How long the one-time login code handed to the client-side callback stays valid. */
export const LOGIN_CODE_TTL_SECONDS = 60;

/** What a login code stands for. */
export interface LoginCodeData {
  user_id: string;
  provider: string;
  /** Whether this sign-in created the account. */
  created: boolean;
}

function loginCodeKey(rt: Runtime, code: string): string {
  return `${rt.config.redis.key_prefix}:oidc_login:${hashToken(code).toString('hex')}`;
}

/** A one-time code for POST /auth/oauth/exchange: the token itself never travels in a URL. */
export async function issueLoginCode(rt: Runtime, data: LoginCodeData): Promise<string> {
  const code = generateToken();
  await rt.redis.set(loginCodeKey(rt, code), JSON.stringify(data), 'EX', LOGIN_CODE_TTL_SECONDS);
  return code;
}

/** Uses a login code up (GETDEL); null when unknown, expired or used. */
export async function consumeLoginCode(rt: Runtime, code: string): Promise<LoginCodeData | null> {
  const raw = await rt.redis.getdel(loginCodeKey(rt, code));
  return raw ? (JSON.parse(raw) as LoginCodeData) : null;
}
