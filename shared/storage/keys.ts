/** The longest key accepted (the `attachments.storage_key` column holds 512). */
export const MAX_KEY_LENGTH = 512;

// A segment never starts with a dot: that rules out `.` and `..`, and leaves dot-names free for the
// local driver's own bookkeeping (`.tmp/`, `.meta/`) without any key being able to reach them.
const SEGMENT = '[A-Za-z0-9_-][A-Za-z0-9._-]*';
const KEY = new RegExp(`^${SEGMENT}(?:/${SEGMENT})*$`);

/** Thrown for a key that is not of the storage's key syntax. */
export class InvalidKeyError extends Error {
  constructor(key: string) {
    super(`Invalid storage key: ${JSON.stringify(key.slice(0, 100))}`);
    this.name = 'InvalidKeyError';
  }
}

/** Thrown by get() for a range that starts at or past the end of the object. */
export class RangeNotSatisfiableError extends Error {
  constructor(readonly size: number) {
    super(`Range not satisfiable (object is ${size} bytes)`);
    this.name = 'RangeNotSatisfiableError';
  }
}

/** Whether `key` is a storage key: `/`-separated segments of [A-Za-z0-9._-], none starting with a dot. */
export function isValidKey(key: string): boolean {
  return key.length > 0 && key.length <= MAX_KEY_LENGTH && KEY.test(key);
}

/** Throws InvalidKeyError unless `key` is a valid storage key. */
export function assertValidKey(key: string): void {
  if (!isValidKey(key)) throw new InvalidKeyError(key);
}

/** Key prefixes never served by GET /media: only their own authenticated routes hand them out. */
const PRIVATE_PREFIXES = ['exports/'];

/** Whether `key` holds private data (a data export) that the public media route must not serve. */
export function isPrivateKey(key: string): boolean {
  return PRIVATE_PREFIXES.some((prefix) => key.startsWith(prefix));
}

/** Where a data export's archive is stored (a random part too: keys must never be guessable). */
export function exportKey(userId: string, exportId: string, nonce: string): string {
  return `exports/${userId}/${exportId}-${nonce}.zip`;
}
