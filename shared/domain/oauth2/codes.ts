import crypto from 'node:crypto';
import { generateToken, hashToken } from '../../auth/tokens.js';
import type { Runtime } from '../../runtime.js';
import type { OAuthScope } from './scopes.js';

/** How long an authorization code may wait for its exchange. */
export const CODE_TTL_SECONDS = 60;

/** Everything an authorization code is bound to; the token endpoint checks each. */
export interface CodeData {
  /** The id the grant gets when the code is exchanged. */
  grant_id: string;
  application_id: string;
  user_id: string;
  redirect_uri: string;
  scopes: OAuthScope[];
  /** The S256 PKCE challenge, or null when the client will authenticate with its secret instead. */
  code_challenge: string | null;
  /** With the `bot` scope: the server the bot was added to. */
  server_id: string | null;
}

function codeKey(rt: Runtime, codeHash: Buffer): string {
  return `${rt.config.redis.key_prefix}:oauth2_code:${codeHash.toString('hex')}`;
}

/** Stores a new code (only its hash names the key) for CODE_TTL_SECONDS; returns the code. */
export async function issueCode(rt: Runtime, data: CodeData): Promise<string> {
  const code = generateToken();
  await rt.redis.set(codeKey(rt, hashToken(code)), JSON.stringify(data), 'EX', CODE_TTL_SECONDS);
  return code;
}

/** Takes a code out of Redis in one step (GETDEL), so it works once; null when unknown, expired or used. */
export async function consumeCode(rt: Runtime, code: string): Promise<CodeData | null> {
  const raw = await rt.redis.getdel(codeKey(rt, hashToken(code)));
  return raw ? (JSON.parse(raw) as CodeData) : null;
}

/** BASE64URL(SHA256(verifier)): the S256 transformation of RFC 7636. */
export function s256(verifier: string): string {
  return crypto.createHash('sha256').update(verifier, 'ascii').digest('base64url');
}

/** A code_verifier as RFC 7636 section 4.1 defines it. */
export const CODE_VERIFIER = /^[A-Za-z0-9._~-]{43,128}$/;
/** An S256 code_challenge: 32 bytes in unpadded base64url. */
export const CODE_CHALLENGE = /^[A-Za-z0-9_-]{43}$/;

/** Whether `verifier` matches `challenge`, compared in constant time. */
export function verifyPkce(verifier: string, challenge: string): boolean {
  if (!CODE_VERIFIER.test(verifier)) return false;
  const a = Buffer.from(s256(verifier));
  const b = Buffer.from(challenge);
  return a.length === b.length && crypto.timingSafeEqual(a, b);
}
