import crypto from 'node:crypto';

/**
 * Signatures on everything Plexichat POSTs to integrations (outgoing event webhooks, HTTP
 * interactions): `X-Plexichat-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`.
 * The timestamp is inside the MAC, so a receiver that rejects old timestamps rejects replays.
 */
export const SIGNATURE_HEADER = 'x-plexichat-signature';

/** How old a signed request may be before a receiver should refuse it as a replay. */
export const DEFAULT_REPLAY_WINDOW_SECONDS = 300;

/** The signature header value for `body` sent at `timestamp` (unix seconds). */
export function signPayload(secret: string, body: string, timestamp = Math.floor(Date.now() / 1000)): string {
  const mac = crypto.createHmac('sha256', secret).update(`${timestamp}.${body}`, 'utf8').digest('hex');
  return `t=${timestamp},v1=${mac}`;
}

/** Why a signature was refused, or null when it is valid. What a receiver (and our tests) run. */
export function verifySignature(
  secret: string,
  header: string | undefined,
  body: string,
  options: { now?: number; windowSeconds?: number } = {},
): 'missing' | 'malformed' | 'expired' | 'mismatch' | null {
  if (!header) return 'missing';
  const parts = new Map(
    header.split(',').map((p) => {
      const i = p.indexOf('=');
      return [p.slice(0, i).trim(), p.slice(i + 1).trim()] as const;
    }),
  );
  const t = Number(parts.get('t'));
  const v1 = parts.get('v1');
  if (!Number.isInteger(t) || !v1 || !/^[0-9a-f]{64}$/.test(v1)) return 'malformed';
  const now = options.now ?? Math.floor(Date.now() / 1000);
  if (Math.abs(now - t) > (options.windowSeconds ?? DEFAULT_REPLAY_WINDOW_SECONDS)) return 'expired';
  const expected = crypto.createHmac('sha256', secret).update(`${t}.${body}`, 'utf8').digest();
  return crypto.timingSafeEqual(expected, Buffer.from(v1, 'hex')) ? null : 'mismatch';
}
