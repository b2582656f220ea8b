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

function params(cost: number, r: number, p: number): crypto.ScryptOptions {
  const N = 2 ** cost;
  // scrypt needs 128*N*r bytes (128 MiB at cost 17), over Node's 32 MiB default maxmem: leave headroom.
  return { N, r, p, maxmem: 256 * N * r };
}

interface ParsedHash {
  cost: number;
  r: number;
  p: number;
  salt: Buffer;
  hash: Buffer;
}

/** A stored hash's parameters and bytes; null when it is not one of ours (or out of sane bounds). */
function parse(stored: string): ParsedHash | null {
  const [scheme, costText, rText, pText, saltText, hashText] = stored.split('$');
  if (scheme !== 'scrypt' || !saltText || !hashText) return null;
  const [cost, r, p] = [Number(costText), Number(rText), Number(pText)];
  // Bounds keep a tampered row from asking for gigabytes.
  const ok = (v: number, max: number) => Number.isInteger(v) && v >= 1 && v <= max;
  if (!ok(cost, 20) || !ok(r, 16) || !ok(p, 4)) return null;
  return { cost, r, p, salt: Buffer.from(saltText, 'base64'), hash: Buffer.from(hashText, 'base64') };
}

/**
 * Hashes a password with scrypt (memory-hard): N = 2^cost, r = 8, p = 1, a 16-byte random salt,
 * a 32-byte key. Stored as `scrypt$<cost>$<r>$<p>$<salt b64>$<hash b64>`: the hash records its
 * parameters, so they can be raised later and old hashes still verify (and get rehashed).
 */
export async function hashPassword(password: string, cost: number): Promise<string> {
  const salt = crypto.randomBytes(16);
  const hash = await scrypt(password.normalize('NFKC'), salt, KEY_LENGTH, params(cost, R, P));
  return ['scrypt', cost, R, P, salt.toString('base64'), hash.toString('base64')].join('$');
}

/** Checks a password against a stored hash (at the parameters it records) in constant time; false for a malformed hash. */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const parsed = parse(stored);
  if (!parsed) return false;
  const actual = await scrypt(
    password.normalize('NFKC'),
    parsed.salt,
    parsed.hash.length,
    params(parsed.cost, parsed.r, parsed.p),
  );
  return actual.length === parsed.hash.length && crypto.timingSafeEqual(actual, parsed.hash);
}

/** Whether a stored hash is weaker than (or different from) what `cost` asks for now: rehash it at the next login. */
export function needsRehash(stored: string, cost: number): boolean {
  const parsed = parse(stored);
  return (
    !parsed || parsed.cost < cost || parsed.r !== R || parsed.p !== P || parsed.hash.length !== KEY_LENGTH
  );
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
