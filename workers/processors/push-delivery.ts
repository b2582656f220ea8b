import webpush from 'web-push';
import type { Config } from '../../shared/config/index.js';
import type { Row } from '../../shared/db/models/index.js';
import { safeFetch, SafeFetchError } from '../../shared/net/safe-fetch.js';
import type { VapidDetails } from '../../shared/push/vapid.js';

/**
 * What became of one delivery: `sent` (2xx), `gone` (404/410: the browser dropped the
 * subscription), `retry` (429, 5xx, no answer: the push service may take it later) or `refused`
 * (any other answer, or an address we may not reach).
 */
export type DeliveryOutcome = {
  kind: 'sent' | 'gone' | 'retry' | 'refused';
  status: number | null;
  detail: string;
};

/** Push services answer with a short status body at most; anything longer is not read. */
const MAX_RESPONSE_BYTES = 4096;

/** SafeFetchError codes worth retrying (the service may answer later) rather than counting as refused. */
const TRANSIENT = new Set(['timeout', 'fetch_failed']);

/** Sorts an answer into an outcome. */
function classify(status: number): DeliveryOutcome['kind'] {
  if (status >= 200 && status < 300) return 'sent';
  if (status === 404 || status === 410) return 'gone';
  if (status === 429 || status >= 500) return 'retry';
  return 'refused';
}

/**
 * Encrypts `payload` for one subscription (aes128gcm, RFC 8291) and signs a VAPID token for its
 * push service's origin (RFC 8292) with web-push, then POSTs it through the SSRF-safe fetcher
 * instead of web-push's own https call: the endpoint is a URL a client gave us, so it gets the
 * same address checks, pinned DNS and timeouts as every other fetch. Redirects are not followed
 * (a push service answers, it does not redirect).
 */
export async function deliverPush(
  config: Pick<Config, 'outbound' | 'push'>,
  vapid: VapidDetails,
  subscription: Row<'PushSubscription'>,
  payload: string,
): Promise<DeliveryOutcome> {
  let request: ReturnType<typeof webpush.generateRequestDetails>;
  try {
    request = webpush.generateRequestDetails(
      { endpoint: subscription.endpoint, keys: { p256dh: subscription.p256dh, auth: subscription.auth } },
      payload,
      {
        vapidDetails: vapid,
        TTL: config.push.ttl_seconds,
        urgency: config.push.urgency,
        contentEncoding: 'aes128gcm',
      },
    );
  } catch (err) {
    // Keys the browser gave that cannot encrypt (validated on subscribe, so only stale rows).
    return { kind: 'refused', status: null, detail: (err as Error).message };
  }
  const headers = Object.fromEntries(Object.entries(request.headers).map(([k, v]) => [k, String(v)]));
  try {
    const res = await safeFetch(request.endpoint, {
      outbound: config.outbound,
      method: 'POST',
      headers,
      body: request.body ?? Buffer.alloc(0),
      requireOk: false,
      maxRedirects: 0,
      maxBytes: MAX_RESPONSE_BYTES,
      truncate: true,
    });
    // The status decides; the body only explains it in the log.
    const text = await res.read().then(
      (b) => b.toString('utf8').slice(0, 200),
      () => '',
    );
    return { kind: classify(res.status), status: res.status, detail: text };
  } catch (err) {
    const code = err instanceof SafeFetchError ? err.code : 'fetch_failed';
    return {
      kind: TRANSIENT.has(code) ? 'retry' : 'refused',
      status: null,
      detail: `${code}: ${(err as Error).message}`,
    };
  }
}
