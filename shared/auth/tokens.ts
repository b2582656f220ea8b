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

/** Parses `Authorization: Bearer <token>` / `Bot <token>`; null when absent or malformed. */
export function parseAuthorization(
  header: string | undefined,
): { scheme: TokenScheme; token: string } | null {
  if (!header) return null;
  const match = /^(Bearer|Bot) ([A-Za-z0-9_-]{20,200})$/.exec(header.trim());
  if (!match) return null;
  return { scheme: match[1] as TokenScheme, token: match[2] as string };
}
