import crypto from 'node:crypto';

/** A new opaque token: 256 random bits, base64url (43 characters). Shown once, stored only as a hash. */
export function generateToken(): string {
  return crypto.randomBytes(32).toString('base64url');
}

/** SHA-256 of a token: what the database keeps (a token has 256 bits of entropy: no salt needed). */
export function hashToken(token: string): Buffer {
  return crypto.createHash('sha256').update(token, 'utf8').digest();
}

/** The two schemes of the Authorization header (API.md). */
export type TokenScheme = 'Bearer' | 'Bot';

/**
 * Parses `Authorization: Bearer <token>` / `Bot <token>`; null when absent or malformed. The scheme
 * is matched without regard to case, as HTTP's auth-scheme is (RFC 9110 11.1): `bearer` is Bearer.
 */
export function parseAuthorization(
  header: string | undefined,
): { scheme: TokenScheme; token: string } | null {
  if (!header) return null;
  const match = /^(Bearer|Bot) ([A-Za-z0-9_-]{20,200})$/i.exec(header.trim());
  if (!match) return null;
  const scheme: TokenScheme = (match[1] as string).toLowerCase() === 'bot' ? 'Bot' : 'Bearer';
  return { scheme, token: match[2] as string };
}
