import crypto from 'node:crypto';
import { promisify } from 'node:util';

const scrypt = promisify(crypto.scrypt) as (
  password: string,
  salt: Buffer,
  keylen: number,
  options: crypto.ScryptOptions,
) => Promise<Buffer>;

const KEY_LENGTH = 32;
const R = 8;
const P = 1;

function params(cost: number): crypto.ScryptOptions {
  const N = 2 ** cost;
  // Node's default maxmem (32 MiB) is exactly 128*N*r at cost 15: leave headroom.
  return { N, r: R, p: P, maxmem: 256 * N * R };
}

/**
 * Hashes a password with scrypt (memory-hard): N = 2^cost, r = 8, p = 1, a 16-byte random salt,
 * a 32-byte key. Stored as `scrypt$<cost>$<r>$<p>$<salt b64>$<hash b64>` so the parameters can
 * be raised later without invalidating old hashes.
 */
export async function hashPassword(password: string, cost: number): Promise<string> {
  const salt = crypto.randomBytes(16);
  const hash = await scrypt(password.normalize('NFKC'), salt, KEY_LENGTH, params(cost));
  return ['scrypt', cost, R, P, salt.toString('base64'), hash.toString('base64')].join('$');
}

/** Checks a password against a stored hash in constant time; false for a malformed hash. */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [scheme, costText, rText, pText, saltText, hashText] = stored.split('$');
  if (scheme !== 'scrypt' || !saltText || !hashText) return false;
  const cost = Number(costText);
  if (!Number.isInteger(cost) || Number(rText) !== R || Number(pText) !== P) return false;
  const expected = Buffer.from(hashText, 'base64');
  const actual = await scrypt(
    password.normalize('NFKC'),
    Buffer.from(saltText, 'base64'),
    expected.length,
    params(cost),
  );
  return actual.length === expected.length && crypto.timingSafeEqual(actual, expected);
}

let dummy: Promise<string> | null = null;

/**
 * Burns the same work as a real check, for logins naming no known user, so that the answer's
 * timing does not reveal which usernames exist.
 */
export async function verifyAgainstDummy(password: string, cost: number): Promise<false> {
  dummy ??= hashPassword(crypto.randomBytes(16).toString('hex'), cost);
  await verifyPassword(password, await dummy);
  return false;
}
