// The webhook signature verifier for integration authors: what Plexichat POSTs to an event webhook
// or an interactions URL carries `X-Plexichat-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret,
// "<t>.<raw body>")>`. WebCrypto only, so it runs in Node 20+, browsers, workers and edge runtimes.

/** The header a signed request carries (lower case, as Node's `req.headers` has it). */
export const SIGNATURE_HEADER = 'x-plexichat-signature';

/** How old a signed request may be before it is refused as a replay (seconds). */
export const DEFAULT_TOLERANCE_SECONDS = 300;

/** Why a signature was refused. */
export type SignatureFailure = 'missing' | 'malformed' | 'expired' | 'mismatch';

/** The verdict: valid, or why not. */
export type SignatureResult = { valid: true; timestamp: number } | { valid: false; reason: SignatureFailure };

const encoder = new TextEncoder();

function hexToBytes(hex: string): Uint8Array<ArrayBuffer> {
  const bytes = new Uint8Array(hex.length / 2);
  for (let i = 0; i < bytes.length; i++) bytes[i] = parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  return bytes;
}

/**
 * Checks a request's signature against the raw body exactly as received (verify before parsing:
 * re-serialized JSON differs). `timestamp` must be within `toleranceSeconds` of `now`.
 */
export async function verifyWebhookSignature(
  secret: string,
  header: string | null | undefined,
  rawBody: string | Uint8Array,
  options: { toleranceSeconds?: number; now?: number } = {},
): Promise<SignatureResult> {
  if (!header) return { valid: false, reason: 'missing' };
  const parts = new Map<string, string>();
  for (const part of header.split(',')) {
    const i = part.indexOf('=');
    if (i > 0) parts.set(part.slice(0, i).trim(), part.slice(i + 1).trim());
  }
  const timestamp = Number(parts.get('t'));
  const mac = parts.get('v1');
  if (!Number.isInteger(timestamp) || !mac || !/^[0-9a-f]{64}$/.test(mac)) {
    return { valid: false, reason: 'malformed' };
  }
  const now = options.now ?? Math.floor(Date.now() / 1000);
  if (Math.abs(now - timestamp) > (options.toleranceSeconds ?? DEFAULT_TOLERANCE_SECONDS)) {
    return { valid: false, reason: 'expired' };
  }
  const body = typeof rawBody === 'string' ? encoder.encode(rawBody) : rawBody;
  const prefix = encoder.encode(`${timestamp}.`);
  const signed = new Uint8Array(prefix.length + body.length);
  signed.set(prefix);
  signed.set(body, prefix.length);
  const key = await crypto.subtle.importKey(
    'raw',
    encoder.encode(secret),
    { name: 'HMAC', hash: 'SHA-256' },
    false,
    ['verify'],
  );
  // subtle.verify compares in constant time.
  const ok = await crypto.subtle.verify('HMAC', key, hexToBytes(mac), signed);
  return ok ? { valid: true, timestamp } : { valid: false, reason: 'mismatch' };
}
